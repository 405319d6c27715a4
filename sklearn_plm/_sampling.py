"""Gibbs sampling from binary (Ising) and categorical (Potts) networks.

Both samplers run independent chains in parallel in a compiled kernel. Chain
``c`` starts from a uniformly random state and emits a block of consecutive
samples: the first after ``burn_in`` sweeps, the next ones ``n_sweeps``
sweeps apart. A sweep visits the sites in the order ``0, ..., N-1`` and
redraws each from its conditional given the others. Every chain has its own
generator, seeded from ``random_state`` up front, so the samples do not
depend on ``n_threads``. The compiled sweeps run in calls of bounded work,
so Ctrl-C stops a long run promptly.

For symmetric couplings the chain samples the Boltzmann distribution
``p(x) ~ exp(-beta E(x))``. For asymmetric couplings no such distribution
exists in general; the sampler then draws from the stationary distribution
of the Markov chain defined by the conditionals (with this sweep order).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from ._potts_layout import site_rows
from ._sklearn_compat import Interval, validate_params
from ._sampling_fast import (ising_sweeps, potts_sweeps, random_codes, random_spins,
                             seed_chains)
from ._validation import MAX_INT32

# Work (coupling reads) per compiled call: a small fraction of a second, so that
# Ctrl-C, which Python only sees between calls, stops a run of any length promptly.
_WORK_PER_CALL = 2 * 10**7


def _chain_setup(n_samples, n_chains, random_state):
    n_chains = n_samples if n_chains is None else min(int(n_chains), n_samples)
    rng = check_random_state(random_state)
    seeds = rng.randint(0, np.iinfo(np.int64).max, size=n_chains, dtype=np.int64)
    return n_chains, seeds.astype(np.uint64)


def start_chains(seeds, n_chains):
    """Generator states of ``n_chains`` chains from one seed each (or one seed for all)."""
    seeds = np.broadcast_to(np.asarray(seeds, dtype=np.uint64), (n_chains,))
    rng = np.empty(n_chains, dtype=np.uint64)
    seed_chains(np.ascontiguousarray(seeds), rng)
    return rng


def run_sweeps(kernel, state, free, params, beta, n_sweeps, rng, proba, cost, n_threads):
    """Call a compiled sweep kernel in chunks of chains and sweeps.

    ``kernel(state, free, *params, beta, n_sweeps, rng, proba, n_threads)``
    updates ``state``, ``rng`` and (when it has rows) ``proba`` in place;
    ``cost`` is the work of one sweep of one chain. Chains are independent
    and each keeps its own generator, so the chunking changes nothing in the
    result.
    """
    n_chains = state.shape[0]
    if n_chains == 0 or n_sweeps == 0:
        return
    rows = int(min(n_chains, max(n_threads, _WORK_PER_CALL // max(cost, 1))))
    sweeps = int(max(1, min(n_sweeps, _WORK_PER_CALL // max(rows * cost, 1))))
    for r0 in range(0, n_chains, rows):
        r = slice(r0, min(r0 + rows, n_chains))
        p = proba[r] if proba.shape[0] else proba
        for s0 in range(0, n_sweeps, sweeps):
            kernel(state[r], free[r], *params, beta, min(sweeps, n_sweeps - s0), rng[r], p,
                   n_threads)


def _draw_samples(kernel, state, rng, params, beta, n_samples, n_sweeps, burn_in, cost,
                  n_threads, empty_proba):
    """Samples of independent chains from random starts, consecutive per chain.

    Chain ``c`` emits samples ``c*m .. c*m + m - 1`` (``m = ceil(n_samples /
    n_chains)``): the first after ``burn_in`` sweeps, the next ones
    ``n_sweeps`` sweeps apart.
    """
    n_chains = state.shape[0]
    per_chain = -(-n_samples // n_chains)
    free = np.ones(state.shape, dtype=np.uint8)
    out = np.empty((n_samples, state.shape[1]), dtype=state.dtype)
    for t in range(per_chain):
        # chains with a sample number t: a prefix, as only the last ones have fewer
        active = -(-(n_samples - t) // per_chain)
        run_sweeps(kernel, state[:active], free[:active], params, beta,
                   burn_in if t == 0 else n_sweeps, rng[:active], empty_proba, cost, n_threads)
        out[np.arange(active) * per_chain + t] = state[:active]
    return out


def potts_sweep_params(J, h):
    """Potts parameters in the layout of the sweep kernel (site rows without fields), float64."""
    return site_rows(J), np.ascontiguousarray(h, dtype=np.float64)


def _check_finite(name, a):
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity; the sampler needs finite parameters.")


_COMMON_CONSTRAINTS = {
    "n_samples": [Interval(Integral, 1, None, closed="left")],
    "beta": [Interval(Real, 0, None, closed="left")],
    "n_sweeps": [Interval(Integral, 1, MAX_INT32, closed="both")],
    "burn_in": [Interval(Integral, 0, MAX_INT32, closed="both")],
    "n_chains": [Interval(Integral, 1, None, closed="left"), None],
    "random_state": ["random_state"],
    "n_threads": [Interval(Integral, 1, None, closed="left")],
}


@validate_params(
    {"J": ["array-like"], "b": ["array-like", None], **_COMMON_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def gibbs_ising(J, b=None, n_samples=1, *, beta=1.0, n_sweeps=10, burn_in=100, n_chains=None,
                random_state=None, n_threads=1):
    """Draw spins from a binary network by Gibbs sampling.

    Site ``i`` is redrawn from ``p(s_i = +1 | rest) = sigmoid(2 beta h_i)``
    with ``h_i = b_i + sum_{j != i} J_ij s_j``, the conditional that the
    binary pseudo-likelihood fits. For symmetric ``J`` the samples follow
    ``p(s) ~ exp(beta (s.J.s / 2 + b.s))``.

    Parameters
    ----------
    J : array-like of shape (n_sites, n_sites)
        Couplings; the diagonal is ignored.
    b : array-like of shape (n_sites,), default=None
        Fields; None means zero fields.
    n_samples : int, default=1
        Number of samples.
    beta : float, default=1.0
        Inverse temperature (use ``beta / temperature`` to sample hotter).
    n_sweeps : int, default=10
        Sweeps between two samples of the same chain.
    burn_in : int, default=100
        Sweeps before the first sample of each chain.
    n_chains : int, default=None
        Independent chains; None runs one chain per sample (then
        ``n_sweeps`` plays no role). Capped at ``n_samples``.
    random_state : int, RandomState instance or None, default=None
        Seeds the chains.
    n_threads : int, default=1
        OpenMP threads (chains run in parallel).

    Returns
    -------
    S : ndarray of shape (n_samples, n_sites)
        Spins in {-1, +1}, float64. Samples of one chain are consecutive rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm._sampling import gibbs_ising
    >>> J = np.array([[0.0, 2.0], [2.0, 0.0]])
    >>> S = gibbs_ising(J, n_samples=2000, burn_in=10, random_state=0)
    >>> bool(np.mean(S[:, 0] == S[:, 1]) > 0.95)
    True
    """
    J = np.ascontiguousarray(J, dtype=np.float64)
    if J.ndim != 2 or J.shape[0] != J.shape[1]:
        raise ValueError(f"J must be a square matrix (n_sites, n_sites); got shape {J.shape}.")
    n_sites = J.shape[0]
    b = np.zeros(n_sites) if b is None else np.ascontiguousarray(b, dtype=np.float64).ravel()
    if b.shape != (n_sites,):
        raise ValueError(f"b must have shape ({n_sites},) to match J; got {b.shape}.")
    _check_finite("J", J)
    _check_finite("b", b)
    n_chains, seeds = _chain_setup(n_samples, n_chains, random_state)
    rng = start_chains(seeds, n_chains)
    state = np.empty((n_chains, n_sites), dtype=np.float64)
    random_spins(state, np.ones(state.shape, dtype=np.uint8), rng)
    return _draw_samples(ising_sweeps, state, rng, (J, b), float(beta), n_samples,
                         int(n_sweeps), int(burn_in), n_sites * n_sites, int(n_threads),
                         np.empty((0, 0)))


@validate_params(
    {"J": ["array-like"], "h": ["array-like", None], **_COMMON_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def gibbs_potts(J, h=None, n_samples=1, *, beta=1.0, n_sweeps=10, burn_in=100, n_chains=None,
                random_state=None, n_threads=1):
    """Draw categorical states from a Potts network by Gibbs sampling.

    Site ``i`` is redrawn from ``p(x_i = a | rest) = softmax_a(beta H_i(a))``
    with ``H_i(a) = h[i, a] + sum_{j != i} J[i, j, a, x_j]``, the conditional
    that the Potts pseudo-likelihood fits. For ``J[i, j, a, b] = J[j, i, b, a]``
    the samples follow ``p(x) ~ exp(beta (sum_i h_i(x_i) + sum_{i<j} J[i, j, x_i, x_j]))``.

    Parameters
    ----------
    J : array-like of shape (n_sites, n_sites, n_states, n_states)
        Couplings; the blocks ``J[i, i]`` are ignored.
    h : array-like of shape (n_sites, n_states), default=None
        Fields; None means zero fields.
    n_samples : int, default=1
        Number of samples.
    beta : float, default=1.0
        Inverse temperature.
    n_sweeps : int, default=10
        Sweeps between two samples of the same chain.
    burn_in : int, default=100
        Sweeps before the first sample of each chain.
    n_chains : int, default=None
        Independent chains; None runs one chain per sample. Capped at
        ``n_samples``.
    random_state : int, RandomState instance or None, default=None
        Seeds the chains.
    n_threads : int, default=1
        OpenMP threads (chains run in parallel).

    Returns
    -------
    X : ndarray of shape (n_samples, n_sites)
        State codes in ``0, ..., n_states - 1`` (int32). Samples of one chain
        are consecutive rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm._sampling import gibbs_potts
    >>> h = np.log([[0.7, 0.2, 0.1]])
    >>> X = gibbs_potts(np.zeros((1, 1, 3, 3)), h, n_samples=4000, burn_in=1, random_state=0)
    >>> np.round(np.bincount(X[:, 0]) / 4000, 1)
    array([0.7, 0.2, 0.1])
    """
    J = np.asarray(J, dtype=np.float64)
    if J.ndim != 4 or J.shape[0] != J.shape[1] or J.shape[2] != J.shape[3]:
        raise ValueError(
            "J must have shape (n_sites, n_sites, n_states, n_states); got shape "
            f"{J.shape}.")
    n_sites, q = J.shape[0], J.shape[2]
    h = np.zeros((n_sites, q)) if h is None else np.asarray(h, dtype=np.float64)
    if h.shape != (n_sites, q):
        raise ValueError(f"h must have shape ({n_sites}, {q}) to match J; got {h.shape}.")
    _check_finite("J", J)
    _check_finite("h", h)
    W, h = potts_sweep_params(J, h)
    n_chains, seeds = _chain_setup(n_samples, n_chains, random_state)
    rng = start_chains(seeds, n_chains)
    state = np.empty((n_chains, n_sites), dtype=np.int32)
    random_codes(state, np.ones(state.shape, dtype=np.uint8), rng, q)
    return _draw_samples(potts_sweeps, state, rng, (W, h), float(beta), n_samples,
                         int(n_sweeps), int(burn_in), n_sites * n_sites * q, int(n_threads),
                         np.empty((0, 0, 0)))
