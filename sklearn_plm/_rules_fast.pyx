# Sequential learning rules for binary Hopfield networks.
# The Python layer (sklearn_plm/_rules.py) validates shapes, dtypes,
# contiguity and the order of the patterns before calling in.

from cython cimport floating
from cython.parallel cimport prange


def storkey_fit(
    const floating[:, ::1] S,           # IN: spins in {-1, 0, +1}, (n_samples, n_sites)
    const Py_ssize_t[::1] order,        # IN: rows of S in the order they are applied
    double[:, ::1] W,                   # IN/OUT: symmetric couplings, zero diagonal
    double[:, ::1] h,                   # WORK: (2, n_sites) fields of the current/next pattern
    int n_threads,
):
    """Apply Storkey's (1997) rule to the patterns ``S[order]`` one after another.

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
    cdef double acc, xi_i, h_i, sq_i, xi_j, w_ij
    if n_steps == 0:
        return
    cur = 0
    mu = order[0]
    for i in range(n_sites):
        acc = 0.0
        for j in range(n_sites):
            acc = acc + W[i, j] * S[mu, j]
        h[cur, i] = acc
    for step in range(n_steps):
        mu = order[step]
        nxt = 1 - cur
        # the last step computes a field nobody reads; it keeps the loop simple
        nu = order[step + 1] if step + 1 < n_steps else mu
        for i in prange(n_sites, nogil=True, num_threads=n_threads, schedule="static"):
            xi_i = S[mu, i]
            h_i = h[cur, i]
            sq_i = xi_i * xi_i
            acc = 0.0
            for j in range(n_sites):
                xi_j = S[mu, j]
                w_ij = W[i, j] + inv_n * (
                    xi_i * xi_j - (xi_i * h[cur, j] + h_i * xi_j) + W[i, j] * (sq_i + xi_j * xi_j)
                )
                W[i, j] = w_ij
                acc = acc + w_ij * S[nu, j]
            # the loop wrote a nonzero w_ii into the field; take it back out
            acc = acc - W[i, i] * S[nu, i]
            W[i, i] = 0.0
            h[nxt, i] = acc
        cur = nxt
