"""When a local field counts as zero: the tie rule of zero-temperature dynamics.

A spin keeps its value when its field is zero. In floating point an exact
zero (e.g. Hebb couplings with P < N, whose fields are sums of multiples of
1/N) comes out as +/-1e-17 depending on the order of the additions, so a row's
recall would depend on the other rows of its batch (they change the blocking
of the matrix product) and on how its fields were updated. A field counts as
a tie when

    |h_i| <= TIE_RTOL[dtype] * scale_i,   scale_i = ||J_i||_2 + |b_i|,

with ``J_i`` the couplings entering ``h_i``. Round-off of ``h_i`` is a few
machine epsilons of ``scale_i``; a genuine field that small has probability
of the order of the tolerance. Every zero-temperature kernel (synchronous and
asynchronous, binary and Potts) and every metric built on them (fixed points,
stabilities) takes its thresholds from this module.
"""

import numpy as np

from ._dynamics_dispatch import column_sumsq

#: Relative tie tolerance by floating-point type (about 100 machine epsilons
#: for float32, which also absorbs the drift of incrementally updated fields;
#: 1e-10 for float64).
TIE_RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def tie_rtol(dtype):
    """Relative tie tolerance for fields computed in ``dtype``."""
    return TIE_RTOL.get(np.dtype(dtype), TIE_RTOL[np.dtype(np.float64)])


def field_tolerance(JT, b, dtype=None):
    """Tie threshold of every field ``h = s @ JT + b``: one per column of ``JT``.

    Parameters
    ----------
    JT : ndarray of shape (n_inputs, n_fields)
        Couplings transposed (column ``k`` holds the couplings of field ``k``).
    b : ndarray of shape (n_fields,) or scalar
        Fields added to the products.
    dtype : dtype, default=None
        Type the fields are computed in; None uses ``JT.dtype``.

    Returns
    -------
    tol : ndarray of shape (n_fields,), in ``dtype``
    """
    dtype = np.dtype(JT.dtype if dtype is None else dtype)
    scale = np.sqrt(_column_sumsq(JT))
    scale = scale + np.abs(np.broadcast_to(np.asarray(b, dtype=np.float64), scale.shape))
    return np.ascontiguousarray(tie_rtol(dtype) * scale, dtype=dtype)


def _column_sumsq(JT):
    """Sums of squares of the columns, in float64, as ``np.linalg.norm`` adds them."""
    JT = np.asarray(JT)
    if JT.ndim == 2 and JT.dtype == np.float32 and JT.flags.c_contiguous:
        # float32 squares are exact in float64 and the kernel adds the rows in
        # numpy's order, so this is bit for bit the reduction below
        out = np.empty(JT.shape[1], dtype=np.float64)
        column_sumsq(JT, out)
        return out
    JT = np.asarray(JT, dtype=np.float64)
    return np.add.reduce(JT * JT, axis=0)


def site_tolerance(field_tol, n_states):
    """Per-site threshold of a Potts model from its per-(site, state) field thresholds."""
    return np.ascontiguousarray(np.asarray(field_tol).reshape(-1, n_states).max(axis=1))


def is_tie(H, tol):
    """Boolean mask of the fields that count as zero (``tol`` broadcasts over rows)."""
    return np.abs(H) <= tol


def zero_temperature_sign(H, S, tol):
    """``sign(H)``, keeping ``S`` where the field is a tie (the rule of every kernel)."""
    return np.where(is_tie(H, tol), S, np.where(H > 0, 1.0, -1.0)).astype(S.dtype, copy=False)
