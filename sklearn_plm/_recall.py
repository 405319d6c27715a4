"""Zero-temperature recall: ``s_i <- sign(h_i)`` with ``h = J s + b``.

Ties (``h_i == 0``) keep the current spin. Unknown spins start at 0, so they
add nothing to any field until they are first set; a spin whose field stays
exactly 0 throughout is returned as -1.
"""

from collections import namedtuple

import numpy as np
from ._dynamics import async_recall, sync_step

RecallResult = namedtuple("RecallResult", ["X", "n_iter", "converged"])
RecallResult.__doc__ = """Result of the ``complete`` method of the memory estimators.

Attributes
----------
X : ndarray of shape (n_samples, n_features)
    Final states, in the encoding seen in fit.
n_iter : ndarray of shape (n_samples,)
    Synchronous steps (or asynchronous sweeps) run for each row, including
    the last one that confirmed the fixed point.
converged : ndarray of shape (n_samples,)
    True where the row reached a fixed point within the step budget.

Examples
--------
>>> import numpy as np
>>> from sklearn_plm import HopfieldMemory
>>> patterns = np.random.default_rng(0).choice([-1.0, 1.0], size=(3, 60))
>>> probe = patterns[:1].copy()
>>> probe[0, :6] *= -1  # six spins flipped
>>> result = HopfieldMemory().fit(patterns).complete(probe)
>>> bool(np.all(result.X == patterns[:1])), result.n_iter, result.converged
(True, array([2], dtype=int32), array([ True]))
"""

# A row whose step flipped more than this fraction of its spins gets its fields
# recomputed by one matrix product shared with the other such rows; below it,
# adding the flipped spins' columns of J (N operations per flip) is cheaper.
_SPARSE_UPDATE_MAX_FLIPS = 1 / 4


def _as_uint8(mask):
    mask = np.ascontiguousarray(mask)
    return mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8)


def sync_recall(S, free, J, b, max_iter, n_threads=1):
    """Parallel updates of all spins of a row until it stops changing.

    One matrix product gives the initial fields of the whole batch. Then each
    step (a compiled kernel, parallel over rows) sets the new spins and
    updates the fields of rows with few flips from the flipped spins only;
    rows with many flips share one matrix product. A row that did not change
    is a fixed point and leaves the active set.
    """
    n_samples, n_features = S.shape
    n_iter = np.zeros(n_samples, dtype=np.int32)
    converged = np.zeros(n_samples, dtype=bool)
    JT = np.ascontiguousarray(J.T)
    has_fields = bool(np.any(b))
    max_sparse = int(_SPARSE_UPDATE_MAX_FLIPS * n_features)

    def fields(states, out=None):
        H = np.matmul(states, JT, out=out)
        if has_fields:
            H += b
        return H

    rows = np.arange(n_samples)  # the active rows; Sa, Ha, fa are theirs
    Sa, Ha = S, fields(S)
    fa = _as_uint8(free)
    n_flips = np.empty(n_samples, dtype=np.int32)
    for _ in range(max_iter):
        flips = n_flips[: rows.size]
        sync_step(Sa, Ha, JT, fa, max_sparse, flips, n_threads)
        n_iter[rows] += 1
        dense = flips > max_sparse
        if dense.all():
            fields(Sa, out=Ha)
        elif dense.any():
            Ha[dense] = fields(Sa[dense])
        done = flips == 0
        if done.any():
            converged[rows[done]] = True
            S[rows[done]] = Sa[done]
            keep = ~done
            rows, Sa, Ha, fa = rows[keep], Sa[keep], Ha[keep], fa[keep]
            if rows.size == 0:
                break
    S[rows] = Sa
    return S, n_iter, converged


_ASYNC_CHUNK_ROWS = 512


def run_async_kernel(kernel, X, H, JT, free, max_iter, seed, n_threads):
    """Call a compiled asynchronous-recall kernel (binary or Potts) on all rows.

    ``X`` (states) and ``H`` (their local fields) are updated in place; the
    kernel signature is the one of :func:`~sklearn_plm._dynamics.async_recall`.
    Returns the sweeps run and the convergence flag of each row.
    """
    n_samples, n_sites = X.shape
    n_iter = np.zeros(n_samples, dtype=np.int32)
    converged = np.zeros(n_samples, dtype=np.uint8)
    n_threads = max(1, min(int(n_threads), n_samples))
    order = np.empty((n_threads, n_sites), dtype=np.int32)
    free_u8 = _as_uint8(free)
    # Rows are independent, so running them in chunks changes nothing but
    # lets Ctrl-C through between kernel calls.
    for r0 in range(0, n_samples, _ASYNC_CHUNK_ROWS):
        rows = slice(r0, min(r0 + _ASYNC_CHUNK_ROWS, n_samples))
        kernel(X[rows], H[rows], JT, free_u8[rows], int(max_iter), np.uint64(seed),
               n_iter[rows], converged[rows], order, n_threads)
    return n_iter, converged.astype(bool)


def async_recall_dense(S, free, J, b, max_iter, seed, n_threads):
    """Random-order sequential sweeps in the compiled kernel (parallel over rows)."""
    H = np.ascontiguousarray(S @ J.T + b, dtype=S.dtype)
    JT = np.ascontiguousarray(J.T, dtype=S.dtype)
    n_iter, converged = run_async_kernel(async_recall, S, H, JT, free, max_iter, seed, n_threads)
    return S, n_iter, converged


def run_recall(S, free, J, b, method, max_iter, seed=0, n_threads=1):
    """Dispatch to the chosen dynamics; S (spins in {-1,0,1}) is modified in place."""
    S = np.ascontiguousarray(S)
    J = np.ascontiguousarray(J, dtype=S.dtype)
    b = np.asarray(b, dtype=S.dtype)
    if method == "sync":
        S, n_iter, converged = sync_recall(S, free, J, b, max_iter, n_threads)
    else:
        S, n_iter, converged = async_recall_dense(S, free, J, b, max_iter, seed, n_threads)
    if np.count_nonzero(S) < S.size:
        S[S == 0] = -1
    return S, n_iter, converged
