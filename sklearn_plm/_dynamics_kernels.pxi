# Zero-temperature asynchronous dynamics for binary networks, included by
# _dynamics_fast.pyx (baseline flags) and _dynamics_fast_avx2.pyx (built with
# -mavx2 -mfma on x86_64); sklearn_plm/_dynamics_dispatch.py picks one at import.
# The Python layer (sklearn_plm/_recall.py) validates shapes, dtypes and
# contiguity and computes the initial fields with one GEMM.

from cython cimport floating
from cython.parallel cimport parallel, prange, threadid
from libc.stdint cimport uint64_t
from libc.math cimport copysign, copysignf, fabs
from libc.stdlib cimport free, malloc
from ._random cimport shuffle


# The sparse field update (a sum of columns of J, four at a time) is the hot
# loop of recall. The baseline x86-64 build only has SSE2; the AVX2/FMA build
# of this file (_dynamics_fast_avx2, picked at import by _dynamics_dispatch.py
# like the Potts kernels) runs it ~1.5x faster.
cdef extern from *:
    """
    /* h += sum_k delta[flipped[k]] * JT[flipped[k], :], JT of shape (n, n) */
    static void plm_add_columns_f(float *h, const float *JT, Py_ssize_t n,
                                  const int *flipped, const float *delta,
                                  Py_ssize_t n_flipped)
    {
        Py_ssize_t i, k = 0;
        for (; k + 4 <= n_flipped; k += 4) {
            const float *r0 = JT + flipped[k] * n, *r1 = JT + flipped[k + 1] * n;
            const float *r2 = JT + flipped[k + 2] * n, *r3 = JT + flipped[k + 3] * n;
            float d0 = delta[flipped[k]], d1 = delta[flipped[k + 1]];
            float d2 = delta[flipped[k + 2]], d3 = delta[flipped[k + 3]];
            for (i = 0; i < n; i++)
                h[i] += (d0 * r0[i] + d1 * r1[i]) + (d2 * r2[i] + d3 * r3[i]);
        }
        for (; k < n_flipped; k++) {
            const float *r0 = JT + flipped[k] * n;
            float d0 = delta[flipped[k]];
            for (i = 0; i < n; i++)
                h[i] += d0 * r0[i];
        }
    }
    """
    void plm_add_columns_f(float *h, const float *JT, Py_ssize_t n, const int *flipped,
                           const float *delta, Py_ssize_t n_flipped) noexcept nogil


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
    const floating[::1] tie,            # IN: |h_i| <= tie[i] is a zero field (_ties.py)
):
    """Random-order sequential sweeps until a sweep flips no spin.

    Every sample follows the same sequence of site permutations (drawn from
    ``seed``), so the result of a row never depends on the other rows.
    A zero field (``|h_i| <= tie[i]``) keeps the current spin.
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
            shuffle(&order[tid, 0], n_sites, &state)
            flips = 0
            for k in range(n_sites):
                i = order[tid, k]
                if not free[mu, i]:
                    continue
                h = H[mu, i]
                s = S[mu, i]
                if h > tie[i]:
                    new = 1
                elif h < -tie[i]:
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


cdef inline int _sync_row(
    floating *s,                    # IN/OUT: one state
    const floating *h,              # IN: its fields
    const unsigned char *movable,   # IN: 1 where the spin may change
    const floating *tie,            # IN: |h_i| <= tie[i] is a zero field
    floating *delta,                # IN/OUT: new - old spin per site, of the last step, then of this one
    bint had_step,                  # IN: False if delta holds no previous step (then ignored)
    unsigned char *cycled,          # OUT: 1 if this step undid exactly the previous one
    Py_ssize_t n,
) noexcept nogil:
    # Arithmetic selects instead of branches so that the loop vectorizes: with
    # many flips per step (no retrieval) a branchy loop mispredicts on almost
    # every site, and the pass cost half as much as the matrix product.
    cdef Py_ssize_t i
    cdef int n_flips = 0, n_differ = 0
    cdef floating sign, d
    for i in range(n):
        if floating is float:
            sign = copysignf(1, h[i])
        else:
            sign = copysign(1, h[i])
        # keep the spin where the field is a tie or where it is clamped
        d = <floating>(fabs(h[i]) > tie[i]) * <floating>movable[i] * (sign - s[i])
        # The state of two steps ago is back iff this step undid the last one
        # (exact: the changes are small integers). Checked in this pass, no
        # copy or comparison of states needed.
        n_differ += d + delta[i] != 0
        delta[i] = d
        s[i] = s[i] + d
        n_flips += d != 0
    cycled[0] = had_step and n_differ == 0
    return n_flips


cdef inline void _add_columns(
    floating *h,                 # IN/OUT: fields of one row
    const floating[:, ::1] JT,   # IN: couplings transposed
    const int *flipped,          # IN: the flipped sites
    const floating *delta,       # IN: new - old spin, per site
    Py_ssize_t n_flipped,
) noexcept nogil:
    # h += sum_k delta_k JT[flipped_k], four columns per pass over h so that h
    # is loaded and stored once per four columns.
    cdef Py_ssize_t i, k, n = JT.shape[1]
    cdef const floating *r0
    cdef const floating *r1
    cdef const floating *r2
    cdef const floating *r3
    cdef floating d0, d1, d2, d3
    if floating is float:
        plm_add_columns_f(h, &JT[0, 0], n, flipped, delta, n_flipped)
    else:
        k = 0
        while k + 4 <= n_flipped:
            r0, d0 = &JT[flipped[k], 0], delta[flipped[k]]
            r1, d1 = &JT[flipped[k + 1], 0], delta[flipped[k + 1]]
            r2, d2 = &JT[flipped[k + 2], 0], delta[flipped[k + 2]]
            r3, d3 = &JT[flipped[k + 3], 0], delta[flipped[k + 3]]
            for i in range(n):
                h[i] = h[i] + ((d0 * r0[i] + d1 * r1[i]) + (d2 * r2[i] + d3 * r3[i]))
            k = k + 4
        while k < n_flipped:
            r0, d0 = &JT[flipped[k], 0], delta[flipped[k]]
            for i in range(n):
                h[i] = h[i] + d0 * r0[i]
            k = k + 1


def sync_step(
    floating[:, ::1] S,                 # IN/OUT: states in {-1, 0, +1}, (n_samples, n_sites)
    floating[:, ::1] H,                 # IN/OUT: local fields S @ J.T + b
    const floating[:, ::1] JT,          # IN: couplings transposed, JT[j, i] = J[i, j]
    const unsigned char[:, ::1] movable,  # IN: 1 where a site may change (0 = clamped)
    const Py_ssize_t[::1] rows,         # IN: the rows to step, distinct, in [0, n_samples)
    int max_sparse,
    int[::1] n_flips,                   # OUT: spins flipped in each stepped row (as rows)
    floating[:, ::1] delta,             # IN/OUT: new - old spin of the rows' last step, then this one
    bint had_step,                      # IN: False on the first step (delta holds nothing yet)
    unsigned char[::1] cycled,          # OUT: 1 where the row entered a 2-cycle (as rows)
    int n_threads,
    const floating[::1] tie,            # IN: |h_i| <= tie[i] is a zero field (_ties.py)
):
    """One synchronous step ``s_i <- sign(h_i)`` of the given rows (a zero field keeps the spin).

    A row that flipped at most ``max_sparse`` spins gets its fields updated
    here, from the flipped spins only (``N`` operations per flip); the fields
    of a row with more flips are left stale, for the caller to recompute with
    one matrix product over all such rows, which is cheaper per flip.

    ``delta`` keeps the change of each row's previous step, so ``cycled``
    can say where the new state is the one of two steps ago (the step undid
    the previous one). Rows not in ``rows`` are not touched, so the caller
    drops finished rows from ``rows`` instead of copying the active ones.
    """
    cdef Py_ssize_t n_active = rows.shape[0], n_sites = S.shape[1]
    cdef Py_ssize_t r, mu, j, nf, k
    cdef int *flipped = NULL
    cdef int failed = 0
    cdef int *failed_ptr = &failed  # shared: set where a malloc failed
    with nogil, parallel(num_threads=n_threads):
        flipped = <int *> malloc(max(n_sites, 1) * sizeof(int))
        for r in prange(n_active, schedule="dynamic"):
            if flipped == NULL:
                failed_ptr[0] = 1
                continue
            mu = rows[r]
            nf = _sync_row(&S[mu, 0], &H[mu, 0], &movable[mu, 0], &tie[0], &delta[mu, 0],
                           had_step, &cycled[r], n_sites)
            n_flips[r] = <int>nf
            if 0 < nf <= max_sparse:
                k = 0
                for j in range(n_sites):  # branch-free compaction of the flipped sites
                    flipped[k] = <int>j
                    k = k + (delta[mu, j] != 0)
                _add_columns(&H[mu, 0], JT, flipped, &delta[mu, 0], nf)
        free(flipped)
    if failed:
        raise MemoryError("sync_step: a thread could not allocate its work buffer")


def column_sumsq(const float[:, ::1] A, double[::1] out):
    """``out[j] = sum_i A[i, j]**2`` in float64, accumulated over ``i`` in order.

    The order (and the exact float64 squares of float32 values) is the one of
    ``np.add.reduce(A.astype(np.float64) ** 2, axis=0)`` on a C-contiguous
    ``A``, so the tie thresholds come out bit for bit the same, without the
    float64 copy of ``A`` (the largest cost of a recall call's set-up).
    """
    cdef Py_ssize_t n_rows = A.shape[0], n_cols = A.shape[1], i, j
    cdef double a
    with nogil:
        for j in range(n_cols):
            out[j] = 0
        for i in range(n_rows):
            for j in range(n_cols):
                a = A[i, j]
                out[j] = out[j] + a * a
