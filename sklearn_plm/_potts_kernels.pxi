# Compiled kernels of the Potts (categorical) pseudo-likelihood memory, included
# by _potts_fast.pyx (baseline flags) and _potts_fast_avx2.pyx (built with
# -mavx2 -mfma on x86_64); sklearn_plm/_simd.py picks one at import.
# The Python layer (sklearn_plm/_potts_objective.py, sklearn_plm/_potts.py)
# validates codes, shapes, dtypes and contiguity before calling in.
#
# Conventions shared by every kernel:
#   codes  X[mu, j] in {0, ..., q-1}, or -1 for a missing (unknown) value;
#   site parameters W[i] of shape (N*q [+1], q) with
#       W[i, j*q + b, a] = J[i, j, a, b]   (coupling of state a at i, b at j)
#       W[i, N*q, a]     = h[i, a]         (field, only with fit_fields);
#   the local field of state a at site i is
#       H[mu, i, a] = h[i, a] + sum_{j != i, X[mu, j] >= 0} W[i, j*q + X[mu, j], a],
#   a sum of N contiguous q-vectors ("gather"), and
#       -log p(X[mu, i] | rest) = logsumexp_a(beta H[mu, i, a]) - beta H[mu, i, X[mu, i]].

from cython cimport floating
from cython.parallel cimport parallel, prange, threadid
from libc.math cimport exp, log
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc
from ._random cimport shuffle

# Row additions of the gather kernel, ``z[0:n] += d[0:n]`` on rows padded to
# whole 32-byte vectors. The common widths (24: q = 21 in float32 and float64;
# 8: q = 5 or 8) get loops of fixed length that the compiler unrolls into a few
# vector instructions, and ``restrict`` spares the run-time overlap test that a
# generic loop pays at every entry.
cdef extern from *:
    """
    #if defined(_MSC_VER)
    #define PLM_RESTRICT __restrict
    #else
    #define PLM_RESTRICT __restrict__
    #endif
    #define PLM_ADD_ROW(T, NAME)                                                  \
        static inline void NAME(T *PLM_RESTRICT z, const T *PLM_RESTRICT d,       \
                                Py_ssize_t n)                                     \
        {                                                                         \
            Py_ssize_t a;                                                         \
            if (n == 24) { for (a = 0; a < 24; a++) z[a] += d[a]; }               \
            else if (n == 8) { for (a = 0; a < 8; a++) z[a] += d[a]; }            \
            else { for (a = 0; a < n; a++) z[a] += d[a]; }                        \
        }
    PLM_ADD_ROW(float, plm_add_row_f)
    PLM_ADD_ROW(double, plm_add_row_d)
    """
    void plm_add_row_f(float *z, const float *d, Py_ssize_t n) noexcept nogil
    void plm_add_row_d(double *z, const double *d, Py_ssize_t n) noexcept nogil


cdef inline void _add_row(floating *z, const floating *d, Py_ssize_t n) noexcept nogil:
    if floating is float:
        plm_add_row_f(z, d, n)
    else:
        plm_add_row_d(z, d, n)


# Storage of the gather kernel's gradient, independent of the parameters' type.
ctypedef fused gradient_t:
    float
    double


cdef inline double _residual_inplace(floating *z, Py_ssize_t q, double beta, Py_ssize_t y,
                                     double w) noexcept nogil:
    # z <- w beta (softmax(beta z) - e_y); returns w (logsumexp(beta z) - beta z_y).
    # Exponentials and the sum in double whatever the storage type of z.
    # beta multiplies differences from the maximum (beta > 0), never a term that
    # is then subtracted: with FMA contraction (the AVX2 build), beta z_a - beta m
    # keeps the rounding error of beta m, which overflows exp at large beta.
    cdef Py_ssize_t a
    cdef double m = z[0], s = 0.0, zy = z[y], e
    for a in range(1, q):
        if z[a] > m:
            m = z[a]
    for a in range(q):
        e = exp(beta * (z[a] - m))
        z[a] = <floating>e
        s = s + e
    for a in range(q):
        z[a] = <floating>(w * beta * (z[a] / s))
    z[y] = <floating>(z[y] - w * beta)
    return w * (log(s) + beta * (m - zy))


