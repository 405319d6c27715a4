# Zero-temperature asynchronous dynamics for binary networks.
# The Python layer (sklearn_plm/_recall.py) validates shapes, dtypes and
# contiguity and computes the initial fields with one GEMM.

from cython cimport floating
from cython.parallel cimport parallel, prange, threadid
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc


cdef inline uint64_t _next(uint64_t *state) noexcept nogil:
    # xorshift64*: small, fast, and reproducible across platforms
    cdef uint64_t x = state[0]
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    state[0] = x
    return x * <uint64_t>2685821657736338717ULL


def async_recall(
    floating[:, ::1] S,                 # IN/OUT: states in {-1, 0, +1}, (n_samples, n_sites)
    floating[:, ::1] H,                 # IN/OUT: local fields S @ J.T + b, kept up to date
    const floating[:, ::1] JT,          # IN: couplings transposed, JT[j, i] = J[i, j]
    const unsigned char[:, ::1] free,   # IN: 1 where a site may change (0 = clamped)
    int max_sweeps,
    uint64_t seed,
    int[::1] n_iter,                    # OUT: sweeps run per sample
    unsigned char[::1] converged,       # OUT: 1 if a full sweep changed nothing
    int[:, ::1] order,                  # WORK: (n_threads, n_sites) site order per thread
    int n_threads,
):
    """Random-order sequential sweeps until a sweep flips no spin.

    Every sample follows the same sequence of site permutations (drawn from
    ``seed``), so the result of a row never depends on the other rows.
    A zero field keeps the current spin.
    """
    cdef Py_ssize_t n_samples = S.shape[0], n_sites = S.shape[1]
    cdef Py_ssize_t mu, k, i, j, tid
    cdef int sweep, flips
    cdef uint64_t state
    cdef floating h, s, new, delta
    for mu in prange(n_samples, nogil=True, num_threads=n_threads, schedule="dynamic"):
        tid = threadid()
        state = seed | 1
        for k in range(n_sites):
            order[tid, k] = <int>k
        converged[mu] = 0
        n_iter[mu] = 0
        for sweep in range(max_sweeps):
            # Fisher-Yates shuffle of the current order
            for k in range(n_sites - 1, 0, -1):
                j = <Py_ssize_t>(_next(&state) % <uint64_t>(k + 1))
                i = order[tid, k]
                order[tid, k] = order[tid, j]
                order[tid, j] = <int>i
            flips = 0
            for k in range(n_sites):
                i = order[tid, k]
                if not free[mu, i]:
                    continue
                h = H[mu, i]
                s = S[mu, i]
                if h > 0:
                    new = 1
                elif h < 0:
                    new = -1
                else:
                    new = s
                if new != s:
                    delta = new - s
                    S[mu, i] = new
                    for j in range(n_sites):
                        H[mu, j] = H[mu, j] + delta * JT[i, j]
                    flips = flips + 1
            n_iter[mu] = sweep + 1
            if flips == 0:
                converged[mu] = 1
                break


def sync_step(
    floating[:, ::1] S,                 # IN/OUT: states in {-1, 0, +1}, (n_samples, n_sites)
    floating[:, ::1] H,                 # IN/OUT: local fields S @ J.T + b
    const floating[:, ::1] JT,          # IN: couplings transposed, JT[j, i] = J[i, j]
    const unsigned char[:, ::1] movable,  # IN: 1 where a site may change (0 = clamped)
    int max_sparse,
    int[::1] n_flips,                   # OUT: spins flipped in each row
    int n_threads,
):
    """One synchronous step ``s_i <- sign(h_i)`` of every row (a zero field keeps the spin).

    A row that flipped at most ``max_sparse`` spins gets its fields updated
    here, from the flipped spins only (``N`` operations per flip); the fields
    of a row with more flips are left stale, for the caller to recompute with
    one matrix product over all such rows, which is cheaper per flip.
    """
    cdef Py_ssize_t n_samples = S.shape[0], n_sites = S.shape[1]
    cdef Py_ssize_t mu, i, k
    cdef int nf
    cdef int *flipped
    cdef floating *delta
    cdef floating *s
    cdef floating *h
    cdef const floating *row
    cdef floating new, d
    with nogil, parallel(num_threads=n_threads):
        flipped = <int *> malloc(max(n_sites, 1) * sizeof(int))
        delta = <floating *> malloc(max(n_sites, 1) * sizeof(floating))
        for mu in prange(n_samples, schedule="dynamic"):
            s = &S[mu, 0]
            h = &H[mu, 0]
            nf = 0
            # every new spin is read from the fields of the previous state
            for i in range(n_sites):
                if not movable[mu, i]:
                    continue
                if h[i] > 0:
                    new = 1
                elif h[i] < 0:
                    new = -1
                else:
                    new = s[i]
                if new != s[i]:
                    flipped[nf] = <int>i
                    delta[nf] = new - s[i]
                    s[i] = new
                    nf = nf + 1
            n_flips[mu] = nf
            if nf <= max_sparse:
                for k in range(nf):
                    d = delta[k]
                    row = &JT[flipped[k], 0]
                    for i in range(n_sites):
                        h[i] = h[i] + d * row[i]
        free(flipped)
        free(delta)
