"""Recall: completing and denoising states with a fitted binary or Potts model.

Every ``recall`` option of the estimators is one entry of :data:`DYNAMICS`,
with one function for binary spins and one for Potts codes:

* zero-temperature dynamics (:mod:`._zero_temperature`): ``"sync"`` and
  ``"async"`` move each row to an attractor;
* finite-temperature marginals (:mod:`._marginals`): ``"mean-field"`` and
  ``"gibbs"`` estimate the marginals of the free entries given the held
  ones, and completion takes the most probable state of each entry.

Adding a dynamics is writing its two functions (the signatures are in the
docstrings of the two modules) and one entry here: the estimators' ``recall``
parameter, :meth:`complete` and :meth:`transform` pick it up. The estimators
build one :class:`RecallOptions` per call from their parameters.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._marginals import (ising_gibbs, ising_mean_field, ising_samples, potts_gibbs,
                         potts_mean_field)
from ._options import RecallOptions, RecallResult, free_sites
from ._zero_temperature import (binary_async, binary_sync, potts_async, potts_sync,
                                run_potts_recall, run_recall)

__all__ = ["DYNAMICS", "FINITE_TEMPERATURE", "Dynamics", "RecallOptions", "RecallResult",
           "code_marginals", "complete_codes", "complete_spins", "free_sites", "ising_samples",
           "marginal_method", "spin_marginals"]


@dataclass(frozen=True)
class Dynamics:
    """One ``recall`` option: its binary and Potts functions.

    Attributes
    ----------
    binary, potts : callable
        Zero temperature: the row functions of
        :mod:`sklearn_plm._recall._zero_temperature`. Finite temperature:
        the marginal functions of :mod:`sklearn_plm._recall._marginals`.
    finite_temperature : bool
        The functions return marginals rather than final states.
    seeded : bool
        Each call draws a ``seed`` from the estimator's ``random_state``
        (for the site orders or chains; mean-field draws one too, so that the
        seeds an estimator draws do not depend on which options ran before).
    """

    binary: Callable
    potts: Callable
    finite_temperature: bool
    seeded: bool


#: The recall options of the estimators, by name.
DYNAMICS = {
    "sync": Dynamics(binary_sync, potts_sync, finite_temperature=False, seeded=False),
    "async": Dynamics(binary_async, potts_async, finite_temperature=False, seeded=True),
    "mean-field": Dynamics(ising_mean_field, potts_mean_field, finite_temperature=True,
                           seeded=True),
    "gibbs": Dynamics(ising_gibbs, potts_gibbs, finite_temperature=True, seeded=True),
}

#: Names of the options that estimate marginals.
FINITE_TEMPERATURE = tuple(name for name, d in DYNAMICS.items() if d.finite_temperature)


def marginal_method(method):
    """The marginals ``predict_proba`` uses under ``recall=method``.

    The option itself when it estimates marginals, else mean-field.
    """
    return method if DYNAMICS[method].finite_temperature else "mean-field"


def spin_marginals(S, free, J, b, beta, options):
    """``(P(s = +1), n_iter, converged)`` of binary states by ``options.method``.

    ``options.method`` must be a finite-temperature option.
    """
    return DYNAMICS[options.method].binary(S, free, J, b, beta, options)


def code_marginals(codes, free, J, h, beta, options):
    """``(P(x = a), n_iter, converged)`` of Potts codes by ``options.method``.

    ``options.method`` must be a finite-temperature option.
    """
    return DYNAMICS[options.method].potts(codes, free, J, h, beta, options)


def complete_spins(S, free, J, b, beta, options):
    """Complete spins S ({-1, 0, +1}, 0 unknown) by ``options.method``.

    Returns ``(S, n_iter, converged)``; zero-temperature dynamics update S in
    place, finite-temperature ones return the more probable spin of each
    entry (float64).
    """
    dynamics = DYNAMICS[options.method]
    if dynamics.finite_temperature:
        P, n_iter, converged = dynamics.binary(S, free, J, b, beta, options)
        return np.where(P > 0.5, 1.0, -1.0), n_iter, converged
    return run_recall(S, free, J, b, dynamics.binary, options)


def complete_codes(codes, free, J, h, beta, options):
    """Complete Potts codes (int32, -1 unknown) by ``options.method``.

    Returns ``(codes, n_iter, converged)``; zero-temperature dynamics update
    ``codes`` in place, finite-temperature ones return the most probable
    state of each entry.
    """
    dynamics = DYNAMICS[options.method]
    if dynamics.finite_temperature:
        P, n_iter, converged = dynamics.potts(codes, free, J, h, beta, options)
        return P.argmax(axis=2), n_iter, converged
    return run_potts_recall(codes, free, J, h, dynamics.potts, options)
