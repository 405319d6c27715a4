# Elementwise part of the Ising pseudo-likelihood: one fused pass over the
# (samples x sites) field matrix that the two GEMMs of an evaluation surround.
# Inputs are validated by the Python layer (sklearn_plm/_objective.py).

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp, log1p, fabs


cdef inline double _softplus(double x) noexcept nogil:
    # log(1 + e^x) without overflow for large |x|
    if x > 0:
        return x + log1p(exp(-x))
    return log1p(exp(x))


def ising_residual(
    floating[:, ::1] H,            # IN: local fields (n_samples, n_sites); OUT: dL/dH
    const floating[:, :] S,        # IN: target spins in {-1, 0, +1}; 0 = missing
    const double[::1] weight,      # IN: per-sample weight, already divided by sum(w)
    double beta,
    double[::1] row_loss,          # OUT: weighted loss of each sample
    int n_threads,
):
    """Turn fields into loss residuals in place.

    For each entry with a known target ``s``, ``z = 2 beta s h`` gives the loss
    ``w softplus(-z)`` and the residual ``-2 beta s w sigmoid(-z)``; entries
    with ``s = 0`` contribute nothing.
    """
    cdef Py_ssize_t n_samples = H.shape[0], n_sites = H.shape[1]
    cdef Py_ssize_t mu, i
    cdef double z, s, w, acc, e
    for mu in prange(n_samples, nogil=True, num_threads=n_threads, schedule="static"):
        w = weight[mu]
        acc = 0.0
        for i in range(n_sites):
            s = S[mu, i]
            if s == 0.0 or w == 0.0:
                H[mu, i] = 0.0
                continue
            z = 2.0 * beta * s * H[mu, i]
            acc = acc + _softplus(-z)
            # sigmoid(-z) = 1 / (1 + e^z), evaluated on the stable side
            if z >= 0:
                e = exp(-z)
                H[mu, i] = <floating>(-2.0 * beta * s * w * e / (1.0 + e))
            else:
                H[mu, i] = <floating>(-2.0 * beta * s * w / (1.0 + exp(z)))
        row_loss[mu] = w * acc


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
    cdef double s, acc
    for mu in prange(n_samples, nogil=True, num_threads=n_threads, schedule="static"):
        acc = 0.0
        for i in range(n_sites):
            s = S[mu, i]
            if s != 0.0:
                acc = acc - _softplus(-2.0 * beta * s * H[mu, i])
        out[mu] = acc
