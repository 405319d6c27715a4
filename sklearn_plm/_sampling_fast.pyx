# Gibbs sweeps for binary (Ising) and categorical (Potts) networks.
# The Python layer (sklearn_plm/_sampling.py) validates parameters, lays them
# out contiguously in float64, seeds the chains and calls these kernels in
# chunks of chains and sweeps, so that Ctrl-C gets through between calls.
#
# Each chain (a row of `state`) owns a xorshift64* generator whose state is
# kept in `rng` between calls, so a run split into several calls draws the
# same numbers as one long call, and results do not depend on the number of
# threads. A sweep visits the free sites in the order 0, 1, ..., N-1 and
# redraws each from its conditional given the current state of the others;
# clamped sites (free == 0) keep their value. When `proba` has rows, every
# update adds the conditional probabilities it drew from (Rao-Blackwellized
# marginals), which the caller divides by the number of sweeps.

from cython.parallel cimport parallel, prange
from libc.math cimport exp
from libc.stdint cimport uint64_t
from libc.stdlib cimport free as c_free, malloc
from ._random cimport splitmix64, xorshift_next as _next


cdef inline double _uniform(uint64_t *state) noexcept nogil:
    # 53 random bits -> [0, 1)
    return <double>(_next(state) >> 11) * (1.0 / 9007199254740992.0)


def seed_chains(const uint64_t[::1] seeds, uint64_t[::1] rng):
    """Generator state of each chain from its seed (never the stuck state 0)."""
    cdef Py_ssize_t c
    cdef uint64_t s
    for c in range(seeds.shape[0]):
        s = splitmix64(seeds[c])
        rng[c] = 1 if s == 0 else s


def random_spins(double[:, ::1] state, const unsigned char[:, ::1] free, uint64_t[::1] rng):
    """Uniform +/-1 at the free sites of each chain."""
    cdef Py_ssize_t c, i
    with nogil:
        for c in range(state.shape[0]):
            for i in range(state.shape[1]):
                if free[c, i]:
                    state[c, i] = 1.0 if _uniform(&rng[c]) < 0.5 else -1.0


def random_codes(int[:, ::1] state, const unsigned char[:, ::1] free, uint64_t[::1] rng,
                 int q):
    """Uniform codes 0..q-1 at the free sites of each chain."""
    cdef Py_ssize_t c, i
    with nogil:
        for c in range(state.shape[0]):
            for i in range(state.shape[1]):
                if free[c, i]:
                    state[c, i] = <int>(_uniform(&rng[c]) * q)


def ising_sweeps(
    double[:, ::1] state,               # IN/OUT: spins in {-1, +1}, (n_chains, n_sites)
    const unsigned char[:, ::1] free,   # IN: 1 where a site is redrawn (0 = clamped)
    const double[:, ::1] J,             # IN: couplings (n_sites, n_sites); the diagonal is ignored
    const double[::1] b,                # IN: fields (n_sites,)
    double beta,
    int n_sweeps,
    uint64_t[::1] rng,                  # IN/OUT: generator state of each chain
    double[:, ::1] proba,               # OUT (+=): sum of p(s_i = +1 | rest), or shape (0, 0)
    int n_threads,
):
    """Sweeps of ``p(s_i = +1 | rest) = sigmoid(2 beta h_i)``, ``h_i = b_i + sum_j J_ij s_j``."""
    cdef Py_ssize_t n_chains = state.shape[0], n_sites = state.shape[1]
    cdef bint accumulate = proba.shape[0] > 0
    cdef Py_ssize_t c, i, j
    cdef int sweep
    cdef double h, p
    for c in prange(n_chains, nogil=True, num_threads=n_threads, schedule="dynamic"):
        for sweep in range(n_sweeps):
            for i in range(n_sites):
                if not free[c, i]:
                    continue
                h = b[i]
                for j in range(n_sites):
                    if j != i:
                        h = h + J[i, j] * state[c, j]
                # p(+1) = 1 / (1 + exp(-2 beta h)); exp overflow gives p = 0, as it should
                p = 1.0 / (1.0 + exp(-2.0 * beta * h))
                if accumulate:
                    proba[c, i] = proba[c, i] + p
                if _uniform(&rng[c]) < p:
                    state[c, i] = 1.0
                else:
                    state[c, i] = -1.0


def potts_sweeps(
    int[:, ::1] state,                  # IN/OUT: codes in 0..q-1, (n_chains, n_sites)
    const unsigned char[:, ::1] free,   # IN: 1 where a site is redrawn (0 = clamped)
    const double[:, :, ::1] W,          # IN: W[i, j*q + b, a] = J[i, j, a, b]
    const double[:, ::1] h,             # IN: fields (n_sites, q)
    double beta,
    int n_sweeps,
    uint64_t[::1] rng,                  # IN/OUT: generator state of each chain
    double[:, :, ::1] proba,            # OUT (+=): sum of p(x_i = a | rest), or shape (0, 0, 0)
    int n_threads,
):
    """Sweeps of ``p(x_i = a | rest) = softmax_a(beta (h_i(a) + sum_j J[i, j, a, x_j]))``."""
    cdef Py_ssize_t n_chains = state.shape[0], n_sites = state.shape[1], q = W.shape[2]
    cdef bint accumulate = proba.shape[0] > 0
    cdef Py_ssize_t c, i, j, a, pick
    cdef int sweep
    cdef double m, s, u
    cdef double *z = NULL
    cdef const double *wrow
    cdef int failed = 0
    cdef int *failed_ptr = &failed  # shared: set where a malloc failed
    with nogil, parallel(num_threads=n_threads):
        z = <double *> malloc(q * sizeof(double))
        for c in prange(n_chains, schedule="dynamic"):
            if z == NULL:
                failed_ptr[0] = 1
                continue
            for sweep in range(n_sweeps):
                for i in range(n_sites):
                    if not free[c, i]:
                        continue
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
                    if accumulate:
                        for a in range(q):
                            proba[c, i, a] = proba[c, i, a] + z[a] / s
                    # inverse CDF; the last state absorbs rounding at the top
                    u = _uniform(&rng[c]) * s
                    pick = q - 1
                    for a in range(q - 1):
                        u = u - z[a]
                        if u < 0.0:
                            pick = a
                            break
                    state[c, i] = <int>pick
        c_free(z)
    if failed:
        raise MemoryError("Potts Gibbs sampler: a thread could not allocate its work buffer")
