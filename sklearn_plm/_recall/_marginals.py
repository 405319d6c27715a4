"""Finite-temperature completion: marginals of the unknown entries given the known ones.

Zero-temperature recall (:mod:`sklearn_plm._recall._zero_temperature`) finds
an attractor. An imputer needs, for every unknown entry, its marginal under
the model given the known entries. Two estimators of these marginals, for
binary (Ising) and categorical (Potts) models, each one function per model
with a fixed signature, listed in :data:`sklearn_plm._recall.DYNAMICS`:
``(states, free, J, fields, beta, options) -> (P, n_iter, converged)``.

``"mean-field"``
    Damped parallel iteration of the naive mean-field equations
    ``m_i = tanh(beta h_i(m))`` (binary) or ``p_i = softmax(beta H_i(p))``
    (Potts), the known entries held at their values. Fast and deterministic.
``"gibbs"``
    One Gibbs chain per row on the fitted conditionals, the known entries
    clamped, from a random start: ``burn_in`` sweeps, then ``n_sweeps``
    sweeps over which the conditional probabilities of each update are
    averaged (a Rao-Blackwellized estimate of the marginals). Every row's
    chain draws from the same seed, so a row's result does not depend on the
    other rows of the batch.

The conditionals are taken at ``beta / options.temperature``.
"""

import numpy as np

from .._potts_layout import field_columns
from .._sampling import potts_sweep_params, run_sweeps, start_chains
from .._sampling_fast import ising_sweeps, potts_sweeps, random_codes, random_spins

# Mean-field: stop a row when no marginal moved by more than this in a step;
# the damping (weight of the previous iterate) keeps parallel updates with
# asymmetric or strong couplings from oscillating.
MEAN_FIELD_TOL = 1e-4
MEAN_FIELD_DAMPING = 0.5


def _mean_field(M, free, fields, update, max_iter):
    """Damped parallel fixed-point iteration ``M <- update(fields(M))`` on the free entries.

    Rows whose largest change falls below ``MEAN_FIELD_TOL`` leave the active
    set. ``M`` is updated in place; returns the steps and convergence per row.
    """
    n_samples = M.shape[0]
    n_iter = np.zeros(n_samples, dtype=np.int32)
    converged = np.zeros(n_samples, dtype=bool)
    rows = np.arange(n_samples)
    for _ in range(max_iter):
        Ma, fa = M[rows], free[rows]
        new = np.where(fa, update(fields(Ma)), Ma)
        new = MEAN_FIELD_DAMPING * Ma + (1.0 - MEAN_FIELD_DAMPING) * new
        change = np.max(np.abs(new - Ma), axis=1, initial=0.0)
        M[rows] = new
        n_iter[rows] += 1
        done = change < MEAN_FIELD_TOL
        converged[rows[done]] = True
        rows = rows[~done]
        if rows.size == 0:
            break
    return n_iter, converged


def _ising_arrays(S, J, b):
    return (np.asarray(S, dtype=np.float64), np.ascontiguousarray(J, dtype=np.float64),
            np.ascontiguousarray(b, dtype=np.float64))


def ising_mean_field(S, free, J, b, beta, options):
    """``P(s_i = +1 | held entries)`` by damped mean-field iteration.

    Parameters
    ----------
    S : ndarray of shape (n_samples, n_sites)
        Spins in {-1, 0, +1}; 0 is unknown.
    free : ndarray of bool, same shape
        Entries to infer; the others are held at their value (an unknown
        entry that is not free counts as 0).
    J, b : ndarrays of shape (n_sites, n_sites) and (n_sites,)
        Couplings (zero diagonal) and fields.
    beta : float
        Inverse temperature of the model's conditionals.
    options : RecallOptions
        ``max_iter`` steps at most, at ``beta / temperature``.

    Returns
    -------
    P : ndarray of shape (n_samples, n_sites), float64
        Marginals; a held entry gets 1 where it is +1 and 0 where it is -1.
    n_iter : ndarray of shape (n_samples,)
        Mean-field steps.
    converged : ndarray of shape (n_samples,)
        Rows that reached ``MEAN_FIELD_TOL``.
    """
    S, J, b = _ising_arrays(S, J, b)
    beta = beta / options.temperature
    M = S.copy()
    JT = np.ascontiguousarray(J.T)
    n_iter, converged = _mean_field(M, free, lambda m: m @ JT + b,
                                    lambda h: np.tanh(beta * h), options.max_iter)
    return (M + 1.0) / 2.0, n_iter, converged


def ising_gibbs(S, free, J, b, beta, options):
    """``P(s_i = +1 | held entries)`` from clamped Gibbs chains.

    As :func:`ising_mean_field`, with one chain per row (``burn_in`` then
    ``n_sweeps`` sweeps, seeded by ``seed``, ``n_threads`` threads);
    ``n_iter`` counts the sweeps and ``converged`` is all True.
    """
    S, J, b = _ising_arrays(S, J, b)
    beta = beta / options.temperature
    state, free_u8, rng = _burnt_in_ising_chains(S, free, J, b, beta, options.burn_in,
                                                 options.seed, options.n_threads)
    proba = _average_conditionals(ising_sweeps, state, free_u8, (J, b), beta, options.n_sweeps,
                                  rng, S.shape[1] ** 2, options.n_threads)
    P = np.where(free, proba, (S > 0).astype(np.float64))
    return P, *_gibbs_counts(S.shape[0], options.burn_in, options.n_sweeps)


