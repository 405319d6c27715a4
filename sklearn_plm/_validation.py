"""Input checks and spin encodings shared by every estimator.

All validation happens here, in Python, before any compiled kernel runs.
"""

import os
import warnings

import numpy as np
from sklearn.exceptions import DataConversionWarning

from ._sklearn_compat import _check_sample_weight

#: Values are read as spins with ``x > 0 -> +1`` and ``x <= 0 -> -1``; NaN is
#: an unknown spin, stored as 0 so that it adds nothing to any local field.
SPIN_THRESHOLD = 0.0
#: Largest step or sweep count: the compiled kernels count in C ints.
MAX_INT32 = int(np.iinfo(np.int32).max)
#: Most states of a Potts site: the gradient kernel packs a state in 16 bits.
MAX_STATES = 2**16 - 1


def check_no_inf(X, name="X"):
    """Raise a ValueError when X holds +/-inf (NaN is allowed: it means unknown)."""
    if np.isinf(X).any():
        raise ValueError(
            f"Input {name} contains infinity. Use NaN for unknown spins and "
            "finite values otherwise (x > 0 is read as +1, x <= 0 as -1)."
        )


def check_temperature(temperature):
    """Raise unless ``temperature`` is a positive, finite real number."""
    if (isinstance(temperature, (bool, np.bool_)) or not np.isscalar(temperature)
            or not np.isreal(temperature) or not np.isfinite(temperature) or temperature <= 0):
        raise ValueError(
            f"temperature must be a positive finite number, got {temperature!r}. "
            "Temperatures near 0 approach zero-temperature recall (use transform for it); "
            "large ones approach uniformly random states.")
    return float(temperature)


def check_sample_weight(sample_weight, X):
    """float64 sample weights: finite, non-negative, with a positive sum."""
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError("sample_weight contains NaN or infinity; weights must be finite.")
    if np.any(sample_weight < 0):
        bad = sample_weight[sample_weight < 0][0]
        raise ValueError(
            f"Negative values in sample_weight (e.g. {bad!r}); weights must be >= 0 "
            "(0 drops a pattern).")
    if not np.any(sample_weight > 0):
        raise ValueError(
            "sample_weight sums to 0, which leaves no pattern to learn from; give some "
            "patterns a positive weight.")
    with np.errstate(over="ignore"):
        total = sample_weight.sum()
    if not np.isfinite(total):
        # w / sum(w) would be 0 everywhere (binary fits: zero couplings) or
        # NaN (Potts); the fits that scale a penalty or a rule by the weights
        # themselves (penalty_scale="sum", Hebb) cannot simply be rescaled
        raise ValueError(
            f"sample_weight sums to more than the largest float64 (largest weight "
            f"{float(sample_weight.max())!r}). Divide the weights by a common factor, e.g. "
            "sample_weight / np.max(sample_weight): the pseudo-likelihood fits see only "
            "their ratios.")
    return sample_weight


def check_states(states, n_states, name):
    """A list of state codes of a Potts model: integers in ``0..n_states - 1``, some left out.

    Returns them as an int64 array.
    """
    values = np.asarray(states, dtype=object).ravel()
    try:
        codes = np.array([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        codes = None
    if (codes is None or any(isinstance(v, (bool, np.bool_, str, bytes)) for v in values)
            or not np.all(np.isfinite(codes)) or not np.array_equal(codes, np.rint(codes))):
        raise ValueError(f"{name} must be integer state codes; got {states!r}.")
    bad = codes[(codes < 0) | (codes >= n_states)]
    if bad.size:
        raise ValueError(
            f"{name} holds state {int(bad[0])}, but this model has {n_states} states "
            f"(codes 0 to {n_states - 1}).")
    codes = codes.astype(np.int64)
    if np.unique(codes).size >= n_states:
        raise ValueError(f"{name}={states!r} leaves out all {n_states} states; keep at least one.")
    return codes


def warn_if_not_binary(X, name, chunk_rows=4096):
    """Warn (DataConversionWarning) when a known value of X is not -1, 0 or 1.

    The binary estimators read ``x > 0`` as +1; for continuous input such as
    pixel intensities that threshold is rarely the one meant.
    """
    for r0 in range(0, X.shape[0], chunk_rows):
        block = X[r0:r0 + chunk_rows]
        bad = ~((block == 1) | (block == -1) | (block == 0) | np.isnan(block))
        if bad.any():
            warnings.warn(
                f"{name} expects binary data ({{0, 1}} or {{-1, +1}}, NaN for unknown "
                f"values) and reads x > 0 as +1, x <= 0 as -1; got values such as "
                f"{float(block[bad][0])!r}. Binarize first at the threshold you mean, e.g. "
                "make_pipeline(sklearn_plm.NaNBinarizer(threshold=t), ...), which keeps NaN "
                "(sklearn.preprocessing.Binarizer does the same for complete data).",
                DataConversionWarning,
            )
            return


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


def fits_in_memory(n_bytes):
    """Whether ``n_bytes`` passes :func:`check_memory` on this machine."""
    avail = available_memory()
    return avail is None or n_bytes <= 0.8 * avail


def available_memory():
    """Physical memory in bytes, or None when the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(n_bytes, what, detail, hint="", advice="Reduce the number of features"):
    """Refuse early, with a ValueError, when ``n_bytes`` cannot fit in memory.

    Parameters
    ----------
    n_bytes : float
        Estimated peak of the operation (from measured peaks, see the callers).
    what : str
        What is being sized, for the message.
    detail : str
        What the estimate counts, for the message.
    hint : str
        What else the user can change, appended to ``advice``.
    advice : str
        The first thing to change.

    Returns
    -------
    n_bytes : float
    """
    if not fits_in_memory(n_bytes):
        avail = available_memory()
        raise ValueError(
            f"The {what} needs about {n_bytes / 2**30:.1f} GiB ({detail}), more than this "
            f"machine's {avail / 2**30:.1f} GiB allow. {advice}{hint}."
        )
    return n_bytes


def check_model_memory(n_features, n_dense_copies, what="model", hint=""):
    """Refuse early when ``n_dense_copies`` (n_features, n_features) float64 arrays cannot fit.

    The solvers and learning rules work in float64 whatever the data's
    dtype, so the estimate does not depend on it.

    Parameters
    ----------
    n_features : int
        Number of sites.
    n_dense_copies : float
        How many dense coupling-sized float64 arrays the operation has alive
        at its peak (couplings, gradient, optimizer history, ...).
    what : str
        What is being sized, for the message.
    hint : str
        What else the user can change, appended to the message.
    """
    return check_memory(
        float(n_features) ** 2 * n_dense_copies * 8, f"{what} for {n_features} features",
        f"{n_dense_copies:.3g} dense {n_features}x{n_features} float64 arrays", hint)


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
