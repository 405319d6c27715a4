# The L-BFGS vector loops: products with a float32 correction history, dot
# products and updates, summed in float64. The Python layer
# (sklearn_plm/_lbfgs.py) passes every array with the shapes these loops
# assume: SY (rows, n) C-contiguous, vectors of length n.
# Chunks of columns keep a slice of each vector in cache while all the rows
# pass over it, and are what the threads share out.

from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport NAN, fabs

import numpy as np

cdef Py_ssize_t _CHUNK = 4096

# A vector may be a gradient (float64), a history row itself (new pairs) or a
# direction (float32 with a float32 history).
ctypedef fused vector_t:
    float
    double


cdef inline Py_ssize_t _chunk_end(Py_ssize_t c, Py_ssize_t n) noexcept nogil:
    """End of chunk ``c`` of a vector of length ``n``."""
    return n if (c + 1) * _CHUNK > n else (c + 1) * _CHUNK


cdef inline double _dot(const floating* x, const vector_t* v, Py_ssize_t n) noexcept nogil:
    """``x . v`` in float64, in eight interleaved sums that the compiler can keep
    in vector registers (a single sum is one dependent add per element)."""
    cdef double acc[8]
    cdef Py_ssize_t j, k = 0
    for j in range(8):
        acc[j] = 0.0
    while k + 8 <= n:
        for j in range(8):
            acc[j] += <double>x[k + j] * <double>v[k + j]
        k += 8
    while k < n:
        acc[0] += <double>x[k] * <double>v[k]
        k += 1
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))


def history_times(
    const floating[:, ::1] SY,     # IN: correction rows (rows, n)
    const vector_t[::1] v,         # IN: vector (n,)
    int n_threads,
):
    """``SY @ v`` in float64, summed over chunks in a fixed order."""
    cdef Py_ssize_t rows = SY.shape[0], n = SY.shape[1]
    cdef Py_ssize_t n_chunks = (n + _CHUNK - 1) // _CHUNK
    partial_arr = np.zeros((n_chunks, rows))
    cdef double[:, ::1] partial = partial_arr
    cdef Py_ssize_t c, r, a, b
    with nogil:
        for c in prange(n_chunks, num_threads=n_threads, schedule="static"):
            a = c * _CHUNK
            b = _chunk_end(c, n)
            for r in range(rows):
                partial[c, r] = _dot(&SY[r, a], &v[a], b - a)
    return partial_arr.sum(axis=0)


def history_direction(
    const double[::1] w,           # IN: weights of the rows (rows,)
    const floating[:, ::1] SY,     # IN: correction rows (rows, n)
    double gamma,                  # IN: scale of the initial matrix
    const double[::1] g,           # IN: gradient (n,)
    vector_t[::1] out,             # OUT: (n,), rounded once to its dtype
    int n_threads,
):
    """``out = -(w @ SY + gamma * g)``, the L-BFGS direction of the compact form.

    Summed in float64 in one chunk-sized row per thread, whatever out's
    dtype: a float32 direction is rounded once, not at every row added.
    """
    cdef Py_ssize_t rows = SY.shape[0], n = SY.shape[1]
    cdef Py_ssize_t n_chunks = (n + _CHUNK - 1) // _CHUNK
    cdef Py_ssize_t c, r, k, a, b
    cdef double wr
    cdef double* acc
    cdef int n_workers = max(1, n_threads)
    scratch_arr = np.empty((n_workers, _CHUNK))
    cdef double[:, ::1] scratch = scratch_arr
    with nogil:
        for c in prange(n_chunks, num_threads=n_workers, schedule="static"):
            a = c * _CHUNK
            b = _chunk_end(c, n)
            acc = &scratch[threadid(), 0]
            for k in range(a, b):
                acc[k - a] = gamma * g[k]
            for r in range(rows):
                wr = w[r]
                if wr != 0.0:
                    for k in range(a, b):
                        acc[k - a] += wr * <double>SY[r, k]
            for k in range(a, b):
                out[k] = <vector_t>(-acc[k - a])


cdef inline double _max_abs(const floating* x, Py_ssize_t n) noexcept nogil:
    """``max |x_k|`` in eight interleaved maxima (vector registers), NaN if any is."""
    cdef double acc[8]
    cdef double v
    cdef int nan = 0
    cdef Py_ssize_t j, k = 0
    for j in range(8):
        acc[j] = 0.0
    while k + 8 <= n:
        for j in range(8):
            v = fabs(<double>x[k + j])
            nan |= v != v
            acc[j] = v if v > acc[j] else acc[j]
        k += 8
    while k < n:
        v = fabs(<double>x[k])
        nan |= v != v
        acc[0] = v if v > acc[0] else acc[0]
        k += 1
    if nan:
        return NAN
    for j in range(1, 8):
        if acc[j] > acc[0]:
            acc[0] = acc[j]
    return acc[0]


def _chunk_partials(
    const floating[::1] a,         # IN: (n,)
    const vector_t[::1] b,         # IN: (n,), unused by the maximum
    bint maximum,                  # IN: max |a| per chunk instead of a . b
    int n_threads,
):
    """One partial result per chunk: the caller combines them in a fixed order,
    so the result is the same for any number of threads."""
    cdef Py_ssize_t n = a.shape[0]
    cdef Py_ssize_t n_chunks = (n + _CHUNK - 1) // _CHUNK
    partial_arr = np.zeros(n_chunks)
    cdef double[::1] partial = partial_arr
    cdef Py_ssize_t c, lo, hi
    with nogil:
        for c in prange(n_chunks, num_threads=n_threads, schedule="static"):
            lo = c * _CHUNK
            hi = _chunk_end(c, n)
            if maximum:
                partial[c] = _max_abs(&a[lo], hi - lo)
            else:
                partial[c] = _dot(&a[lo], &b[lo], hi - lo)
    return partial_arr


def chunked_dot(a, b, int n_threads):
    """``a . b`` in float64 (float32 or float64 vectors)."""
    return float(_chunk_partials(a, b, False, n_threads).sum())


def max_abs(a, int n_threads):
    """``max |a_k|`` (0 if empty, NaN if any entry is NaN)."""
    return float(_chunk_partials(a, a, True, n_threads).max(initial=0.0))


def step_point(
    const double[::1] x,           # IN: (n,)
    double t,                      # IN: step length
    const vector_t[::1] d,         # IN: direction (n,), float32 with a float32 history
    double[::1] out,               # OUT: x + t d (n,)
    int n_threads,
):
    """``out = x + t * d``."""
    cdef Py_ssize_t n = x.shape[0]
    cdef Py_ssize_t k
    with nogil:
        for k in prange(n, num_threads=n_threads, schedule="static"):
            out[k] = x[k] + t * <double>d[k]


def difference(
    const double[::1] a,           # IN: (n,)
    const double[::1] b,           # IN: (n,)
    floating[::1] out,             # OUT: a - b, rounded to out's dtype (n,)
    int n_threads,
):
    """``out = a - b`` (a new correction pair's step or gradient change)."""
    cdef Py_ssize_t n = a.shape[0]
    cdef Py_ssize_t k
    with nogil:
        for k in prange(n, num_threads=n_threads, schedule="static"):
            out[k] = <floating>(a[k] - b[k])