def ising_samples(S, free, J, b, beta, n_draws, options):
    """``n_draws`` states per row from clamped Gibbs chains (multiple imputation).

    Draw ``k`` of every row comes from its own chain seeded by
    ``options.seed + k``, after ``options.burn_in`` sweeps at ``beta /
    options.temperature``. Returns an array of shape ``(n_samples * n_draws,
    n_sites)`` in {-1, +1}; the draws of a row are consecutive.
    """
    S = np.repeat(np.asarray(S, dtype=np.float64), n_draws, axis=0)
    free = np.repeat(free, n_draws, axis=0)
    seeds = np.uint64(options.seed) + np.tile(np.arange(n_draws, dtype=np.uint64),
                                              len(S) // n_draws)
    J = np.ascontiguousarray(J, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    return _burnt_in_ising_chains(S, free, J, b, beta / options.temperature, options.burn_in,
                                  seeds, options.n_threads)[0]


def _burnt_in_ising_chains(S, free, J, b, beta, burn_in, seed, n_threads):
    """One chain per row from a random start at the free sites, after ``burn_in`` sweeps."""
    state = np.array(S, dtype=np.float64, order="C")  # the chains run in place
    free_u8 = np.ascontiguousarray(free, dtype=np.uint8)
    rng = start_chains(seed, S.shape[0])
    random_spins(state, free_u8, rng)
    run_sweeps(ising_sweeps, state, free_u8, (J, b), float(beta), int(burn_in), rng,
               np.empty((0, 0)), S.shape[1] ** 2, n_threads)
    return state, free_u8, rng


def _potts_onehot(codes, q):
    n_samples, N = codes.shape
    onehot = np.zeros((n_samples, N, q))
    known = codes >= 0
    onehot[known, codes[known]] = 1.0
    return onehot


def potts_mean_field(codes, free, J, h, beta, options):
    """``P(x_i = a | held entries)`` by damped mean-field iteration.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_sites), int
        States ``0..q-1``; -1 is unknown.
    free : ndarray of bool, same shape
        Entries to infer; the others are held at their state (an unknown
        entry that is not free adds nothing to the fields).
    J, h : ndarrays of shape (n_sites, n_sites, q, q) and (n_sites, q)
        Couplings (zero blocks on the diagonal) and fields.
    beta : float
        Inverse temperature of the model's conditionals.
    options : RecallOptions
        ``max_iter`` steps at most, at ``beta / temperature``.

    Returns
    -------
    P : ndarray of shape (n_samples, n_sites, q), float64
        Marginals; a held entry gets probability 1 on its state.
    n_iter, converged : ndarrays of shape (n_samples,)
        As in :func:`ising_mean_field`.
    """
    n_samples, N = codes.shape
    q = h.shape[1]
    beta = beta / options.temperature
    onehot = _potts_onehot(codes, q)
    M = np.where(free[..., None], 1.0 / q, onehot).reshape(n_samples, N * q)
    JT = field_columns(J, dtype=np.float64)
    hflat = np.asarray(h, dtype=np.float64).ravel()

    def softmax(H):
        Z = beta * H.reshape(H.shape[0], N, q)
        Z -= Z.max(axis=2, keepdims=True)
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=2, keepdims=True)
        return Z.reshape(H.shape)

    n_iter, converged = _mean_field(M, np.repeat(free, q, axis=1), lambda m: m @ JT + hflat,
                                    softmax, options.max_iter)
    return M.reshape(n_samples, N, q), n_iter, converged


def potts_gibbs(codes, free, J, h, beta, options):
    """``P(x_i = a | held entries)`` from clamped Gibbs chains.

    As :func:`potts_mean_field`, with one chain per row (see
    :func:`ising_gibbs`). Every unknown entry must be free.
    """
    n_samples, N = codes.shape
    q = h.shape[1]
    beta = beta / options.temperature
    onehot = _potts_onehot(codes, q)
    W, h64 = potts_sweep_params(J, h)
    state = np.ascontiguousarray(codes, dtype=np.int32).copy()
    free_u8 = np.ascontiguousarray(free, dtype=np.uint8)
    if np.any(state[~free] < 0):
        raise ValueError("Gibbs completion needs every unknown entry to be free.")
    rng = start_chains(np.uint64(options.seed), n_samples)
    random_codes(state, free_u8, rng, q)
    run_sweeps(potts_sweeps, state, free_u8, (W, h64), float(beta), int(options.burn_in), rng,
               np.empty((0, 0, 0)), N * N * q, options.n_threads)
    proba = _average_conditionals(potts_sweeps, state, free_u8, (W, h64), beta,
                                  options.n_sweeps, rng, N * N * q, options.n_threads)
    P = np.where(free_u8.astype(bool)[..., None], proba, onehot)
    return P, *_gibbs_counts(n_samples, options.burn_in, options.n_sweeps)


def _average_conditionals(kernel, state, free_u8, params, beta, n_sweeps, rng, cost,
                          n_threads):
    """Mean over ``n_sweeps`` sweeps of the conditionals each update drew from."""
    q = (params[1].shape[1],) if kernel is potts_sweeps else ()
    proba = np.zeros(state.shape + q)
    run_sweeps(kernel, state, free_u8, params, float(beta), int(n_sweeps), rng, proba, cost,
               n_threads)
    proba /= n_sweeps
    return proba


def _gibbs_counts(n_samples, burn_in, n_sweeps):
    return (np.full(n_samples, burn_in + n_sweeps, dtype=np.int32),
            np.ones(n_samples, dtype=bool))
