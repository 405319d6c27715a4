# Sequential learning rules for binary Hopfield networks.
# The Python layer (sklearn_plm/_rules.py) validates shapes, dtypes,
# contiguity and the order of the patterns before calling in.

from cython cimport floating
from cython.parallel cimport prange


cdef inline double _updated(double w_ij, double xi_i, double xi_j, double h_i, double h_j,
                           double sq_i, double inv_n) noexcept nogil:
    return w_ij + inv_n * (xi_i * xi_j - (xi_i * h_j + h_i * xi_j) + w_ij * (sq_i + xi_j * xi_j))


def storkey_fit(
    const floating[:, ::1] S,           # IN: spins in {-1, 0, +1}, (n_samples, n_sites)
    const Py_ssize_t[::1] order,        # IN: rows of S in the order they are applied
    double[:, ::1] W,                   # IN/OUT: symmetric couplings, zero diagonal
    double[:, ::1] h,                   # IN/OUT: (2, n_sites), h[0] = field of S[order[0]]
    Py_ssize_t n_apply,                 # IN: patterns applied, order[:n_apply]
    bint fields_ready,                  # IN: h[0] already holds the field of S[order[0]]
    int n_threads,
):
    """Apply Storkey's (1997) rule to the patterns ``S[order[:n_apply]]`` one after another.

    ``order`` may hold one more row than ``n_apply``: the next pattern, whose
    field is then left in ``h[0]`` for the next call (``fields_ready``), so
    that a long fit runs in chunks (interruptible between them) at no extra
    pass over ``W``.

    For a pattern xi, with ``h_ij = sum_{k != i, j} w_ik xi_k = h_i - w_ij xi_j``
    (the diagonal is zero), the rule

        w_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N

    expands, for symmetric ``W``, to

        w_ij += (xi_i xi_j - (xi_i h_j + h_i xi_j) + w_ij (xi_i^2 + xi_j^2)) / N.

    Each new entry then depends only on its own old value and on ``h``, so
    rows update in place in parallel, and the expression is symmetric in
    (i, j) term by term, so ``W`` stays exactly symmetric in floating point.
    The pass that updates row i also computes its field for the next pattern,
    so ``W`` is read once and threads meet once per pattern.
    """
    cdef Py_ssize_t n_sites = S.shape[1], n_steps = order.shape[0]
    cdef Py_ssize_t step, mu, nu, i, j, cur, nxt
    cdef double inv_n = 1.0 / n_sites
    cdef double acc, xi_i, h_i, sq_i, w_ij
    if n_steps == 0 or n_apply == 0:
        return
    cur = 0
    mu = order[0]
    if not fields_ready:
        for i in range(n_sites):
            acc = 0.0
            for j in range(n_sites):
                acc = acc + W[i, j] * S[mu, j]
            h[cur, i] = acc
    for step in range(n_apply):
        mu = order[step]
        nxt = 1 - cur
        # the last step computes a field nobody reads; it keeps the loop simple
        nu = order[step + 1] if step + 1 < n_steps else mu
        for i in prange(n_sites, nogil=True, num_threads=n_threads, schedule="static"):
            xi_i = S[mu, i]
            h_i = h[cur, i]
            sq_i = xi_i * xi_i
            acc = 0.0
            # j = i is skipped: w_ii stays 0 and out of the field, which is
            # then the same sum as a fresh one over W (as at the start of a
            # chunk), so a fit run in chunks gives bit-identical couplings
            for j in range(i):
                w_ij = _updated(W[i, j], xi_i, S[mu, j], h_i, h[cur, j], sq_i, inv_n)
                W[i, j] = w_ij
                acc = acc + w_ij * S[nu, j]
            for j in range(i + 1, n_sites):
                w_ij = _updated(W[i, j], xi_i, S[mu, j], h_i, h[cur, j], sq_i, inv_n)
                W[i, j] = w_ij
                acc = acc + w_ij * S[nu, j]
            h[nxt, i] = acc
        cur = nxt
    if cur == 1:
        for i in range(n_sites):
            h[0, i] = h[1, i]