def potts_residual(
    floating[:, ::1] Z,            # IN: fields (n_samples, n_block*q); OUT: dL/dZ
    const int[:, ::1] Y,           # IN: target codes (n_samples, n_block), -1 = missing
    const double[::1] weight,      # IN: per-sample weight, already divided by sum(w)
    double beta,
    int q,
    double[::1] row_loss,          # OUT: weighted loss of each sample
    int n_threads,
):
    """Softmax, loss and residual of the one-hot formulation, in place.

    For a known target ``y`` of site ``i`` with probabilities
    ``p = softmax(beta Z[mu, i*q:(i+1)*q])`` the loss is ``w (lse - beta z_y)``
    and the residual ``w beta (p - e_y)``; missing targets give zeros.
    """
    cdef Py_ssize_t n_samples = Z.shape[0], n_block = Y.shape[1]
    cdef Py_ssize_t mu, i, a, y
    cdef double w, acc, m, s, zy
    cdef floating *z
    for mu in prange(n_samples, nogil=True, num_threads=n_threads, schedule="static"):
        w = weight[mu]
        acc = 0.0
        for i in range(n_block):
            z = &Z[mu, i * q]
            y = Y[mu, i]
            if y < 0 or w == 0.0:
                for a in range(q):
                    z[a] = 0.0
                continue
            # differences from the maximum, as in _residual_inplace
            zy = z[y]
            m = z[0]
            for a in range(1, q):
                if z[a] > m:
                    m = z[a]
            s = 0.0
            for a in range(q):
                z[a] = <floating>exp(beta * (z[a] - m))
                s = s + z[a]
            acc = acc + log(s) + beta * (m - zy)
            for a in range(q):
                z[a] = <floating>(w * beta * (z[a] / s))
            z[y] = <floating>(z[y] - w * beta)
        row_loss[mu] = w * acc


# Tiles whose gradient is summed in the storage type before it is added to
# the float64 gradient: float32 sums of at most FLUSH * tile residuals.
cdef Py_ssize_t FLUSH = 8


