"""Imputation of binary data by the marginals of a pseudo-likelihood model."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.impute import MissingIndicator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._recall import RecallOptions, ising_samples, spin_marginals
from ._pseudolikelihood import PseudoLikelihoodMemory
from ._sklearn_compat import (_BaseImputer, _check_feature_names_in, _fit_context, _get_mask,
                              Interval, StrOptions, is_scalar_nan)
from ._state import CheckedStateMixin, check_count, damaged_state
from ._validation import (MAX_INT32, check_no_inf, detect_encoding, has_non_numeric,
                          native_byte_order, to_spins, warn_if_not_binary)


class PseudoLikelihoodImputer(CheckedStateMixin, _BaseImputer):
    """Impute missing binary entries by their marginals under a pseudo-likelihood model.

    ``fit`` learns a binary (Ising) network by maximum pseudo-likelihood
    (:class:`PseudoLikelihoodMemory`) from the observed entries; the
    conditionals ``p(x_i | x_rest)`` it fits are what an imputer needs.
    ``transform`` fills each missing entry with its more probable value
    under the model's marginals given the observed entries of its row
    (estimated by damped mean-field iteration or clamped Gibbs sampling);
    observed entries are returned unchanged. :meth:`predict_proba` gives the
    marginals. It drops into a :class:`~sklearn.pipeline.Pipeline` where
    :class:`~sklearn.impute.KNNImputer` or
    :class:`~sklearn.impute.IterativeImputer` would go.

    Parameters
    ----------
    missing_values : int, float, str, np.nan or None, default=np.nan
        The placeholder for missing values; all its occurrences are imputed.
        With another placeholder than NaN, X must not hold NaN (as in
        :class:`~sklearn.impute.SimpleImputer`).
    alpha : float, default=1e-2
        L2 penalty on the couplings of the fit (see
        :class:`PseudoLikelihoodMemory`).
    symmetric : bool, default=True
        Fit symmetric couplings, so that the model has an energy and Gibbs
        sampling samples its Boltzmann distribution.
    temperature : float, default=1.0
        Temperature of the completion relative to the fit: the marginals
        are those of ``p(x_i | rest) = sigmoid(2 h_i / temperature)``. Tune
        it with ``alpha`` on held-out masked entries, e.g. with
        :func:`~sklearn_plm.metrics.make_completion_scorer`.
    method : {"mean-field", "gibbs"}, default="mean-field"
        Estimator of the marginals: damped mean-field iteration (fast,
        deterministic) or clamped Gibbs chains (one per row, ``burn_in``
        sweeps, then the conditionals averaged over ``n_sweeps`` sweeps).
    max_iter : int, default=200
        L-BFGS iterations of each fit.
    refit_rounds : int, default=1
        Rounds of stochastic EM after the first fit: the missing entries of
        every row are drawn ``n_draws`` times from the model's clamped Gibbs
        chains (``burn_in`` sweeps each) and the model is refit on the
        completed copies. 0 keeps the fit on the observed entries only, in
        which a missing neighbour contributes nothing to a conditional.
    n_draws : int, default=3
        Completed copies of each row per round.
    max_recall_iter : int, default=100
        Mean-field steps before a row is given up on.
    burn_in : int, default=50
        ``method="gibbs"``: sweeps before averaging.
    n_sweeps : int, default=200
        ``method="gibbs"``: sweeps averaged.
    add_indicator : bool, default=False
        Stack a :class:`~sklearn.impute.MissingIndicator` after the imputed
        features.
    keep_empty_features : bool, default=False
        Keep the features with no observed value in ``fit`` (imputed with 0,
        probability 0.5) instead of dropping them.
    n_jobs : int, default=None
        Threads of the fit and of the Gibbs chains, capped at the CPUs this
        process may use; -1 uses them all.
    random_state : int, RandomState instance or None, default=None
        Seeds the Gibbs chains of the refits and of ``method="gibbs"``.

    Attributes
    ----------
    memory_ : PseudoLikelihoodMemory
        The model fitted on the features with observed values.
    encoding_ : {"01", "pm1"}
        Encoding of the observed values, used for the imputed ones.
    n_iter_ : int
        L-BFGS iterations of the fit.
    indicator_ : MissingIndicator or None
        Indicator of the missing entries, when ``add_indicator=True``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    PseudoLikelihoodMemory : The model, as an associative memory.
    sklearn.impute.KNNImputer : Imputation by nearest neighbours.

    Notes
    -----
    Values are read as spins with ``x > 0 -> +1`` (so {0, 1} and {-1, +1}
    data both work); binarize continuous data first, e.g. with
    :class:`NaNBinarizer`, which keeps NaN. Non-binary data is thresholded at
    0 with a ``DataConversionWarning``, and then every output entry, observed
    or imputed, is thresholded: {0, 1} for non-negative data, {-1, +1}
    otherwise. Features with no observed value in ``fit`` are dropped with a
    warning, as :class:`~sklearn.impute.SimpleImputer` does, unless
    ``keep_empty_features=True``. A pickle or skops file is checked on load,
    parameters and fitted attributes, as the memories are.

    ``fit_fields=True`` (one bias per feature) is always used: a pixel that
    is mostly off must be imputed off when its neighbours say nothing.

    The defaults ``alpha=1e-2``, ``symmetric=True`` and ``temperature=1``
    were chosen on a train/test split of the binarized digits (1200 images
    to fit, 30% of the entries of the other 597 hidden), and
    ``refit_rounds=1``, ``n_draws=3`` on two other random masks of 30% of
    the digits (seeds 5 and 6), not on the masks that
    ``benchmarks/bench_completion.py`` reports (seed 0). One refit gained
    0.3-0.4 points of accuracy there; more rounds gained nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import PseudoLikelihoodImputer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.choice([0.0, 1.0], size=(300, 4))
    >>> X[:, 1] = X[:, 0]  # feature 1 copies feature 0
    >>> X_missing = X.copy()
    >>> X_missing[:5, 1] = np.nan
    >>> imputer = PseudoLikelihoodImputer().fit(X_missing)
    >>> bool(np.all(imputer.transform(X_missing)[:5, 1] == X[:5, 0]))
    True
    """

    _parameter_constraints: dict = {
        **_BaseImputer._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "symmetric": ["boolean"],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "method": [StrOptions({"mean-field", "gibbs"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "refit_rounds": [Interval(Integral, 0, None, closed="left")],
        "n_draws": [Interval(Integral, 1, None, closed="left")],
        # the completion kernels count steps and sweeps in C ints
        "max_recall_iter": [Interval(Integral, 1, MAX_INT32, closed="both")],
        "burn_in": [Interval(Integral, 0, MAX_INT32, closed="both")],
        "n_sweeps": [Interval(Integral, 1, MAX_INT32, closed="both")],
        # as the memories: n_jobs=0 means no worker at all
        "n_jobs": [Interval(Integral, None, -1, closed="right"),
                   Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        missing_values=np.nan,
        alpha=1e-2,
        symmetric=True,
        temperature=1.0,
        method="mean-field",
        max_iter=200,
        refit_rounds=1,
        n_draws=3,
        max_recall_iter=100,
        burn_in=50,
        n_sweeps=200,
        add_indicator=False,
        keep_empty_features=False,
        n_jobs=None,
        random_state=None,
    ):
        super().__init__(missing_values=missing_values, add_indicator=add_indicator,
                         keep_empty_features=keep_empty_features)
        self.alpha = alpha
        self.symmetric = symmetric
        self.temperature = temperature
        self.method = method
        self.max_iter = max_iter
        self.refit_rounds = refit_rounds
        self.n_draws = n_draws
        self.max_recall_iter = max_recall_iter
        self.burn_in = burn_in
        self.n_sweeps = n_sweeps
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _validate_input(self, X, reset):
        # as SimpleImputer: NaN is a value to refuse unless it is the placeholder
        nan_missing = is_scalar_nan(self.missing_values)
        try:
            X = validate_data(
                self, native_byte_order(X), reset=reset, dtype=[np.float64, np.float32],
                ensure_all_finite="allow-nan" if nan_missing else True,
                ensure_min_features=2 if reset else 1, copy=True,
            )
        except (TypeError, ValueError) as exc:
            if has_non_numeric(X):
                raise type(exc)(
                    f"{type(self).__name__} needs numbers, but X holds non-numeric values "
                    f"such as strings or categories ({exc}). Encode those columns as 0/1 "
                    "first, e.g. with sklearn.preprocessing.OrdinalEncoder in a "
                    "ColumnTransformer, or drop them.") from exc
            if not nan_missing and "NaN" in str(exc):
                raise ValueError(
                    f"Input X contains NaN, but missing_values={self.missing_values!r}: "
                    "NaN would stay in the output. Use missing_values=np.nan, or replace "
                    f"NaN by {self.missing_values!r} first.") from exc
            raise
        mask = _get_mask(X, self.missing_values)
        X[mask] = np.nan
        check_no_inf(X)
        warn_if_not_binary(X, type(self).__name__)
        return X, mask

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model on the observed entries of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary data with missing values.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted imputer.
        """
        X, mask = self._validate_input(X, reset=True)
        self._observed = ~mask.all(axis=0)
        if self._observed.sum() < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 features with observed values; "
                f"got {int(self._observed.sum())}.")
        if not self.keep_empty_features and not self._observed.all():
            # SimpleImputer's warning, in its words
            warnings.warn(
                "Skipping features without any observed values: "
                f"{np.flatnonzero(~self._observed)}. At least one non-missing value is "
                f"needed for imputation with {type(self).__name__}; pass "
                "keep_empty_features=True to keep them (imputed with 0).", UserWarning)
        X = X[:, self._observed]
        # non-binary data is thresholded at 0 (with a warning); all of the
        # output is then in one encoding, {0, 1} for non-negative values
        self.encoding_ = detect_encoding(X)
        known = X[~np.isnan(X)]
        if not np.all((known == 1) | (known == 0) | (known == -1)) and not np.any(known < 0):
            self.encoding_ = "01"
        # spins, with NaN kept: the input was checked (and warned about) here
        S = to_spins(X, X.dtype)
        S[S == 0] = np.nan
        memory = PseudoLikelihoodMemory(
            alpha=self.alpha, symmetric=self.symmetric, fit_fields=True, max_iter=self.max_iter,
            n_jobs=self.n_jobs,
        )
        self.memory_ = clone(memory).fit(S)
        spins = np.nan_to_num(S).astype(np.float64)
        rng = check_random_state(self.random_state)
        for _ in range(self.refit_rounds):
            model = self.memory_
            options = RecallOptions(burn_in=self.burn_in,
                                    seed=rng.randint(1, np.iinfo(np.int32).max),
                                    n_threads=model._n_threads())
            completed = ising_samples(spins, spins == 0, model.coupling_, model.fields_,
                                      model.beta, self.n_draws, options)
            self.memory_ = clone(memory).fit(completed.astype(S.dtype))
        self.n_iter_ = self.memory_.n_iter_
        self._fit_indicator(mask)
        return self

    def _proba(self, X):
        """(validated X, missing mask, P(x = +1) for the kept features)."""
        check_is_fitted(self)
        self._check_fitted_state()
        X, mask = self._validate_input(X, reset=False)
        model = self.memory_
        # the model knows the features observed in fit; the others say nothing
        S = to_spins(X[:, self._observed], np.float64)
        P = np.full(X.shape, 0.5)
        options = RecallOptions(
            method=self.method, max_iter=self.max_recall_iter, burn_in=self.burn_in,
            n_sweeps=self.n_sweeps, clamp=True, temperature=self.temperature,
            seed=check_random_state(self.random_state).randint(1, np.iinfo(np.int32).max),
            n_threads=model._n_threads())
        P[:, self._observed], _, _ = spin_marginals(S, S == 0, model.coupling_, model.fields_,
                                                    model.beta, options)
        known = ~np.isnan(X)
        P[known] = X[known] > 0
        keep = slice(None) if self.keep_empty_features else self._observed
        return X, mask, P[:, keep]

    def predict_proba(self, X):
        """Probability that each entry is +1 (1 in {0, 1} data) given the observed ones.

        Observed entries get probability 1 or 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary data with missing values.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_features_kept)
            Marginals, float64; empty features are dropped unless
            ``keep_empty_features=True`` (then 0.5).
        """
        return self._proba(X)[2]

    def transform(self, X):
        """Impute every missing entry of X; observed binary entries are returned unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary data with missing values.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            Imputed data, in the dtype of X; features with no observed value
            in fit are dropped unless ``keep_empty_features=True`` (then
            imputed with 0), followed by the missing indicator when
            ``add_indicator=True``.
        """
        X, mask, P = self._proba(X)
        low = 0.0 if self.encoding_ == "01" else -1.0
        # P is 1 or 0 at the observed entries (x > 0): binary ones come back
        # unchanged, others thresholded like the model read them, so that the
        # output never mixes raw values with imputed spins
        out = np.where(P > 0.5, 1.0, low).astype(X.dtype)
        if self.keep_empty_features:
            out[mask & ~self._observed] = 0.0
        return self._concatenate_indicator(out, self._transform_indicator(mask))

    def _check_fitted_state(self, finite=False):
        """Raise unless the fitted attributes agree with each other (cheap; ``finite`` on load).

        A loaded file may pair a mask and a model that disagree; the kernels
        index the couplings with the masked columns.
        """
        owner = type(self).__name__
        n_features = check_count(owner, "n_features_in_", self.n_features_in_, low=2)
        model = self.memory_
        if not isinstance(model, PseudoLikelihoodMemory):
            raise damaged_state(owner, f"memory_ must be a PseudoLikelihoodMemory, got "
                                f"{type(model).__name__}")
        model._check_fitted(finite=finite)
        observed = getattr(self, "_observed", None)
        if (not isinstance(observed, np.ndarray) or observed.dtype != np.bool_
                or observed.shape != (n_features,)):
            raise damaged_state(
                owner, f"its observed-feature mask must be a boolean array of shape "
                f"({n_features},), got {type(observed).__name__} "
                f"{getattr(observed, 'dtype', '')} {getattr(observed, 'shape', '')}")
        if int(observed.sum()) != model.n_features_in_:
            raise damaged_state(
                owner, f"its observed-feature mask keeps {int(observed.sum())} features but "
                f"memory_ has {model.n_features_in_}")
        if not (isinstance(self.encoding_, str) and self.encoding_ in ("01", "pm1")):
            raise damaged_state(owner, f"encoding_ must be '01' or 'pm1', got {self.encoding_!r}")
        names = getattr(self, "feature_names_in_", None)
        if names is not None and (not hasattr(names, "__len__") or len(names) != n_features):
            raise damaged_state(owner, f"feature_names_in_ does not name {n_features} features")
        indicator = getattr(self, "indicator_", None)
        if self.add_indicator != (indicator is not None):
            raise damaged_state(owner, f"add_indicator={self.add_indicator} but indicator_ is "
                                f"{type(indicator).__name__}")
        if indicator is not None:
            features = getattr(indicator, "features_", None)
            if (not isinstance(indicator, MissingIndicator)
                    or getattr(indicator, "_n_features", None) != n_features
                    or not isinstance(features, np.ndarray) or features.dtype.kind not in "iu"
                    or (features.size and not (0 <= features.min()
                                                and features.max() < n_features))):
                raise damaged_state(owner, f"indicator_ is not a MissingIndicator of "
                                    f"{n_features} features")

    def _check_loaded_state(self):
        fitted = ("memory_", "encoding_", "_observed", "n_features_in_")
        if any(name in self.__dict__ for name in fitted):
            check_is_fitted(self, fitted)
            self._check_fitted_state(finite=True)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input features; None uses ``feature_names_in_`` or ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        self._check_fitted_state()
        input_features = _check_feature_names_in(self, input_features)
        names = input_features if self.keep_empty_features else input_features[self._observed]
        return self._concatenate_indicator_feature_names_out(names, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
