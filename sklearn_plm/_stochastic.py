"""Stochastic optimization of a datafit + penalty over mini-batches.

Used by ``partial_fit``: each call takes one Adam step on the objective
evaluated on the given mini-batch (the mean over its samples plus the full
penalty, an unbiased estimate of the full objective's gradient).
"""

import numpy as np

from ._solvers import _objective
from ._state import check_count, check_fitted_array, damaged_state

_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8
# The step size decays as 1 / sqrt(1 + t / _DECAY_STEPS), so the iterates
# settle at the optimum instead of wandering at the scale of the step.
_DECAY_STEPS = 100


class AdamState:
    """Parameters and Adam moments carried between ``partial_fit`` calls.

    A step never modifies a state: it returns a new one, so that a call
    that fails or is interrupted leaves the previous state whole.
    """

    def __init__(self, coef, m=None, v=None, t=0):
        self.coef = np.asarray(coef, dtype=np.float64)
        self.m = np.zeros_like(self.coef) if m is None else m
        self.v = np.zeros_like(self.coef) if v is None else v
        self.t = t

    def check(self, owner, n_sites, finite=False):
        """Raise unless the arrays agree with each other and with ``n_sites``.

        ``finite=True`` also scans them for NaN, infinity and negative second moments.
        """
        t = check_count(owner, "the Adam step count", self.t, low=0)
        coef = getattr(self, "coef", None)
        shape = getattr(coef, "shape", ())
        if len(shape) != 2 or shape[0] != n_sites or shape[1] not in (n_sites, n_sites + 1):
            raise damaged_state(owner, f"the Adam parameters have shape {shape}, expected "
                                f"({n_sites}, {n_sites}) or ({n_sites}, {n_sites + 1})")
        for name in ("coef", "m", "v"):
            check_fitted_array(owner, f"the Adam {name}", getattr(self, name, None), shape,
                               np.float64, finite)
        if finite and np.any(self.v < 0):
            raise damaged_state(owner, "the Adam second moments are negative")
        self.t = t


def adam_step(state, datafit, penalty, learning_rate, symmetric, n_threads=1):
    """One Adam step on all sites.

    Returns the new state and the mini-batch objective before the step;
    ``state`` is left unchanged.
    """
    fun, _ = _objective(datafit, penalty, 0, datafit.n_sites, n_threads, symmetric)
    loss, grad = fun(state.coef.ravel())
    # New moments and parameters, with the gradient's buffer as the only
    # temporary: a step costs 4 parameter-sized arrays besides the old state.
    g = grad.reshape(state.coef.shape)
    t = state.t + 1
    m = state.m * _BETA1
    g *= 1 - _BETA1
    m += g
    g *= g
    g *= (1 - _BETA2) / (1 - _BETA1) ** 2
    v = state.v * _BETA2
    v += g
    np.divide(v, 1 - _BETA2**t, out=g)
    np.sqrt(g, out=g)
    g += _EPS
    np.divide(m, g, out=g)
    g *= learning_rate / np.sqrt(1.0 + t / _DECAY_STEPS) / (1 - _BETA1**t)
    coef = state.coef - g
    return AdamState(coef, m, v, t), loss
