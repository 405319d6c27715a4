"""Recall, scoring and input handling shared by the memory estimators."""

import os
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._sklearn_compat import Interval, StrOptions
from ._pseudolikelihood_fast import ising_log_conditionals
from ._recall import (DYNAMICS, RecallOptions, RecallResult, complete_spins, free_sites,
                      marginal_method, spin_marginals)
from ._sampling import gibbs_ising
from ._solvers import SOLVERS
from ._stopping import STOPPING_RULES
from ._state import (
    CheckedStateMixin, check_count, check_fitted_array, damaged_state, native_contiguous,
)
from ._threading import effective_n_threads, limit_blas_threads
from ._validation import (
    MAX_INT32, check_no_inf, check_sample_weight, check_temperature, detect_encoding,
    from_spins, has_non_numeric, native_byte_order, to_spins, warn_if_not_binary,
)


# Parameters shared by the pseudo-likelihood estimators (binary and Potts).
PL_PARAMETER_CONSTRAINTS = {
    "alpha": [Interval(Real, 0, None, closed="left")],
    "beta": [Interval(Real, 0, None, closed="neither")],
    "symmetric": ["boolean"],
    "fit_fields": ["boolean"],
    "alpha_fields": [Interval(Real, 0, None, closed="left"), None],
    # the names of the one solver table
    "solver": [StrOptions(set(SOLVERS))],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "tol_norm": [StrOptions(set(STOPPING_RULES))],
    "tol_objective": [Interval(Real, 0, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "clip": [Interval(Real, 0, None, closed="neither"), None],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
}


class BaseMemory(CheckedStateMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """What every memory estimator shares: recall parameters, threads,
    all-or-nothing fits, versioned pickles, ``transform`` and ``score``.

    Subclasses implement ``complete(X) -> RecallResult``, ``predict_proba``
    and ``score_samples``.
    """

    _parameter_constraints: dict = {
        "recall": [StrOptions(set(DYNAMICS))],
        "max_recall_iter": [Interval(Integral, 1, MAX_INT32, closed="both")],
        "burn_in": [Interval(Integral, 0, MAX_INT32, closed="both")],
        "n_sweeps": [Interval(Integral, 1, MAX_INT32, closed="both")],
        "clamp": ["boolean", StrOptions({"auto"})],
        # n_jobs=0 means no worker at all: refused here, not deep inside joblib
        "n_jobs": [Interval(Integral, None, -1, closed="right"),
                   Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    @contextmanager
    def _all_or_nothing(self):
        """Restore the previous state if fitting fails or is interrupted (Ctrl-C).

        Validation sets ``n_features_in_`` before the solver runs, so an
        interrupted fit would otherwise leave a half-updated estimator.
        """
        saved = dict(self.__dict__)
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    # The HTML repr's "?" links to this estimator's API page. The docs have no
    # fixed address yet: the link shows when SKLEARN_PLM_DOCS_URL names the root
    # of a build of doc/ (the gallery pages set it, so their reprs link).
    _doc_link_module = "sklearn_plm"

    @property
    def _doc_link_template(self):
        root = os.environ.get("SKLEARN_PLM_DOCS_URL", "").rstrip("/")
        return f"{root}/generated/{{estimator_module}}.{{estimator_name}}.html" if root else ""

    # What to put before the estimator when X holds strings or categories.
    _non_numeric_hint = (
        "Encode each column as integer codes first, e.g. with "
        "sklearn.preprocessing.OrdinalEncoder in a pipeline before this estimator."
    )

    def _validate_input(self, X, reset):
        try:
            return validate_data(
                self,
                native_byte_order(X),
                reset=reset,
                dtype=[np.float64, np.float32],
                ensure_all_finite="allow-nan",
                ensure_min_features=2 if reset else 1,
            )
        except (TypeError, ValueError) as exc:
            if has_non_numeric(X):
                # same type: callers (and scikit-learn's checks) catch TypeError for objects
                raise type(exc)(
                    f"{type(self).__name__} needs numbers, but X holds non-numeric values "
                    f"such as strings or categories ({exc}). {self._non_numeric_hint}"
                ) from exc
            raise

    def _n_threads(self):
        return effective_n_threads(self.n_jobs)

    def _blas_threads(self):
        """Cap BLAS at ``n_jobs`` threads: idle-spinning OpenBLAS threads on a
        busy machine make small products many times slower."""
        return limit_blas_threads(self._n_threads())

    def _recall_options(self, method=None):
        """The :class:`~sklearn_plm._recall.RecallOptions` of one call, from the parameters.

        ``method`` defaults to ``recall``; a seeded dynamics draws its seed here.
        """
        method = self.recall if method is None else method
        seed = self._async_seed() if DYNAMICS[method].seeded else 0
        return RecallOptions(method=method, max_iter=self.max_recall_iter, burn_in=self.burn_in,
                             n_sweeps=self.n_sweeps, clamp=self.clamp, seed=seed,
                             n_threads=self._n_threads())

    def _proba_options(self):
        """Options of ``predict_proba``: the recall option's marginals, mean-field at zero
        temperature."""
        return self._recall_options(marginal_method(self.recall))

    def _async_seed(self):
        """Seed of the site orders of asynchronous recall, drawn per call."""
        return check_random_state(self.random_state).randint(1, np.iinfo(np.int32).max)

    def transform(self, X):
        """Complete each row by zero-temperature recall.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Initial states; NaN marks an unknown entry.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Final states, in the encoding seen in fit. A row that reached no
            fixed point (a synchronous 2-cycle, or ``max_recall_iter`` steps
            run out) ends in its last state; :meth:`complete` says which
            rows converged.
        """
        return self.complete(X).X

    def score(self, X, y=None, sample_weight=None):
        """Mean pseudo-log-likelihood of the rows of X (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patterns.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows: the score is then the weighted mean.

        Returns
        -------
        score : float
        """
        scores = self.score_samples(X)
        if sample_weight is None:
            return float(np.mean(scores))
        sample_weight = check_sample_weight(sample_weight, scores)
        return float(np.dot(sample_weight, scores) / sample_weight.sum())

    # Attributes that every fitted state has; subclasses name theirs.
    _fitted_attributes = ("coupling_", "fields_")

    def __sklearn_is_fitted__(self):
        return all(hasattr(self, name) for name in self._fitted_attributes)

    def _fitted_shapes(self):
        """Expected shape of each fitted array, from the fitted integers."""
        raise NotImplementedError

    def _check_fitted(self, finite=False):
        """Raise unless fitted with attributes that agree with each other.

        NotFittedError when the fitted attributes are missing (all or some),
        ValueError when their shapes, dtypes or values disagree. Reads only
        shapes and dtypes, so it is cheap enough to run before every call
        into the compiled kernels; ``finite=True`` (on load) also scans the
        arrays for NaN and infinity.
        """
        check_is_fitted(self)
        owner = type(self).__name__
        dtype = None
        shapes = self._fitted_shapes()
        basis = ", ".join(f"{name}={getattr(self, name)!r}"
                          for name in ("n_features_in_", "n_states_") if hasattr(self, name))
        for name, shape in shapes.items():
            dtype = check_fitted_array(owner, name, getattr(self, name), shape, dtype, finite,
                                       basis=basis)
        names = getattr(self, "feature_names_in_", None)
        if names is not None and len(names) != self.n_features_in_:
            raise damaged_state(
                owner, f"feature_names_in_ has {len(names)} names for "
                f"{self.n_features_in_} features")

    def _n_features(self):
        return check_count(type(self).__name__, "n_features_in_",
                           getattr(self, "n_features_in_", None))

    def _check_loaded_state(self):
        if any(name in self.__dict__ for name in self._fitted_attributes):
            if self.__sklearn_is_fitted__():
                # another byte order or memory layout is the same model
                for name in self._fitted_shapes():
                    setattr(self, name, native_contiguous(getattr(self, name)))
            self._check_fitted(finite=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class BaseIsingMemory(BaseMemory):
    """Binary associative memory with couplings ``coupling_`` and fields ``fields_``.

    Subclasses learn ``coupling_`` (zero diagonal), ``fields_`` and
    ``encoding_`` in ``fit``; this class provides recall, scoring and sampling.
    """

    # Inverse temperature of the conditionals used by score_samples.
    _score_beta = 1.0

    _non_numeric_hint = (
        "Encode the columns as numbers first, in a pipeline before this estimator: "
        "sklearn.preprocessing.OrdinalEncoder turns two categories into 0/1, "
        "OneHotEncoder(sparse_output=False) gives one binary column per category "
        "(or use PottsPseudoLikelihoodMemory for many categories), and Binarizer "
        "thresholds numeric columns into 0/1."
    )

    def _validate_input(self, X, reset):
        X = super()._validate_input(X, reset)
        check_no_inf(X)
        warn_if_not_binary(X, type(self).__name__)
        return X

    _fitted_attributes = ("coupling_", "fields_", "encoding_")

    def _fitted_shapes(self):
        n = self._n_features()
        return {"coupling_": (n, n), "fields_": (n,)}

    def _check_fitted(self, finite=False):
        super()._check_fitted(finite)
        if not (isinstance(self.encoding_, str) and self.encoding_ in ("01", "pm1")):
            raise damaged_state(type(self).__name__,
                                f"encoding_ must be '01' or 'pm1', got {self.encoding_!r}")

    def _spins_for_inference(self, X):
        self._check_fitted()
        X = self._validate_input(X, reset=False)
        return X, to_spins(X, self.coupling_.dtype)

    def complete(self, X):
        """Complete each row by recall and report convergence.

        NaN entries are unknown spins to be inferred; ``clamp`` says which
        known entries may change (by default none in rows with unknown
        entries, all in complete rows). With ``recall="sync"`` or
        ``"async"`` the row flows to a fixed point of zero-temperature
        dynamics; with ``"mean-field"`` or ``"gibbs"`` each free entry takes
        its most probable value under the model given the held ones (see
        :meth:`predict_proba`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Initial states, possibly with NaN for unknown entries.

        Returns
        -------
        result : RecallResult
            Named tuple ``(X, n_iter, converged)``: the final states in the
            encoding seen in fit, the steps (``recall="sync"``,
            ``"mean-field"``) or sweeps (``"async"``, ``"gibbs"``) run per
            row, and whether each row reached a fixed point (of the
            mean-field equations for ``"mean-field"``; always True for
            ``"gibbs"``) within ``max_recall_iter``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PseudoLikelihoodMemory
        >>> rng = np.random.default_rng(0)
        >>> patterns = rng.choice([-1.0, 1.0], size=(10, 50))
        >>> memory = PseudoLikelihoodMemory(alpha=1e-3).fit(patterns)
        >>> probe = patterns[:2].copy()
        >>> probe[:, :20] = np.nan  # first 20 entries unknown
        >>> result = memory.complete(probe)
        >>> bool(np.all(result.X == patterns[:2])), result.converged
        (True, array([ True,  True]))
        """
        X, S = self._spins_for_inference(X)
        options = self._recall_options()
        free = free_sites(S == 0, options.clamp)
        with self._blas_threads():
            S, n_iter, converged = complete_spins(S, free, self.coupling_, self.fields_,
                                                  float(self._score_beta), options)
        return RecallResult(from_spins(S, self.encoding_, X.dtype), n_iter, converged)

    def predict_proba(self, X):
        """Probability that each entry is +1 (1 in {0, 1} data) given the held entries.

        The marginals of the model at its fit temperature, with the entries
        that ``clamp`` holds (by default the known entries of rows with
        unknown ones) fixed at their values; a held entry gets probability 1
        or 0. They are estimated by ``recall`` when it is ``"mean-field"``
        (fast, deterministic) or ``"gibbs"`` (clamped Gibbs chains of
        ``burn_in`` + ``n_sweeps`` sweeps, seeded by ``random_state``), and
        by mean-field otherwise. :meth:`complete` with a finite-temperature
        ``recall`` returns the more probable value of each entry.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States; NaN marks an unknown entry.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_features)
            ``P(x_ij = +1 | held entries of row i)``, float64.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PseudoLikelihoodMemory
        >>> rng = np.random.default_rng(0)
        >>> X = rng.choice([-1.0, 1.0], size=(500, 3))
        >>> X[:, 1] = X[:, 0]  # site 1 copies site 0
        >>> memory = PseudoLikelihoodMemory(fit_fields=True).fit(X)
        >>> P = memory.predict_proba([[1.0, np.nan, np.nan]])
        >>> P.shape, float(P[0, 0]), bool(P[0, 1] > 0.95), bool(abs(P[0, 2] - 0.5) < 0.1)
        ((1, 3), 1.0, True, True)
        """
        _, S = self._spins_for_inference(X)
        options = self._proba_options()
        free = free_sites(S == 0, options.clamp)
        with self._blas_threads():
            return spin_marginals(S, free, self.coupling_, self.fields_,
                                  float(self._score_beta), options)[0]

    def local_fields(self, X):
        """Local fields ``h = X @ coupling_.T + fields_`` (unknown spins count as 0).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States.

        Returns
        -------
        H : ndarray of shape (n_samples, n_features)
        """
        _, S = self._spins_for_inference(X)
        with self._blas_threads():
            return S @ self.coupling_.T + self.fields_

    def score_samples(self, X):
        r"""Exact pseudo-log-likelihood of each row.

        :math:`\sum_i \log p(x_i \mid x_{\setminus i})` with
        :math:`p(x_i \mid x_{\setminus i}) = \sigma(2 \beta x_i h_i)`,
        summed over the known entries; unknown (NaN) entries are left out of
        the sum and add nothing to the other sites' fields.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patterns.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        _, S = self._spins_for_inference(X)
        with self._blas_threads():
            H = np.ascontiguousarray(S @ self.coupling_.T + self.fields_, dtype=S.dtype)
        out = np.empty(S.shape[0], dtype=np.float64)
        ising_log_conditionals(H, S, float(self._score_beta), out, 1)
        return out

    def energy(self, X):
        r"""Energy :math:`E(x) = -\frac{1}{2} x^\top J x - b^\top x` of each row.

        For symmetric couplings the conditionals of ``exp(-beta E)`` are the
        ones the pseudo-likelihood fits. Unknown entries count as 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States.

        Returns
        -------
        energy : ndarray of shape (n_samples,)
        """
        _, S = self._spins_for_inference(X)
        S64 = S.astype(np.float64)
        with self._blas_threads():
            H = S64 @ self.coupling_.T.astype(np.float64)
        return -0.5 * np.einsum("ij,ij->i", S64, H) - S64 @ self.fields_.astype(np.float64)

    def sample(self, n_samples=1, *, temperature=1.0, n_sweeps=10, burn_in=100, n_chains=None,
               random_state=None):
        r"""Draw states from the fitted model by Gibbs sampling.

        Each site is redrawn from
        :math:`p(x_i = +1 \mid x_{\setminus i}) = \sigma(2 h_i / T)` with
        :math:`T` = ``temperature / beta``, the conditionals the model was fit
        to. For symmetric couplings the chains sample
        :math:`p(x) \propto \exp(-\beta E(x) / \mathrm{temperature})`; for asymmetric couplings
        they sample the stationary distribution of the chain defined by the
        conditionals (sites visited in index order).

        Parameters
        ----------
        n_samples : int, default=1
            Number of states to draw.
        temperature : float, default=1.0
            Temperature relative to the model's (1 samples the fitted model).
        n_sweeps : int, default=10
            Sweeps between two samples of one chain.
        burn_in : int, default=100
            Sweeps before a chain's first sample.
        n_chains : int, default=None
            Independent chains run in parallel (``n_jobs`` threads); None
            runs one chain per sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the chains; None uses the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Samples in the encoding seen in fit.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PseudoLikelihoodMemory
        >>> rng = np.random.default_rng(0)
        >>> X = rng.choice([-1.0, 1.0], size=(200, 3))
        >>> X[:, 1] = X[:, 0]  # two sites always agree
        >>> memory = PseudoLikelihoodMemory(symmetric=True, random_state=0).fit(X)
        >>> samples = memory.sample(500)
        >>> samples.shape, bool(np.mean(samples[:, 0] == samples[:, 1]) > 0.9)
        ((500, 3), True)
        """
        self._check_fitted()
        check_temperature(temperature)
        random_state = self.random_state if random_state is None else random_state
        S = gibbs_ising(self.coupling_, self.fields_, n_samples,
                        beta=float(self._score_beta) / temperature, n_sweeps=n_sweeps,
                        burn_in=burn_in, n_chains=n_chains, random_state=random_state,
                        n_threads=self._n_threads())
        return from_spins(S, self.encoding_, self.coupling_.dtype)

    def _set_encoding_and_spins(self, X):
        """Common start of fit: validated X, its encoding, and its spins."""
        X = self._validate_input(X, reset=True)
        # fits only read the spins, so +/-1 input is used without a copy
        return X, detect_encoding(X), to_spins(X, X.dtype, copy=False)
