"""Input checks and spin encodings shared by every estimator.

All validation happens here, in Python, before any compiled kernel runs.
"""

import os

import numpy as np

#: Values are read as spins with ``x > 0 -> +1`` and ``x <= 0 -> -1``; NaN is
#: an unknown spin, stored as 0 so that it adds nothing to any local field.
SPIN_THRESHOLD = 0.0


def check_no_inf(X, name="X"):
    """Raise a ValueError when X holds +/-inf (NaN is allowed: it means unknown)."""
    if np.isinf(X).any():
        raise ValueError(
            f"Input {name} contains infinity. Use NaN for unknown spins and "
            "finite values otherwise (x > 0 is read as +1, x <= 0 as -1)."
        )


def native_byte_order(X):
    """Swap a non-native byte order, keeping the precision.

    scikit-learn's validation would otherwise read big-endian float32 as
    "not float32" and upcast it to float64.
    """
    if isinstance(X, np.ndarray) and X.dtype.kind in "biuf" and not X.dtype.isnative:
        return X.astype(X.dtype.newbyteorder("="))
    return X


def detect_encoding(X, chunk_rows=4096):
    """Return ``"01"`` when every known value is 0 or 1 (and some are 0), else ``"pm1"``.

    The encoding seen in ``fit`` is the encoding returned by ``transform``.
    Rows are checked in chunks so that no copy of X is made.
    """
    any_zero = False
    for r0 in range(0, X.shape[0], chunk_rows):
        block = X[r0:r0 + chunk_rows]
        zero = block == 0
        if not np.all(zero | (block == 1) | np.isnan(block)):
            return "pm1"
        any_zero = any_zero or bool(zero.any())
    return "01" if any_zero else "pm1"


def _is_pm1(X, chunk_rows=4096):
    for r0 in range(0, X.shape[0], chunk_rows):
        block = X[r0:r0 + chunk_rows]
        if not np.all((block == 1) | (block == -1)):
            return False
    return True


def to_spins(X, dtype, copy=True):
    """Map validated input to a C-contiguous array of spins in {-1, 0, +1}.

    Known values are thresholded at 0; NaN becomes 0 ("unknown"). Writes the
    result directly in ``dtype``, so the only P-sized allocation is the output.
    With ``copy=False``, input that already is C-contiguous +/-1 data of that
    dtype is returned as it is (for read-only use, e.g. by a fit).
    """
    X = np.asarray(X)
    dtype = np.dtype(dtype)
    if not copy and X.dtype == dtype and X.flags.c_contiguous and _is_pm1(X):
        return X
    S = np.empty(X.shape, dtype=dtype)
    np.greater(X, SPIN_THRESHOLD, out=S, casting="unsafe")  # 1 where x > 0, else 0
    S *= 2
    S -= 1
    if X.dtype.kind == "f":
        S[np.isnan(X)] = 0
    return S


def from_spins(S, encoding, dtype):
    """Map spins back to the encoding seen in fit."""
    S = np.asarray(S, dtype=dtype)
    if encoding == "01":
        return (S + 1) / 2
    return S


def available_memory():
    """Physical memory in bytes, or None when the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_model_memory(n_features, n_dense_copies, itemsize=8, what="model"):
    """Refuse early when ``n_dense_copies`` (n_features, n_features) arrays cannot fit.

    Parameters
    ----------
    n_features : int
        Number of sites.
    n_dense_copies : float
        How many dense coupling-sized arrays the operation keeps alive
        (couplings, gradient, optimizer history, ...).
    itemsize : int
        Bytes per entry.
    what : str
        What is being sized, for the message.
    """
    needed = float(n_features) ** 2 * n_dense_copies * itemsize
    avail = available_memory()
    if avail is not None and needed > 0.8 * avail:
        raise ValueError(
            f"The {what} for {n_features} features needs about {needed / 2**30:.1f} GiB "
            f"({n_dense_copies:g} dense {n_features}x{n_features} arrays of "
            f"{itemsize}-byte floats), more than this machine's "
            f"{avail / 2**30:.1f} GiB. Reduce the number of features, or fit "
            "float32 data."
        )
    return needed


def has_non_numeric(X):
    """Whether ``X`` holds strings or categories (pandas or NumPy), not numbers."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None:
        dtypes = list(dtypes) if hasattr(dtypes, "__iter__") else [dtypes]
    else:
        try:
            dtypes = [np.asarray(X).dtype]
        except (TypeError, ValueError):
            return False
    # pandas' categorical and string dtypes have kind "O", like object arrays
    return any(getattr(dtype, "kind", "O") in "OSU" for dtype in dtypes)
