# Gibbs samplers for binary (Ising) and categorical (Potts) networks.
# The Python layer (sklearn_plm/_sampling.py) validates parameters, lays them
# out contiguously in float64 and draws one seed per chain.
#
# Chains are independent and run in parallel; chain c writes the samples
# c*m .. c*m + m - 1 (m = ceil(n_samples / n_chains)): the first after
# `burn_in` sweeps from a uniformly random state, the next ones `n_sweeps`
# sweeps apart. A sweep visits the sites in the order 0, 1, ..., N-1 and
# redraws each from its conditional given the current state of the others.
# Each chain has its own xorshift64* generator, so results do not depend on
# the number of threads.

from cython.parallel cimport parallel, prange
from libc.math cimport exp
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc
from ._random cimport splitmix64, xorshift_next as _next



cdef inline double _uniform(uint64_t *state) noexcept nogil:
    # 53 random bits -> [0, 1)
    return <double>(_next(state) >> 11) * (1.0 / 9007199254740992.0)


cdef inline uint64_t _seed(uint64_t seed) noexcept nogil:
    cdef uint64_t s = splitmix64(seed)
    if s == 0:  # the one state xorshift never leaves
        s = 1
    return s


def gibbs_ising_chains(
    double[:, ::1] out,            # OUT: samples in {-1, +1}, (n_samples, n_sites)
    double[:, ::1] state,          # WORK: current state of each chain, (n_chains, n_sites)
    const double[:, ::1] J,        # IN: couplings (n_sites, n_sites); the diagonal is ignored
    const double[::1] b,           # IN: fields (n_sites,)
    double beta,
    int burn_in,
    int n_sweeps,
    const uint64_t[::1] seeds,     # IN: one seed per chain
    int n_threads,
):
    """Gibbs chains: ``p(s_i = +1 | rest) = sigmoid(2 beta h_i)``, ``h_i = b_i + sum_j J_ij s_j``."""
    cdef Py_ssize_t n_samples = out.shape[0], n_sites = out.shape[1]
    cdef Py_ssize_t n_chains = state.shape[0]
    cdef Py_ssize_t per_chain = (n_samples + n_chains - 1) // n_chains
    cdef Py_ssize_t c, k, k0, k1, i, j
    cdef int sweep, n_run
    cdef uint64_t rng
    cdef double h
    for c in prange(n_chains, nogil=True, num_threads=n_threads, schedule="dynamic"):
        rng = _seed(seeds[c])
        for i in range(n_sites):
            state[c, i] = 1.0 if _uniform(&rng) < 0.5 else -1.0
        k0 = c * per_chain
        k1 = min(k0 + per_chain, n_samples)
        for k in range(k0, k1):
            n_run = burn_in if k == k0 else n_sweeps
            for sweep in range(n_run):
                for i in range(n_sites):
                    h = b[i]
                    for j in range(n_sites):
                        if j != i:
                            h = h + J[i, j] * state[c, j]
                    # p(+1) = 1 / (1 + exp(-2 beta h)); exp overflow gives p = 0, as it should
                    if _uniform(&rng) * (1.0 + exp(-2.0 * beta * h)) < 1.0:
                        state[c, i] = 1.0
                    else:
                        state[c, i] = -1.0
            for i in range(n_sites):
                out[k, i] = state[c, i]


def gibbs_potts_chains(
    int[:, ::1] out,               # OUT: samples, codes in 0..q-1, (n_samples, n_sites)
    int[:, ::1] state,             # WORK: current state of each chain, (n_chains, n_sites)
    const double[:, :, ::1] W,     # IN: W[i, j*q + b, a] = J[i, j, a, b], (n_sites, n_sites*q, q)
    const double[:, ::1] h,        # IN: fields (n_sites, q)
    double beta,
    int burn_in,
    int n_sweeps,
    const uint64_t[::1] seeds,     # IN: one seed per chain
    int n_threads,
):
    """Gibbs chains: ``p(x_i = a | rest) = softmax_a(beta (h_i(a) + sum_j J[i, j, a, x_j]))``."""
    cdef Py_ssize_t n_samples = out.shape[0], n_sites = out.shape[1]
    cdef Py_ssize_t n_chains = state.shape[0], q = W.shape[2]
    cdef Py_ssize_t per_chain = (n_samples + n_chains - 1) // n_chains
    cdef Py_ssize_t c, k, k0, k1, i, j, a, pick
    cdef int sweep, n_run
    cdef uint64_t rng
    cdef double m, s, u
    cdef double *z = NULL
    cdef const double *wrow
    with nogil, parallel(num_threads=n_threads):
        z = <double *> malloc(q * sizeof(double))
        for c in prange(n_chains, schedule="dynamic"):
            rng = _seed(seeds[c])
            for i in range(n_sites):
                state[c, i] = <int>(_uniform(&rng) * q)
            k0 = c * per_chain
            k1 = min(k0 + per_chain, n_samples)
            for k in range(k0, k1):
                n_run = burn_in if k == k0 else n_sweeps
                for sweep in range(n_run):
                    for i in range(n_sites):
                        for a in range(q):
                            z[a] = h[i, a]
                        for j in range(n_sites):
                            if j == i:
                                continue
                            wrow = &W[i, j * q + state[c, j], 0]
                            for a in range(q):
                                z[a] = z[a] + wrow[a]
                        m = beta * z[0]
                        for a in range(1, q):
                            if beta * z[a] > m:
                                m = beta * z[a]
                        s = 0.0
                        for a in range(q):
                            z[a] = exp(beta * z[a] - m)
                            s = s + z[a]
                        # inverse CDF; the last state absorbs rounding at the top
                        u = _uniform(&rng) * s
                        pick = q - 1
                        for a in range(q - 1):
                            u = u - z[a]
                            if u < 0.0:
                                pick = a
                                break
                        state[c, i] = <int>pick
                for i in range(n_sites):
                    out[k, i] = state[c, i]
        free(z)
