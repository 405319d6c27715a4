"""Binarization that keeps NaN, for data with missing values."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import validate_data

from ._sklearn_compat import Interval, _fit_context
from ._validation import has_non_numeric, native_byte_order


class NaNBinarizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Threshold numeric data to 0/1, keeping NaN as missing.

    Like :class:`sklearn.preprocessing.Binarizer` (``x > threshold`` is 1,
    otherwise 0), but a NaN stays NaN, so that the result can go to
    :class:`PseudoLikelihoodImputer` or a memory, which read NaN as an
    unknown value. ``Binarizer`` refuses NaN.

    Parameters
    ----------
    threshold : float, default=0.0
        Values strictly greater than ``threshold`` become 1, the others 0.
    copy : bool, default=True
        Whether to leave the input untouched (False binarizes a float
        ndarray in place when it can).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.preprocessing.Binarizer : The same without missing values.
    PseudoLikelihoodImputer : Imputes the NaN left here.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import NaNBinarizer
    >>> NaNBinarizer(threshold=8).fit_transform([[0.0, 16.0], [np.nan, 9.0]])
    array([[ 0.,  1.],
           [nan,  1.]])
    """

    _parameter_constraints: dict = {
        "threshold": [Interval(Real, None, None, closed="neither")],
        "copy": ["boolean"],
    }

    def __init__(self, *, threshold=0.0, copy=True):
        self.threshold = threshold
        self.copy = copy

    def _validate(self, X, reset, copy):
        try:
            return validate_data(self, native_byte_order(X), reset=reset,
                                 dtype=[np.float64, np.float32],
                                 ensure_all_finite="allow-nan", copy=copy)
        except (TypeError, ValueError) as exc:
            if has_non_numeric(X):
                raise type(exc)(
                    f"NaNBinarizer needs numbers, but X holds non-numeric values such as "
                    f"strings ({exc}). Encode those columns first, e.g. with "
                    "sklearn.preprocessing.OrdinalEncoder in a ColumnTransformer.") from exc
            raise

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check X and record its number of features (nothing is learned).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric data, NaN for missing values.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        self._validate(X, reset=True, copy=False)
        return self

    def transform(self, X, copy=None):
        """Binarize each known value of X; NaN stays NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric data, NaN for missing values.
        copy : bool, default=None
            Overrides ``self.copy`` when given.

        Returns
        -------
        X_binary : ndarray of shape (n_samples, n_features)
            0.0 and 1.0 (NaN where X is NaN), in the float dtype of X.
        """
        copy = self.copy if copy is None else copy
        X = self._validate(X, reset=False, copy=copy)
        missing = np.isnan(X)
        np.greater(X, self.threshold, out=X, casting="unsafe")
        X[missing] = np.nan
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
