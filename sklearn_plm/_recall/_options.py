"""What every recall dynamics reads: its options, the entries it may change, its result."""

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

RecallResult = namedtuple("RecallResult", ["X", "n_iter", "converged"])
RecallResult.__doc__ = """Result of the ``complete`` method of the memory estimators.

Attributes
----------
X : ndarray of shape (n_samples, n_features)
    Final states, in the encoding seen in fit.
n_iter : ndarray of shape (n_samples,)
    Synchronous steps (or asynchronous sweeps) run for each row, including
    the last one that confirmed the fixed point.
converged : ndarray of shape (n_samples,)
    True where the row reached a fixed point within the step budget; False
    when the budget ran out or (synchronous recall) the row entered a
    2-cycle, where it stops.

Examples
--------
>>> import numpy as np
>>> from sklearn_plm import HopfieldMemory
>>> patterns = np.random.default_rng(0).choice([-1.0, 1.0], size=(3, 60))
>>> probe = patterns[:1].copy()
>>> probe[0, :6] *= -1  # six spins flipped
>>> result = HopfieldMemory().fit(patterns).complete(probe)
>>> bool(np.all(result.X == patterns[:1])), result.n_iter, result.converged
(True, array([2], dtype=int32), array([ True]))
"""


@dataclass(frozen=True)
class RecallOptions:
    """The options of one recall call, built once from an estimator's parameters.

    Parameters
    ----------
    method : str, default="sync"
        Name of the dynamics in :data:`sklearn_plm._recall.DYNAMICS`.
    max_iter : int, default=100
        Steps (sync, mean-field) or sweeps (async) before a row gives up.
    burn_in : int, default=50
        Gibbs: sweeps of each chain before its conditionals are averaged
        (or, for clamped samples, before the draw).
    n_sweeps : int, default=200
        Gibbs: sweeps over which the conditionals are averaged.
    clamp : bool or "auto", default="auto"
        Which known entries may change (see :func:`free_sites`).
    temperature : float, default=1.0
        Temperature of the marginals relative to the model's: the
        conditionals are taken at ``beta / temperature``.
    seed : int, default=0
        Seed of the random site orders (async) and chains (Gibbs).
    n_threads : int, default=1
        Threads of the kernels (or row blocks).

    Examples
    --------
    >>> from dataclasses import replace
    >>> options = RecallOptions("async", max_iter=20, seed=7)
    >>> replace(options, max_iter=5).max_iter, options.max_iter
    (5, 20)
    """

    method: str = "sync"
    max_iter: int = 100
    burn_in: int = 50
    n_sweeps: int = 200
    clamp: object = "auto"
    temperature: float = 1.0
    seed: int = 0
    n_threads: int = 1


def free_sites(unknown, clamp):
    """Where recall may change an entry.

    ``clamp=True`` frees the unknown entries only, ``False`` every entry, and
    ``"auto"`` the unknown entries of rows that have some and every entry of
    complete rows: a row with unknown entries is completed, a complete row
    is denoised.
    """
    if clamp == "auto":
        return unknown | ~unknown.any(axis=1, keepdims=True)
    if clamp:
        return unknown.copy()
    return np.ones(unknown.shape, dtype=bool)
