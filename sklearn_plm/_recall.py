"""Zero-temperature recall: ``s_i <- sign(h_i)`` with ``h = J s + b``.

Ties (``h_i == 0``) keep the current spin. Unknown spins start at 0, so they
add nothing to any field until they are first set; a spin whose field stays
exactly 0 throughout is returned as -1.
"""

from collections import namedtuple

import numpy as np
from scipy import sparse

from ._dynamics import async_recall

RecallResult = namedtuple("RecallResult", ["X", "n_iter", "converged"])
RecallResult.__doc__ = """Result of :meth:`complete`.

Attributes
----------
X : ndarray of shape (n_samples, n_features)
    Final states, in the encoding seen in fit.
n_iter : ndarray of shape (n_samples,)
    Synchronous steps (or asynchronous sweeps) run for each row, including
    the last one that confirmed the fixed point.
converged : ndarray of shape (n_samples,)
    True where the row reached a fixed point within the step budget.
"""

# Past this fraction of flipped spins per step a dense GEMM beats a sparse update.
_SPARSE_UPDATE_MAX_DENSITY = 0.05


def _sign_keep(H, S):
    return np.where(H > 0, 1, np.where(H < 0, -1, S)).astype(S.dtype, copy=False)


def sync_recall(S, free, J, b, max_iter):
    """Parallel updates of all spins of a row, one GEMM per step over the batch.

    Rows that did not change in a step are fixed points and leave the active
    set; fields of the remaining rows are updated from the flipped spins only.
    """
    n_samples = S.shape[0]
    n_iter = np.zeros(n_samples, dtype=np.int32)
    converged = np.zeros(n_samples, dtype=bool)
    JT = J.T
    H = S @ JT
    H += b
    active = np.arange(n_samples)
    for _ in range(max_iter):
        if active.size == 0:
            break
        Sa, Ha = S[active], H[active]
        new = _sign_keep(Ha, Sa)
        fa = free[active]
        new = np.where(fa, new, Sa)
        delta = new - Sa
        changed = delta.any(axis=1)
        n_iter[active] += 1
        converged[active[~changed]] = True
        active, delta, new = active[changed], delta[changed], new[changed]
        if active.size == 0:
            break
        S[active] = new
        if np.count_nonzero(delta) < _SPARSE_UPDATE_MAX_DENSITY * delta.size:
            H[active] = Ha[changed] + sparse.csr_matrix(delta) @ JT
        else:
            Hn = new @ JT
            Hn += b
            H[active] = Hn
    return S, n_iter, converged


def async_recall_dense(S, free, J, b, max_iter, seed, n_threads):
    """Random-order sequential sweeps in the compiled kernel (parallel over rows)."""
    H = np.ascontiguousarray(S @ J.T + b, dtype=S.dtype)
    JT = np.ascontiguousarray(J.T, dtype=S.dtype)
    n_samples, n_features = S.shape
    n_iter = np.zeros(n_samples, dtype=np.int32)
    converged = np.zeros(n_samples, dtype=np.uint8)
    n_threads = max(1, min(int(n_threads), n_samples))
    order = np.empty((n_threads, n_features), dtype=np.int32)
    free_u8 = np.ascontiguousarray(free, dtype=np.uint8)
    async_recall(S, H, JT, free_u8, int(max_iter), np.uint64(seed), n_iter, converged,
                 order, n_threads)
    return S, n_iter, converged.astype(bool)


def run_recall(S, free, J, b, method, max_iter, seed=0, n_threads=1):
    """Dispatch to the chosen dynamics; S (spins in {-1,0,1}) is modified in place."""
    S = np.ascontiguousarray(S)
    J = np.ascontiguousarray(J, dtype=S.dtype)
    b = np.asarray(b, dtype=S.dtype)
    if method == "sync":
        S, n_iter, converged = sync_recall(S, free, J, b, max_iter)
    else:
        S, n_iter, converged = async_recall_dense(S, free, J, b, max_iter, seed, n_threads)
    S[S == 0] = -1
    return S, n_iter, converged
