"""Matrix products whose rounding does not depend on the number of threads.

A multithreaded BLAS splits a product by the number of its threads, and
matrix-vector products and dot products split their sums too, so the same
fit with one or two BLAS threads differed in the last bits (3e-16). Here the
output is cut into row panels that depend only on its shape; each panel is
one single-threaded BLAS product, and threads only decide which thread
computes which panel. Callers keep BLAS itself at one thread.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Rows per panel, at most. Smaller panels cost GEMM efficiency: one float32
# loss+gradient against two whole single-threaded GEMMs (benchmarks/run.py
# --only 1c, same run) was 1.36-1.46x at N=784-1000 with 128-row panels and
# 1.19-1.34x with 512-row panels (64-row panels: 15-20% slower than 128).
# Products with fewer rows than two panels run in one panel (one thread).
_PANEL_ROWS = 512


def _panels(n_rows):
    n = -(-n_rows // _PANEL_ROWS)
    # an even count, so that two threads get equal shares
    n += n % 2 if n > 1 else 0
    edges = np.linspace(0, n_rows, n + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def panel_matmul(A, B, out, n_threads=1):
    """``out[...] = A @ B``, the same to the last bit for any ``n_threads``.

    Parameters
    ----------
    A : ndarray of shape (m, k)
    B : ndarray of shape (k, n)
    out : ndarray of shape (m, n)
        Written in place (numpy's matmul rules: same dtype as ``A @ B``).
    n_threads : int
        Threads computing panels; BLAS should be limited to one thread.

    Returns
    -------
    out : ndarray of shape (m, n)
    """
    panels = _panels(out.shape[0])

    def product(rows):
        np.matmul(A[rows], B, out=out[rows])

    groups = [panels[k::n_threads] for k in range(min(n_threads, len(panels)))]

    def run(group):
        for rows in group:
            product(rows)

    if len(groups) == 1:
        run(groups[0])
        return out
    # Threads live for one product: idle pool threads would outlive the fit.
    # Starting one took 0.36 ms, 1.4% of an N=300, P=2000 evaluation (two products).
    with ThreadPoolExecutor(len(groups) - 1, thread_name_prefix="sklearn_plm-gemm") as pool:
        futures = [pool.submit(run, group) for group in groups[1:]]
        run(groups[0])
        for future in futures:
            future.result()
    return out
