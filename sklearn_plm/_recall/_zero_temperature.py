"""Zero-temperature recall of binary and Potts states.

Binary: ``s_i <- sign(h_i)`` with ``h = J s + b``. Potts: ``x_i <- argmax_a
H_i(a)``. Ties (``|h_i| <= tol_i``, see :mod:`sklearn_plm._ties`) keep the
current state. Unknown entries start unset (spin 0, code -1), so they add
nothing to any field until they are first set. A binary spin whose field
stays a tie is set to -1 and the row's recall continues from there, so
``converged`` always means a fixed point of the returned state. Synchronous
recall also stops a row that enters a 2-cycle (the state of two steps ago
comes back), reported as not converged.

Each dynamics is one function per model with a fixed signature, listed in
:data:`sklearn_plm._recall.DYNAMICS`:

* binary: ``rows(S, free, JT, b, options, abort, tie) -> (n_iter, converged)``
  on a block of rows, in one thread; :func:`run_recall` computes the
  couplings' layout and tie thresholds, splits the rows across threads and
  finishes unset spins;
* Potts: ``rows(codes, free, H, JT, tie, options) -> (n_iter, converged)``
  with the local fields ``H``; :func:`run_potts_recall` builds them.

Both update the states in place.
"""

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace

import numpy as np
from scipy import sparse

from .._dynamics_dispatch import async_recall, sync_step
from .._potts_dispatch import potts_async_recall
from .._potts_layout import field_columns, potts_fields
from .._ties import field_tolerance, site_tolerance
from .._threading import limit_blas_threads

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
    kernel signature is the one of :func:`~sklearn_plm._dynamics_dispatch.async_recall`.
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


def binary_sync(S, free, JT, b, options, abort=None, tie=None):
    """Synchronous recall of a block of rows in one thread (:func:`sync_recall`)."""
    return sync_recall(S, free, JT, b, options.max_iter, 1, abort, tie)


def binary_async(S, free, JT, b, options, abort=None, tie=None):
    """Asynchronous recall of a block of rows in one thread (:func:`async_recall_dense`)."""
    return async_recall_dense(S, free, JT, b, options.max_iter, options.seed, 1, abort, tie)


def _recall_in_threads(rows, S, free, JT, b, options, n_parts, tie):
    """Rows split into ``n_parts`` contiguous parts, each recalled by one thread.

    Each thread runs its matrix products with one BLAS thread and its kernels
    with one OpenMP thread: threading the products and the kernels instead
    leaves their idle threads spinning against each other (measured in
    doc/benchmarks.md, "Recall with n_jobs > 1"). Rows are independent
    (and every row draws the same site orders), so the split changes nothing
    in the result.
    """
    edges = np.linspace(0, S.shape[0], n_parts + 1).round().astype(int)
    abort = threading.Event()
    with limit_blas_threads(1), \
            ThreadPoolExecutor(max_workers=n_parts) as pool:
        futures = [pool.submit(rows, S[a:z], free[a:z], JT, b, options, abort, tie)
                   for a, z in zip(edges[:-1], edges[1:])]
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