def potts_gather_value_grad(
    const int[:, ::1] XT,          # IN: codes transposed (n_sites, n_samples), -1 = missing
    const int[::1] ref,            # IN: reference state of each column, 0..q (q = missing)
    const Py_ssize_t[:, ::1] colptr,  # IN: (n_tiles, n_sites + 1) offsets into ent
    const int[::1] ent,            # IN: (r << 16) | b for x[t0 + r, j] = b != ref[j] (q = missing)
    Py_ssize_t tile,               # IN: samples per tile used to build colptr and ent
    const floating[:, :, ::1] W,   # IN: parameters of sites start..start+n_block-1
    gradient_t[:, :, ::1] G,       # OUT: gradient, same shape as W (zeroed here)
    const double[::1] weight,      # IN: per-sample weight, already divided by sum(w)
    double beta,
    Py_ssize_t start,
    bint fit_fields,
    double[::1] site_loss,         # OUT: weighted loss of each site of the block
    int n_threads,
):
    """Loss and gradient of a block of sites, parallel over sites.

    Each column ``j`` has a reference state ``c_j`` (the most frequent one;
    ``q`` stands for "missing", which adds nothing to the fields). The fields
    of site ``i`` are ``base_i + sum_j D_i[j, x_j]`` with
    ``D_i[j, b] = W_i[j, b] - W_i[j, c_j]`` and ``base_i = h_i + sum_j
    W_i[j, c_j]``: only the entries that differ from their column's
    reference are gathered (``ent``, per tile of samples and column), about
    half of a protein alignment and a third of an RNA one. The gradient
    block of a reference state follows from the sum ``R`` of all residuals:
    ``G[j, c_j] = R - sum_{b != c_j} G[j, b]``, so the scatter also visits
    only those entries. ``D_i``, the tile's fields and the gradient rows are
    padded to a whole number of 32-byte vectors. Fields, residuals and the
    gradient of up to FLUSH tiles are kept in the type of ``W`` (plmc
    computes everything in float32); the softmax, the loss and the sum over
    tile groups stay in float64. Threads own whole sites, so they never
    write to the same memory.
    """
    cdef Py_ssize_t n_sites = XT.shape[0], n_samples = XT.shape[1]
    cdef Py_ssize_t n_block = W.shape[0], n_rows = W.shape[1], q = W.shape[2]
    cdef Py_ssize_t nq = n_sites * q, n_site_params = n_rows * q
    cdef Py_ssize_t lanes = 32 // sizeof(floating)
    cdef Py_ssize_t qp = (q + lanes - 1) // lanes * lanes, n_ext = q + 1
    cdef Py_ssize_t col_size = n_ext * qp, d_size = n_sites * col_size
    cdef Py_ssize_t n_tiles = colptr.shape[0]
    cdef Py_ssize_t ii, i, tt, t0, nt, r, j, a, y, b, c, k, e
    cdef double w, acc, s
    cdef floating *Z = NULL
    cdef floating *D = NULL
    cdef floating *Gt = NULL
    cdef floating *base = NULL
    cdef floating *R = NULL
    cdef floating *z
    cdef floating *dj
    cdef floating *gj
    cdef floating *drow
    cdef const floating *wrow
    cdef gradient_t *gsite
    cdef const int *xi
    # set by a thread whose malloc failed (shared through the pointer); its
    # sites are skipped and the call raises MemoryError
    cdef int failed = 0
    cdef int *failed_ptr = &failed
    G[:, :, :] = 0
    with nogil, parallel(num_threads=n_threads):
        Z = <floating *> malloc(tile * qp * sizeof(floating))
        D = <floating *> malloc(d_size * sizeof(floating))
        Gt = <floating *> malloc(d_size * sizeof(floating))
        base = <floating *> malloc(qp * sizeof(floating))
        R = <floating *> malloc(qp * sizeof(floating))
        for ii in prange(n_block, schedule="dynamic"):
            if Z == NULL or D == NULL or Gt == NULL or base == NULL or R == NULL:
                failed_ptr[0] = 1
                continue
            i = start + ii
            acc = 0.0
            gsite = &G[ii, 0, 0]
            # D_i and base_i (padding lanes are zero and stay zero)
            for a in range(qp):
                base[a] = 0
                R[a] = 0
            if fit_fields:
                for a in range(q):
                    base[a] = W[ii, nq, a]
            for k in range(d_size):
                D[k] = 0
                Gt[k] = 0
            for j in range(n_sites):
                if j == i:
                    continue
                dj = D + j * col_size
                for b in range(q):
                    wrow = &W[ii, j * q + b, 0]
                    for a in range(q):
                        dj[b * qp + a] = wrow[a]
                c = ref[j]
                if c < q:
                    drow = dj + c * qp
                    for a in range(q):
                        base[a] = base[a] + drow[a]
                    for b in range(n_ext):
                        if b == c:
                            continue
                        for a in range(q):
                            dj[b * qp + a] = dj[b * qp + a] - drow[a]
            for tt in range(n_tiles):
                t0 = tt * tile
                nt = min(tile, n_samples - t0)
                for r in range(nt):
                    z = Z + r * qp
                    for a in range(qp):
                        z[a] = base[a]
                for j in range(n_sites):
                    if j == i:
                        continue
                    dj = D + j * col_size
                    for k in range(colptr[tt, j], colptr[tt, j + 1]):
                        e = ent[k]
                        _add_row(Z + (e >> 16) * qp, dj + (e & 0xFFFF) * qp, qp)
                xi = &XT[i, t0]
                for r in range(nt):
                    z = Z + r * qp
                    y = xi[r]
                    w = weight[t0 + r]
                    if y < 0 or w == 0.0:
                        for a in range(q):
                            z[a] = 0
                        continue
                    acc = acc + _residual_inplace(z, q, beta, y, w)
                    for a in range(qp):
                        R[a] = R[a] + z[a]
                for j in range(n_sites):
                    if j == i:
                        continue
                    gj = Gt + j * col_size
                    for k in range(colptr[tt, j], colptr[tt, j + 1]):
                        e = ent[k]
                        _add_row(gj + (e & 0xFFFF) * qp, Z + (e >> 16) * qp, qp)
                if (tt + 1) % FLUSH == 0 or tt == n_tiles - 1:
                    for j in range(n_sites):
                        if j == i:
                            continue
                        gj = Gt + j * col_size
                        c = ref[j]
                        for b in range(q):
                            if b == c:
                                continue
                            for a in range(q):
                                gsite[(j * q + b) * q + a] += gj[b * qp + a]
                        if c < q:
                            for a in range(q):
                                s = R[a]
                                for b in range(n_ext):
                                    if b != c:
                                        s = s - gj[b * qp + a]
                                gsite[(j * q + c) * q + a] += s
                        for k in range(col_size):
                            gj[k] = 0
                    if fit_fields:
                        for a in range(q):
                            gsite[nq * q + a] += R[a]
                    for a in range(qp):
                        R[a] = 0
            site_loss[ii] = acc
        free(Z)
        free(D)
        free(Gt)
        free(base)
        free(R)
    if failed:
        raise MemoryError("potts_gather_value_grad: a thread could not allocate its work buffer")


