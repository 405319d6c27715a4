"""Checks that a fitted state is whole and consistent with itself.

Pickle and skops files can be damaged or edited. A coupling array whose shape
disagrees with ``n_features_in_`` or ``n_states_`` would send the compiled
kernels out of bounds, so the estimators check their state on load and
(cheaply, without reading the arrays) before each use.
"""

import inspect
import re
import warnings
from numbers import Integral

import numpy as np

from ._sklearn_compat import validate_parameter_constraints
from ._version import __version__

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def damaged_state(owner, detail):
    """The ValueError of an inconsistent fitted state."""
    return ValueError(
        f"This {owner} has an inconsistent fitted state: {detail}. The file it was loaded "
        "from is damaged or was edited; fit the estimator again or load a file you trust."
    )


def version_tuple(version):
    """``"1.2.3.dev0" -> (1, 2, 3)``; None when ``version`` is not a version string."""
    if not isinstance(version, str):
        return None
    parts = re.findall(r"\d+", version)[:3]
    if not parts or not re.match(r"\d", version.strip()):
        return None
    return tuple(int(part) for part in parts)


def check_saved_version(saved, installed, owner):
    """Warn when the version recorded in a file is newer than ``installed`` or not a version."""
    saved_tuple = version_tuple(saved)
    if saved_tuple is None:
        warnings.warn(
            f"This {owner} file records {saved!r} as the sklearn_plm version that saved it, "
            "which is not a version: the file is damaged or was edited. Its arrays were "
            "checked for consistency, but load only files you trust.",
            UserWarning,
        )
    elif saved_tuple > version_tuple(installed):
        warnings.warn(
            f"This {owner} was saved by sklearn_plm {saved}, newer than the installed "
            f"{installed}; it may not work as saved. Upgrade sklearn_plm.",
            UserWarning,
        )


def check_count(owner, name, value, low=1):
    """A fitted integer such as ``n_features_in_``: a true int of at least ``low``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or value < low:
        raise damaged_state(owner, f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_fitted_array(owner, name, array, shape, dtype=None, finite=False, basis=""):
    """A fitted float32/float64 ndarray of ``shape`` (and of ``dtype`` when given).

    Returns its dtype, so that the arrays of one model can be checked to agree.
    With ``finite=True`` also refuses NaN and infinity (a full pass over the
    array, done on load only).
    """
    if not isinstance(array, np.ndarray) or isinstance(array, (np.matrix, np.ma.MaskedArray)):
        raise damaged_state(owner, f"{name} must be a numpy array, got {type(array).__name__}")
    if array.dtype not in _FLOAT_DTYPES or not array.dtype.isnative:
        raise damaged_state(owner, f"{name} must hold float32 or float64 values, got {array.dtype}")
    if dtype is not None and array.dtype != dtype:
        raise damaged_state(owner, f"{name} is {array.dtype} but the other arrays are {dtype}")
    if array.shape != tuple(shape):
        basis = f" from {basis}" if basis else ""
        raise damaged_state(owner, f"{name} has shape {array.shape}, expected "
                            f"{tuple(shape)}{basis}")
    if finite and not np.all(np.isfinite(array)):
        raise damaged_state(owner, f"{name} contains NaN or infinity")
    return array.dtype


def native_contiguous(array):
    """``array`` in native byte order and C order (no copy when it already is)."""
    if isinstance(array, np.ndarray) and array.dtype.kind == "f":
        return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
    return array


class CheckedStateMixin:
    """Pickle and skops states that carry the library's version and are checked on load.

    ``__setstate__`` refuses states of a newer version, gives parameters
    added since an older one their defaults, validates every parameter (a
    ``burn_in`` of ``2**40`` or a NaN ``temperature`` from a file would run
    forever or return NaN) and then calls ``self._check_loaded_state()``,
    which subclasses define to check their fitted attributes against each
    other before any kernel sees them.
    """

    def __getstate__(self):
        # a copy: object.__getstate__ returns the instance's own __dict__
        state = dict(super().__getstate__())
        state["_sklearn_plm_version"] = __version__
        return state

    def __setstate__(self, state):
        """Load a pickled or skops state, after checking it.

        A file may be damaged or edited, so the parameters are validated and
        the fitted arrays checked against each other before any kernel sees
        them; an inconsistent state raises instead of loading.
        """
        state = dict(state)
        saved = state.pop("_sklearn_plm_version", "0.1.0.dev0")
        check_saved_version(saved, __version__, type(self).__name__)
        # Upgrades of states saved by older versions: parameters added since
        # then take their defaults.
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if param.default is not param.empty and name not in state:
                state[name] = param.default
        super().__setstate__(state)
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False),
            caller_name=type(self).__name__)
        self._check_loaded_state()