def _recall_batch(rows, S, free, JT, b, options, tie):
    n_parts = int(min(options.n_threads, S.shape[0] // _MIN_ROWS_PER_THREAD))
    if n_parts > 1:
        return _recall_in_threads(rows, S, free, JT, b, options, n_parts, tie)
    # a small batch: threads in the kernels would only spin against BLAS's
    return rows(S, free, JT, b, options, tie=tie)


def run_recall(S, free, J, b, rows, options):
    """Binary recall by the dynamics ``rows``; S (spins in {-1,0,1}) is modified in place.

    ``rows`` is the binary function of a :data:`~sklearn_plm._recall.DYNAMICS`
    entry; ``options`` a :class:`~sklearn_plm._recall.RecallOptions`. Unknown
    spins (0) whose field never left the tie band are set to -1 at the end,
    and such rows continue their recall from there with the steps they have
    left, so that ``converged`` refers to the returned state.
    """
    S = np.ascontiguousarray(S)
    free = np.ascontiguousarray(free)
    JT = np.ascontiguousarray(np.asarray(J).T, dtype=S.dtype)
    b = np.asarray(b, dtype=S.dtype)
    tie = field_tolerance(JT, b, S.dtype)
    max_iter = options.max_iter
    n_iter, converged = _recall_batch(rows, S, free, JT, b, options, tie)
    if np.count_nonzero(S) < S.size:
        unset = np.flatnonzero(~np.all(S != 0, axis=1))
        S[S == 0] = -1
        converged[unset] = False
        # one batch per remaining budget, so a row's result never depends on the others
        for budget in np.unique(max_iter - n_iter[unset]):
            part_rows = unset[max_iter - n_iter[unset] == budget]
            if budget <= 0:
                continue
            part = np.ascontiguousarray(S[part_rows])
            n2, c2 = _recall_batch(rows, part, free[part_rows], JT, b,
                                   replace(options, max_iter=int(budget)), tie)
            S[part_rows], n_iter[part_rows], converged[part_rows] = (
                part, n_iter[part_rows] + n2, c2)
    return S, n_iter, converged


def run_potts_recall(codes, free, J, h, rows, options):
    """Potts recall by the dynamics ``rows``; ``codes`` (-1 unknown) is modified in place.

    Builds the local fields of the start, the field columns of the
    couplings and the per-site tie thresholds, then runs ``rows`` (the Potts
    function of a :data:`~sklearn_plm._recall.DYNAMICS` entry).
    """
    q = h.shape[1]
    H = potts_fields(codes, J, h, options.n_threads)
    JT = field_columns(J)
    tie = site_tolerance(field_tolerance(JT, h.ravel(), H.dtype), q)
    n_iter, converged = rows(codes, free, H, JT, tie, options)
    return codes, n_iter, converged


def potts_async(codes, free, H, JT, tie, options):
    """Random-order sequential sweeps in the compiled kernel (parallel over rows)."""
    return run_async_kernel(potts_async_recall, codes, H, JT, free, options.max_iter,
                            options.seed, options.n_threads, tie=tie)


def potts_sync(codes, free, H, JT, tie, options):
    """All sites at once, ``x_i <- argmax_a H[i, a]``, until no site changes.

    States within ``tie[i]`` of the largest field are tied maxima: the
    current state is kept when it is among them, else the first is taken
    (the rule of the asynchronous kernel). Rows that did not change leave the
    active set, and so do rows back at their state of two steps ago (a
    2-cycle, reported as not converged); the fields of the others are updated
    by one sparse product with the changes (+1 at the new state, -1 at the
    old one) per step.
    """
    n_samples, N = codes.shape
    q = JT.shape[0] // N
    max_iter = options.max_iter
    n_iter = np.zeros(n_samples, dtype=np.int32)
    converged = np.zeros(n_samples, dtype=bool)
    active = np.arange(n_samples)
    previous = None  # the active rows' codes one step back
    for _ in range(max_iter):
        if active.size == 0:
            break
        Ha = H[active].reshape(-1, N, q)
        old = codes[active]
        top = Ha.max(axis=2, keepdims=True) - tie[None, :, None]
        near = Ha >= top
        best = near.argmax(axis=2)
        cur = np.take_along_axis(near, np.maximum(old, 0)[..., None], axis=2)[..., 0]
        keep = (old >= 0) & cur
        new = np.where(keep | ~free[active], old, best).astype(np.int32)
        moved = new != old
        changed = moved.any(axis=1)
        n_iter[active] += 1
        converged[active[~changed]] = True
        if previous is not None:
            changed &= ~np.all(new == previous, axis=1)
        codes[active[moved.any(axis=1)]] = new[moved.any(axis=1)]
        active, old, new, moved = active[changed], old[changed], new[changed], moved[changed]
        previous = old
        if active.size == 0:
            break
        rows, sites = np.nonzero(moved)
        had = old[rows, sites] >= 0
        data = np.concatenate([np.ones(rows.size), -np.ones(int(had.sum()))]).astype(H.dtype)
        r = np.concatenate([rows, rows[had]])
        c = np.concatenate([sites * q + new[rows, sites], sites[had] * q + old[rows, sites][had]])
        delta = sparse.csr_matrix((data, (r, c)), shape=(active.size, N * q))
        H[active] += delta @ JT
    return n_iter, converged