def potts_local_fields(
    const int[:, ::1] X,           # IN: codes (n_samples, n_sites), -1 = missing
    const floating[:, :, ::1] W,   # IN: parameters of all sites (n_sites, N*q [+1], q)
    bint fit_fields,
    floating[:, ::1] H,            # OUT: fields (n_samples, n_sites*q)
    int n_threads,
):
    """``H[mu, i*q + a]``: the local field of state a at site i (gather)."""
    cdef Py_ssize_t n_samples = X.shape[0], n_sites = X.shape[1]
    cdef Py_ssize_t q = W.shape[2], nq = n_sites * q
    cdef Py_ssize_t mu, i, j, a, b
    cdef const floating *wrow
    cdef floating *hrow
    for mu in prange(n_samples, nogil=True, num_threads=n_threads, schedule="static"):
        for i in range(n_sites):
            hrow = &H[mu, i * q]
            if fit_fields:
                wrow = &W[i, nq, 0]
                for a in range(q):
                    hrow[a] = wrow[a]
            else:
                for a in range(q):
                    hrow[a] = 0.0
            for j in range(n_sites):
                b = X[mu, j]
                if b < 0 or j == i:
                    continue
                wrow = &W[i, j * q + b, 0]
                for a in range(q):
                    hrow[a] = hrow[a] + wrow[a]


def potts_log_conditionals(
    const floating[:, ::1] H,      # IN: fields (n_samples, n_sites*q)
    const int[:, ::1] X,           # IN: codes (n_samples, n_sites), -1 = missing
    double beta,
    double[::1] out,               # OUT: sum over known sites of log p(x_i | rest)
    int n_threads,
):
    """Per-sample pseudo-log-likelihood ``sum_i beta H[i, x_i] - logsumexp(beta H[i])``."""
    cdef Py_ssize_t n_samples = X.shape[0], n_sites = X.shape[1]
    cdef Py_ssize_t q = H.shape[1] // n_sites
    cdef Py_ssize_t mu, i, a, y
    cdef double acc, m, s
    cdef const floating *h
    for mu in prange(n_samples, nogil=True, num_threads=n_threads, schedule="static"):
        acc = 0.0
        for i in range(n_sites):
            y = X[mu, i]
            if y < 0:
                continue
            h = &H[mu, i * q]
            # differences from the maximum, as in _residual_inplace: finite at any beta
            m = h[0]
            for a in range(1, q):
                if h[a] > m:
                    m = h[a]
            s = 0.0
            for a in range(q):
                s = s + exp(beta * (h[a] - m))
            acc = acc - beta * (m - h[y]) - log(s)
        out[mu] = acc


def potts_async_recall(
    int[:, ::1] X,                      # IN/OUT: codes (n_samples, n_sites), -1 = unknown
    floating[:, ::1] H,                 # IN/OUT: local fields (n_samples, n_sites*q), kept current
    const floating[:, ::1] JT,          # IN: JT[i*q + b, j*q + c] = J[j, i, c, b], (N*q, N*q)
    const unsigned char[:, ::1] free_,  # IN: 1 where a site may change (0 = clamped)
    int max_sweeps,
    uint64_t seed,
    int[::1] n_iter,                    # OUT: sweeps run per sample
    unsigned char[::1] converged,       # OUT: 1 if a full sweep changed nothing
    int[:, ::1] order,                  # WORK: (n_threads, n_sites) site order per thread
    int n_threads,
    const floating[::1] tie,            # IN: per site, fields within tie[i] of the max tie (_ties.py)
):
    """Random-order sequential sweeps of ``x_i <- argmax_a H[i, a]`` until nothing changes.

    Every sample follows the same sequence of site permutations (drawn from
    ``seed``), so the result of a row never depends on the other rows. The
    states whose field is within ``tie[i]`` of the largest are tied maxima:
    the current state is kept when it is among them; otherwise (and at an
    unknown site) the first of them is taken.
    """
    cdef Py_ssize_t n_samples = X.shape[0], n_sites = X.shape[1]
    cdef Py_ssize_t nq = H.shape[1], q = nq // n_sites
    cdef Py_ssize_t mu, k, i, j, a, tid, cur, new
    cdef int sweep, changes
    cdef uint64_t state
    cdef floating best
    cdef floating *h
    cdef const floating *add
    cdef const floating *sub
    for mu in prange(n_samples, nogil=True, num_threads=n_threads, schedule="dynamic"):
        tid = threadid()
        state = seed | 1
        for k in range(n_sites):
            order[tid, k] = <int>k
        converged[mu] = 0
        n_iter[mu] = 0
        h = &H[mu, 0]
        for sweep in range(max_sweeps):
            shuffle(&order[tid, 0], n_sites, &state)
            changes = 0
            for k in range(n_sites):
                i = order[tid, k]
                if not free_[mu, i]:
                    continue
                cur = X[mu, i]
                best = h[i * q]
                for a in range(1, q):
                    if h[i * q + a] > best:
                        best = h[i * q + a]
                best = best - tie[i]
                new = 0
                while h[i * q + new] < best:
                    new = new + 1
                if cur >= 0 and h[i * q + cur] >= best:
                    new = cur
                if new != cur:
                    X[mu, i] = <int>new
                    add = &JT[i * q + new, 0]
                    if cur >= 0:
                        sub = &JT[i * q + cur, 0]
                        for j in range(nq):
                            h[j] = h[j] + (add[j] - sub[j])
                    else:
                        for j in range(nq):
                            h[j] = h[j] + add[j]
                    changes = changes + 1
            n_iter[mu] = sweep + 1
            if changes == 0:
                converged[mu] = 1
                break


