"""The one module that imports scikit-learn's private API.

``_fit_context``, the parameter-validation helpers and ``_check_sample_weight``
are not public in scikit-learn, so they may move between releases. Every
other module imports them from here, so that a move is a one-file fix.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval, StrOptions, validate_parameter_constraints, validate_params,
)
from sklearn.utils.validation import _check_sample_weight

__all__ = ["Interval", "StrOptions", "_check_sample_weight", "_fit_context",
           "validate_parameter_constraints", "validate_params"]
