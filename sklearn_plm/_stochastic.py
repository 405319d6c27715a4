"""Stochastic optimization of a datafit + penalty over mini-batches.

Used by ``partial_fit``: each call takes one Adam step on the objective
evaluated on the given mini-batch (the mean over its samples plus the full
penalty, an unbiased estimate of the full objective's gradient).
"""

import numpy as np

from ._solvers import _objective

_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8
# The step size decays as 1 / sqrt(1 + t / _DECAY_STEPS), so the iterates
# settle at the optimum instead of wandering at the scale of the step.
_DECAY_STEPS = 100


class AdamState:
    """Parameters and Adam moments carried between ``partial_fit`` calls."""

    def __init__(self, coef):
        self.coef = np.array(coef, dtype=np.float64)
        self.m = np.zeros_like(self.coef)
        self.v = np.zeros_like(self.coef)
        self.t = 0


def adam_step(state, datafit, penalty, learning_rate, symmetric, n_threads=1):
    """One Adam step on all sites; returns the mini-batch objective before the step."""
    fun, _ = _objective(datafit, penalty, 0, datafit.n_sites, n_threads, symmetric)
    loss, grad = fun(state.coef.ravel())
    grad = grad.reshape(state.coef.shape)
    state.t += 1
    state.m *= _BETA1
    state.m += (1 - _BETA1) * grad
    state.v *= _BETA2
    state.v += (1 - _BETA2) * grad**2
    m_hat = state.m / (1 - _BETA1**state.t)
    v_hat = state.v / (1 - _BETA2**state.t)
    step = learning_rate / np.sqrt(1.0 + state.t / _DECAY_STEPS)
    state.coef -= step * m_hat / (np.sqrt(v_hat) + _EPS)
    return loss