cdef inline Py_ssize_t _pair_start(Py_ssize_t i, Py_ssize_t n_sites) noexcept nogil:
    # packed index of the pair (i, i + 1): the pairs (t, u > t) of the sites t < i come first
    return i * (n_sites - 1) - i * (i - 1) // 2


def packed_to_rows(
    const double[::1] x,           # IN: packed parameters (pair blocks i < j, then fields)
    floating[:, ::1] rows,         # OUT: row layout of sites start..start+n_block-1
    Py_ssize_t start,
    Py_ssize_t n_sites,
    Py_ssize_t q,
    bint fit_fields,
    int n_threads,
):
    """Expand packed symmetric parameters into the row layout of a block of sites.

    The packed block ``e[p(i, j)]`` of a pair ``i < j`` holds ``[b, a] =
    J[i, j, a, b]``, the layout of site ``i``'s rows; site ``j`` reads it
    transposed (``J[j, i, b, a] = J[i, j, a, b]``). Diagonal blocks are zero.
    """
    cdef Py_ssize_t n_block = rows.shape[0], qq = q * q, nq = n_sites * q
    cdef Py_ssize_t n_couplings = n_sites * (n_sites - 1) // 2 * qq
    cdef Py_ssize_t k, i, j, a, b, p
    cdef floating *blk
    cdef const double *e
    for k in prange(n_block, nogil=True, num_threads=n_threads, schedule="static"):
        i = start + k
        for j in range(n_sites):
            blk = &rows[k, j * qq]
            if j == i:
                for a in range(qq):
                    blk[a] = 0
            elif j > i:
                e = &x[(_pair_start(i, n_sites) + j - i - 1) * qq]
                for a in range(qq):
                    blk[a] = <floating>e[a]
            else:
                e = &x[(_pair_start(j, n_sites) + i - j - 1) * qq]
                for b in range(q):
                    for a in range(q):
                        blk[b * q + a] = <floating>e[a * q + b]
        if fit_fields:
            for a in range(q):
                rows[k, nq * q + a] = <floating>x[n_couplings + i * q + a]


def rows_to_packed(
    const gradient_t[:, ::1] G,    # IN: row-layout gradient of sites start..start+n_block-1
    double[::1] out,               # IN/OUT: packed gradient, the block's part added
    Py_ssize_t start,
    Py_ssize_t n_sites,
    Py_ssize_t q,
    bint fit_fields,
    int n_threads,
):
    """Fold a block's row-layout gradient into the packed gradient (adds ``G[i, j] + G[j, i].T``).

    Parallel over the first site of each pair, so a packed block is written by one thread.
    """
    cdef Py_ssize_t n_block = G.shape[0], qq = q * q, nq = n_sites * q
    cdef Py_ssize_t n_couplings = n_sites * (n_sites - 1) // 2 * qq
    cdef Py_ssize_t stop = start + n_block
    cdef Py_ssize_t n_first = min(stop, n_sites - 1)
    cdef Py_ssize_t i, j, a, b, lo, hi
    cdef double *e
    cdef const gradient_t *g
    for i in prange(n_first, nogil=True, num_threads=n_threads, schedule="dynamic"):
        # pairs (i, j > i): site i's own rows when i is in the block, site j's (transposed) when j is
        lo = i + 1
        hi = n_sites
        if i < start:
            lo = max(lo, start)
            hi = stop
        for j in range(lo, hi):
            e = &out[(_pair_start(i, n_sites) + j - i - 1) * qq]
            if i >= start:
                g = &G[i - start, j * qq]
                for a in range(qq):
                    e[a] += g[a]
            if start <= j < stop:
                g = &G[j - start, i * qq]
                for b in range(q):
                    for a in range(q):
                        e[a * q + b] += g[b * q + a]
    if fit_fields:
        for i in range(n_block):
            for a in range(q):
                out[n_couplings + (start + i) * q + a] = G[i, nq * q + a]
