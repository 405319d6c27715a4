"""The layouts of Potts parameters that the kernels and solvers read, built in one place.

``coupling_`` ``J[i, j, a, b]`` (N, N, q, q) and ``fields_`` ``h[i, a]`` (N, q)
are the estimator's attributes. The compiled code reads them in two other
layouts:

site rows, shape ``(N, N*q [+ 1], q)``
    ``rows[i, j*q + b, a] = J[i, j, a, b]`` and, with fields,
    ``rows[i, N*q, a] = h[i, a]``: the local fields of site ``i`` are a sum
    of N contiguous q-vectors, one per neighbour's state ("gather"). The
    solvers' parameter rows (``coef[i]``, flattened), the local-field and
    asynchronous-recall kernels and the Gibbs sweeps use it.
field columns ``JT``, shape ``(N*q, N*q)``
    ``JT[j*q + b, i*q + a] = J[i, j, a, b]``: row ``j*q + b`` is the change
    of every local field when site ``j`` takes state ``b``, so the fields
    of one-hot states ``X`` are ``X @ JT + h.ravel()``. Synchronous recall,
    mean-field marginals and the tie thresholds use it.

The packed layout of symmetric fits (each pair ``i < j`` stored once) is
converted to and from site rows by the compiled ``packed_to_rows`` and
``rows_to_packed`` (:class:`~sklearn_plm._potts_objective.PackedSymmetricPotts`).
"""

import numpy as np

from ._potts_dispatch import potts_local_fields


def site_rows(J, h=None, dtype=np.float64):
    """Site rows ``(N, N*q [+ 1], q)`` of couplings ``J`` and (when given) fields ``h``.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.arange(2 * 2 * 3 * 3, dtype=float).reshape(2, 2, 3, 3)
    >>> rows = site_rows(J, np.ones((2, 3)))
    >>> rows.shape, bool(rows[0, 1 * 3 + 2, 1] == J[0, 1, 1, 2]), rows[1, 6]
    ((2, 7, 3), True, array([1., 1., 1.]))
    """
    J = np.asarray(J)
    N, _, q, _ = J.shape
    W = J.transpose(0, 1, 3, 2).reshape(N, N * q, q)
    if h is not None:
        W = np.concatenate([W, np.asarray(h).reshape(N, 1, q)], axis=1)
    return np.ascontiguousarray(W, dtype=dtype)


def params_to_coef(J, h, fit_fields):
    """Couplings (N, N, q, q) and fields (N, q) -> solver rows (N, n_params), float64."""
    return site_rows(J, h if fit_fields else None).reshape(J.shape[0], -1)


def coef_to_params(coef, n_sites, n_states, fit_fields):
    """Solver rows -> couplings ``J`` (N, N, q, q) and fields ``h`` (N, q)."""
    N, q = n_sites, n_states
    nq = N * q
    W = coef.reshape(N, nq + int(fit_fields), q)
    J = W[:, :nq].reshape(N, N, q, q).transpose(0, 1, 3, 2)
    h = W[:, nq] if fit_fields else np.zeros((N, q), dtype=coef.dtype)
    return np.ascontiguousarray(J), np.ascontiguousarray(h)


def field_columns(J, dtype=None):
    """Field columns ``JT`` (N*q, N*q) of couplings ``J``; ``dtype`` None keeps J's.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.random.default_rng(0).normal(size=(3, 3, 2, 2))
    >>> x = np.array([1, 0, 1])
    >>> onehot = np.eye(2)[x].ravel()
    >>> H = (onehot @ field_columns(J)).reshape(3, 2)
    >>> bool(np.allclose(H[0], J[0, 0, :, 1] + J[0, 1, :, 0] + J[0, 2, :, 1]))
    True
    """
    J = np.asarray(J)
    N, _, q, _ = J.shape
    return np.ascontiguousarray(J.transpose(1, 3, 0, 2).reshape(N * q, N * q), dtype=dtype)


def potts_fields(codes, J, h, n_threads=1):
    """Local fields ``H[:, i*q + a] = h[i, a] + sum_{j != i} J[i, j, a, x_j]`` in J's dtype.

    ``codes`` (int32, -1 unknown: adds nothing) has shape (n_samples, N).
    """
    N, q = h.shape
    H = np.empty((codes.shape[0], N * q), dtype=J.dtype)
    potts_local_fields(codes, site_rows(J, h, dtype=J.dtype), True, H, n_threads)
    return H
