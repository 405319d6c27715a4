"""Zero-temperature recall: ``s_i <- sign(h_i)`` with ``h = J s + b``.

Ties (``|h_i| <= tol_i``, see :mod:`sklearn_plm._ties`) keep the current
spin. Unknown spins start at 0, so they add nothing to any field until they
are first set; a spin whose field stays a tie is set to -1 and the row's
recall continues from there, so ``converged`` always means a fixed point of
the returned state. Synchronous recall also stops a row that enters a
2-cycle (the state of two steps ago comes back), reported as not converged.
"""

import threading
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

from ._dynamics_dispatch import async_recall, sync_step
from ._ties import field_tolerance
from ._threading import limit_blas_threads

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
    True where the row reached a fixed point within the step budget; False
    when the budget ran out or (synchronous recall) the row entered a
    2-cycle, where it stops.

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


def sync_recall(S, free, JT, b, max_iter, n_threads=1, abort=None, tie=None):
    """Parallel updates of all spins of a row until it stops changing or cycles.

    One matrix product gives the initial fields of the whole batch. Then each
    step (a compiled kernel, parallel over rows) sets the new spins and
    updates the fields of rows with few flips from the flipped spins only;
    rows with many flips share one matrix product. A row that did not change
    is a fixed point and leaves the active set; so does a row whose new state
    is the one of two steps ago (a 2-cycle, which synchronous dynamics can
    enter and never leave), without being converged. ``S`` (C-contiguous)
    is updated in place; ``tie`` defaults to
    :func:`~sklearn_plm._ties.field_tolerance`.
    """
    n_samples, n_features = S.shape
    n_iter = np.zeros(n_samples, dtype=np.int32)
    converged = np.zeros(n_samples, dtype=bool)
    has_fields = bool(np.any(b))
    max_sparse = int(_SPARSE_UPDATE_MAX_FLIPS * n_features)
    if tie is None:
        tie = field_tolerance(JT, b, S.dtype)

    def fields(states, out=None):
        H = np.matmul(states, JT, out=out)
        if has_fields:
            H += b
        return H

    # The kernel steps the active rows of S and H in place, so rows leave the
    # active set without copying the others; it keeps each row's last change
    # (delta) for the 2-cycle check.
    rows = np.arange(n_samples, dtype=np.intp)
    H = fields(S)
    fa = _as_uint8(free)
    delta = np.zeros_like(S)
    n_flips = np.empty(n_samples, dtype=np.int32)
    cycled = np.empty(n_samples, dtype=np.uint8)
    for step in range(max_iter):
        if abort is not None and abort.is_set():
            raise RecallInterrupted
        flips, cycles = n_flips[: rows.size], cycled[: rows.size]
        sync_step(S, H, JT, fa, rows, max_sparse, flips, delta, step > 0, cycles, n_threads,
                  tie)
        n_iter[rows] += 1
        dense = flips > max_sparse
        if rows.size == n_samples and dense.all():
            fields(S, out=H)
        elif dense.any():
            stale = rows[dense]
            H[stale] = fields(S[stale])
        done = flips == 0
        converged[rows[done]] = True
        done |= cycles.view(bool)  # back to the state of two steps ago
        if done.any():
            rows = rows[~done]
            if rows.size == 0:
                break
    return n_iter, converged


_ASYNC_CHUNK_ROWS = 512


def run_async_kernel(kernel, X, H, JT, free, max_iter, seed, n_threads, abort=None, tie=None):
    """Call a compiled asynchronous-recall kernel (binary or Potts) on all rows.

    ``X`` (states) and ``H`` (their local fields) are updated in place; the
    kernel signature is the one of :func:`~sklearn_plm._dynamics_fast.async_recall`.
    ``tie`` holds the per-site tie thresholds (None: those of
    :func:`~sklearn_plm._ties.field_tolerance` for binary ``JT`` without fields).
    Returns the sweeps run and the convergence flag of each row.
    """
    if tie is None:
        tie = field_tolerance(JT, 0.0, H.dtype)
    n_samples, n_sites = X.shape
    n_iter = np.zeros(n_samples, dtype=np.int32)
    converged = np.zeros(n_samples, dtype=np.uint8)
    n_threads = max(1, min(int(n_threads), n_samples))
    order = np.empty((n_threads, n_sites), dtype=np.int32)
    free_u8 = _as_uint8(free)
    # Rows are independent, so running them in chunks changes nothing but
    # lets Ctrl-C through between kernel calls.
    for r0 in range(0, n_samples, _ASYNC_CHUNK_ROWS):
        if abort is not None and abort.is_set():
            raise RecallInterrupted
        rows = slice(r0, min(r0 + _ASYNC_CHUNK_ROWS, n_samples))
        kernel(X[rows], H[rows], JT, free_u8[rows], int(max_iter), np.uint64(seed),
               n_iter[rows], converged[rows], order, n_threads, tie)
    return n_iter, converged.astype(bool)


