"""The one module that imports scikit-learn's private API.

``_fit_context``, the parameter-validation helpers, ``_check_sample_weight``,
the dataset fetcher ``_fetch_remote`` (download to a temporary file, SHA-256
check, atomic rename) with its ``RemoteFileMetadata``,
the imputers' base class ``_BaseImputer`` (``missing_values``,
``add_indicator``, ``keep_empty_features``) and its helpers (``_get_mask``,
``is_scalar_nan``) are not public
in scikit-learn, so they may move between releases. Every other module
imports them from here, so that a move is a one-file fix.

The imputer base class and the fetcher are imported on first use
(``__getattr__`` below): ``sklearn.impute`` and ``sklearn.datasets`` pull in
most of scikit-learn (neighbors, metrics, linear models, decompositions),
about 15 MB of memory and a second of start-up that a Potts fit or the
command-line tools never use.
"""

import importlib

from sklearn.base import _fit_context
from sklearn.utils._mask import _get_mask
from sklearn.utils._missing import is_scalar_nan
from sklearn.utils._param_validation import (
    Interval, StrOptions, validate_parameter_constraints, validate_params,
)
from sklearn.utils.validation import _check_feature_names_in, _check_sample_weight

__all__ = ["Interval", "RemoteFileMetadata", "StrOptions", "_BaseImputer",
           "_check_feature_names_in", "_check_sample_weight", "_fetch_remote", "_fit_context",
           "_get_mask", "is_scalar_nan",
           "l1_logistic_params", "validate_parameter_constraints", "validate_params"]


_LAZY = {
    "_BaseImputer": "sklearn.impute._base",
    "RemoteFileMetadata": "sklearn.datasets._base",
    "_fetch_remote": "sklearn.datasets._base",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def l1_logistic_params():
    """Keyword arguments that make ``LogisticRegression`` L1-penalized, in this release.

    scikit-learn 1.8 deprecated ``penalty`` in favour of ``l1_ratio`` alone;
    earlier releases need ``penalty="l1"`` (``l1_ratio`` is ignored there).
    The tests and benchmarks that compare with per-site L1 logistic
    regression use this, so that they run on every supported release.
    """
    from sklearn.linear_model import LogisticRegression

    if LogisticRegression().get_params().get("penalty") == "deprecated":
        return {"l1_ratio": 1.0}
    return {"penalty": "l1"}
