# Elementwise part of the Ising pseudo-likelihood: one fused pass over the
# (samples x sites) field matrix that the two GEMMs of an evaluation surround.
# Inputs are validated by the Python layer (sklearn_plm/_objective.py).
#
# The float32 row loop is written without branches or libm calls so that the
# C compiler vectorizes it (the baseline SSE2 of x86-64 is enough): with the
# scalar libm calls the elementwise pass cost as much as the two GEMMs.

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport exp, fabs, fabsf, copysignf, log1p
from libc.stdlib cimport free, malloc


cdef union _bits32:
    float f
    int i


cdef inline float _expf_minus(float t) noexcept nogil:
    # exp(-t) for t >= 0 to ~1 ulp (Cephes expf). t is clamped at 87 through
    # its bit pattern (for t >= 0 the bits order like the values); a float
    # comparison there would be a possible FP trap and stop the vectorizer.
    cdef float n, r, p
    cdef _bits32 c
    c.f = t
    c.i = c.i if c.i < 1118699520 else 1118699520      # bits of 87.0f
    n = <float>(<int>(c.f * <float>-1.44269504088896341 - <float>0.5))  # round(-t/ln 2)
    r = -c.f - n * <float>0.693359375
    r = r + n * <float>2.12194440e-4
    p = <float>1.9875691500e-4
    p = p * r + <float>1.3981999507e-3
    p = p * r + <float>8.3334519073e-3
    p = p * r + <float>4.1665795894e-2
    p = p * r + <float>1.6666665459e-1
    p = p * r + <float>5.0000001201e-1
    p = p * r * r + r + <float>1.0
    c.i = (<int>n + 127) << 23                          # 2**n, n >= -126
    return p * c.f


cdef inline float _log1pf_unit(float e) noexcept nogil:
    # log(1 + e) for 0 <= e <= 1: atanh series of log(m), m = (1 + e) / 2**k
    # in [0.71, 1.42], plus the rounding error of 1 + e (exact for tiny e).
    cdef float u, c, big, m, s, s2
    u = <float>1.0 + e
    c = (e - (u - <float>1.0)) / u
    big = <float>(u > <float>1.41421356)
    m = u - <float>0.5 * u * big
    s = (m - <float>1.0) / (m + <float>1.0)
    s2 = s * s
    return (<float>0.693147181 * big + c
            + <float>2.0 * s * (<float>1.0 + s2 * (<float>0.333333333 + s2 * (
                <float>0.2 + s2 * (<float>0.142857143 + s2 * <float>0.111111111)))))


cdef void _residual_row(
    floating *h,               # IN: fields of one sample; OUT: residuals
    const floating *s,         # IN: target spins of the same sites
    floating *loss,            # OUT: per-site loss (before the sample weight)
    Py_ssize_t n,
    double beta,
    double g,                  # -2 beta w
) noexcept nogil:
    # With a = -2 beta s h and e = exp(-|a|): loss = s^2 softplus(a),
    # residual = g s sigmoid(a); s = 0 (unknown) gives 0 for both.
    cdef Py_ssize_t i
    cdef float af, aaf, ef, stepf, b2f = <float>(2.0 * beta), gf = <float>g
    cdef double a, e
    if floating is float:
        for i in range(n):
            af = -b2f * s[i] * h[i]
            aaf = fabsf(af)
            ef = _expf_minus(aaf)
            stepf = copysignf(<float>0.5, af) + <float>0.5    # 1 if a >= +0 else 0
            h[i] = gf * s[i] * (ef + (<float>1.0 - ef) * stepf) / (<float>1.0 + ef)
            loss[i] = s[i] * s[i] * (<float>0.5 * (af + aaf) + _log1pf_unit(ef))
    else:
        for i in range(n):
            a = -2.0 * beta * s[i] * h[i]
            e = exp(-fabs(a))
            if a >= 0:
                h[i] = g * s[i] / (1.0 + e)
                loss[i] = s[i] * s[i] * (a + log1p(e))
            else:
                h[i] = g * s[i] * e / (1.0 + e)
                loss[i] = s[i] * s[i] * log1p(e)


cdef inline double _sum(const floating *x, Py_ssize_t n) noexcept nogil:
    # four independent partial sums in double: fast and deterministic
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef Py_ssize_t i = 0
    while i + 4 <= n:
        a0 += x[i]
        a1 += x[i + 1]
        a2 += x[i + 2]
        a3 += x[i + 3]
        i += 4
    while i < n:
        a0 += x[i]
        i += 1
    return (a0 + a1) + (a2 + a3)


def ising_residual(
    floating[:, ::1] H,            # IN: fields (n_samples, n_block); OUT: dL/dH
    const floating[:, ::1] S,      # IN: spins (n_samples, n_sites) in {-1, 0, +1}; 0 = missing
    Py_ssize_t start,              # IN: the block's targets are S[:, start:start + n_block]
    const double[::1] weight,      # IN: per-sample weight, already divided by sum(w)
    double beta,
    double[::1] row_loss,          # OUT: weighted loss of each sample
    int n_threads,
):
    """Turn fields into loss residuals in place.

    For each entry with a known target ``s``, ``z = 2 beta s h`` gives the loss
    ``w softplus(-z)`` and the residual ``-2 beta s w sigmoid(-z)``; entries
    with ``s = 0`` contribute nothing. Each sample's result depends on that
    sample alone, so it does not depend on ``n_threads``.
    """
    cdef Py_ssize_t n_samples = H.shape[0], n_block = H.shape[1]
    cdef Py_ssize_t mu
    cdef floating *work = NULL
    cdef int failed = 0
    cdef int *failed_ptr = &failed  # shared: set where a malloc failed
    with nogil, parallel(num_threads=n_threads):
        work = <floating *> malloc(max(n_block, 1) * sizeof(floating))
        for mu in prange(n_samples, schedule="static"):
            if work == NULL:
                failed_ptr[0] = 1
                continue
            _residual_row(&H[mu, 0], &S[mu, start], work, n_block, beta,
                          -2.0 * beta * weight[mu])
            row_loss[mu] = weight[mu] * _sum(work, n_block)
        free(work)
    if failed:
        raise MemoryError("ising_residual: a thread could not allocate its work buffer")


def ising_log_conditionals(
    const floating[:, ::1] H,      # IN: local fields (n_samples, n_sites)
    const floating[:, :] S,        # IN: spins in {-1, 0, +1}; 0 = missing
    double beta,
    double[::1] out,               # OUT: sum over known sites of log p(s_i | rest)
    int n_threads,
):
    """Per-sample pseudo-log-likelihood, ``sum_i log sigmoid(2 beta s_i h_i)``."""
    cdef Py_ssize_t n_samples = H.shape[0], n_sites = H.shape[1]
    cdef Py_ssize_t mu, i
    cdef double s, acc, a
    for mu in prange(n_samples, nogil=True, num_threads=n_threads, schedule="static"):
        acc = 0.0
        for i in range(n_sites):
            s = S[mu, i]
            if s != 0.0:
                # log sigmoid(-a) = -softplus(a), a = -2 beta s h
                a = -2.0 * beta * s * H[mu, i]
                if a > 0:
                    acc = acc - (a + log1p(exp(-a)))
                else:
                    acc = acc - log1p(exp(a))
        out[mu] = acc