def async_recall_dense(S, free, JT, b, max_iter, seed, n_threads, abort=None, tie=None):
    """Random-order sequential sweeps in the compiled kernel (parallel over rows)."""
    H = np.ascontiguousarray(S @ JT + b, dtype=S.dtype)
    if tie is None:
        tie = field_tolerance(JT, b, S.dtype)
    return run_async_kernel(async_recall, S, H, JT, free, max_iter, seed, n_threads, abort, tie)


class RecallInterrupted(Exception):
    """Raised inside a recall thread when the call that owns it was interrupted."""


# Rows per thread below which splitting a batch across threads does not pay.
_MIN_ROWS_PER_THREAD = 64


def _recall_rows(S, free, JT, b, method, max_iter, seed, abort=None, tie=None):
    # one kernel thread: parallelism comes from splitting the rows (run_recall)
    if method == "sync":
        return sync_recall(S, free, JT, b, max_iter, 1, abort, tie)
    return async_recall_dense(S, free, JT, b, max_iter, seed, 1, abort, tie)


def _recall_in_threads(S, free, JT, b, method, max_iter, seed, n_parts, tie):
    """Rows split into ``n_parts`` contiguous parts, each recalled by one thread.

    Each thread runs its matrix products with one BLAS thread and its kernels
    with one OpenMP thread. Threading the products and the kernels instead
    left their idle threads spinning against each other: on two cores,
    ``n_jobs=2`` gave no speedup for synchronous recall. Rows are independent
    (and every row draws the same site orders), so the split changes nothing
    in the result.
    """
    edges = np.linspace(0, S.shape[0], n_parts + 1).round().astype(int)
    abort = threading.Event()
    with limit_blas_threads(1), \
            ThreadPoolExecutor(max_workers=n_parts) as pool:
        futures = [pool.submit(_recall_rows, S[a:z], free[a:z], JT, b, method, max_iter,
                               seed, abort, tie) for a, z in zip(edges[:-1], edges[1:])]
        try:
            # timed waits, so that the main thread sees Ctrl-C while the threads run
            pending = futures
            while pending:
                pending = wait(pending, timeout=0.1).not_done
            parts = [future.result() for future in futures]
        except BaseException:
            abort.set()  # the threads stop at their next step or chunk of rows
            raise
    return (np.concatenate([n_iter for n_iter, _ in parts]),
            np.concatenate([converged for _, converged in parts]))


def _recall_batch(S, free, JT, b, method, max_iter, seed, n_threads, tie):
    n_parts = int(min(n_threads, S.shape[0] // _MIN_ROWS_PER_THREAD))
    if n_parts > 1:
        return _recall_in_threads(S, free, JT, b, method, max_iter, seed, n_parts, tie)
    # a small batch: threads in the kernels would only spin against BLAS's
    return _recall_rows(S, free, JT, b, method, max_iter, seed, tie=tie)


def run_recall(S, free, J, b, method, max_iter, seed=0, n_threads=1):
    """Dispatch to the chosen dynamics; S (spins in {-1,0,1}) is modified in place.

    Unknown spins (0) whose field never left the tie band are set to -1 at
    the end, and such rows continue their recall from there with the steps
    they have left, so that ``converged`` refers to the returned state.
    """
    S = np.ascontiguousarray(S)
    free = np.ascontiguousarray(free)
    JT = np.ascontiguousarray(np.asarray(J).T, dtype=S.dtype)
    b = np.asarray(b, dtype=S.dtype)
    tie = field_tolerance(JT, b, S.dtype)
    n_iter, converged = _recall_batch(S, free, JT, b, method, max_iter, seed, n_threads, tie)
    if np.count_nonzero(S) < S.size:
        unset = np.flatnonzero(~np.all(S != 0, axis=1))
        S[S == 0] = -1
        converged[unset] = False
        # one batch per remaining budget, so a row's result never depends on the others
        for budget in np.unique(max_iter - n_iter[unset]):
            rows = unset[max_iter - n_iter[unset] == budget]
            if budget <= 0:
                continue
            part = np.ascontiguousarray(S[rows])
            n2, c2 = _recall_batch(part, free[rows], JT, b, method, int(budget), seed,
                                   n_threads, tie)
            S[rows], n_iter[rows], converged[rows] = part, n_iter[rows] + n2, c2
    return S, n_iter, converged
