"""Hopfield networks trained with classical learning rules."""

import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if

from ._sklearn_compat import _fit_context, Interval, StrOptions
from . import _rules
from ._base import BaseIsingMemory
from ._validation import (
    check_memory, check_model_memory, check_sample_weight, detect_encoding, to_spins,
)

# Peak of each rule in (N, N) float64 arrays, measured with tracemalloc at
# N=800, P=64: Hebb 1.1, Storkey 1.0, pseudo-inverse 1.2 (plus about 5 (P, P)
# arrays, measured at P=1500, N=100), perceptron 3.3 (1.5 with margin="max").
_RULE_ARRAYS = {"hebb": 1.5, "storkey": 1.5, "pseudo-inverse": 1.5, "perceptron": 3.5}
_PSEUDO_INVERSE_PATTERN_ARRAYS = 6

# Rules whose couplings after patterns A then B are the rule applied to B,
# starting from its couplings after A: they learn in partial_fit chunks.
_INCREMENTAL_RULES = ("hebb", "storkey")


class HopfieldMemory(BaseIsingMemory):
    r"""Binary Hopfield network with a classical learning rule.

    Shares the recall (``transform``, ``complete``) and scoring interface of
    :class:`PseudoLikelihoodMemory`, so both can be swapped in a pipeline.

    Parameters
    ----------
    rule : {"hebb", "pseudo-inverse", "storkey", "perceptron"}, default="hebb"
        Learning rule:

        - ``"hebb"``: :math:`J = \frac{1}{N} \sum_\mu s^\mu s^{\mu\top}`;
        - ``"pseudo-inverse"``: the projector onto the span of the patterns;
        - ``"storkey"``: Storkey's (1997) incremental rule, one pattern after
          another in the order given;
        - ``"perceptron"``: every row ``J_i`` trained until each pattern's
          stability :math:`s_i h_i / \|J_i\|` reaches ``margin`` (batch Gardner
          rule), or to the maximal-stability solution with ``margin="max"``.
    margin : float or "max", default=0.0
        Stability margin of the perceptron rule.
    max_iter : int, default=1000
        Iterations of the perceptron rule (other rules are one-shot and
        report ``n_iter_ = 1``).
    tol : float, default=1e-6
        Relative duality gap at which the maximal-stability solver
        (``margin="max"``) stops; every row must reach it.
    recall : {"sync", "async", "mean-field", "gibbs"}, default="sync"
        Dynamics of :meth:`transform`; see :class:`PseudoLikelihoodMemory`.
    max_recall_iter : int, default=100
        Steps (sync, mean-field) or sweeps (async) before recall gives up
        on a row.
    burn_in : int, default=50
        ``recall="gibbs"``: sweeps of each row's clamped chain before its
        conditionals are averaged.
    n_sweeps : int, default=200
        ``recall="gibbs"``: sweeps over which the conditionals are averaged.
    clamp : bool or "auto", default="auto"
        Which known (non-NaN) entries recall may change. ``True``: none (only
        the unknown entries are inferred: completion); ``False``: all (the
        known entries are only the starting point: denoising); ``"auto"``:
        none in rows that have unknown entries, all in complete rows, so
        completing masked rows never changes an observed entry and denoising
        a corrupted pattern without NaN works as before.
    n_jobs : int, default=None
        Threads of recall (the rows are split across them) and of the Storkey
        kernel.
    random_state : int, RandomState instance or None, default=None
        Seeds the site order of ``recall="async"``.
    verbose : int, default=0
        Print one line per call of :meth:`fit` or :meth:`partial_fit`: the
        rule, the patterns learnt, the iterations and the time taken.

    Attributes
    ----------
    coupling_ : ndarray of shape (n_features, n_features)
        Couplings with zero diagonal.
    fields_ : ndarray of shape (n_features,)
        Zeros (the classical rules have no fields).
    encoding_ : {"01", "pm1"}
        Encoding of the training data.
    n_iter_ : int
        Perceptron iterations, 1 for the one-shot rules and after
        :meth:`partial_fit`.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    PseudoLikelihoodMemory : Couplings trained by maximum pseudo-likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import HopfieldMemory
    >>> rng = np.random.default_rng(0)
    >>> patterns = rng.choice([-1.0, 1.0], size=(5, 200))
    >>> memory = HopfieldMemory(rule="hebb").fit(patterns)
    >>> float(np.mean(memory.transform(patterns) == patterns))
    1.0
    """

    _parameter_constraints: dict = {
        **BaseIsingMemory._parameter_constraints,
        "rule": [StrOptions({"hebb", "pseudo-inverse", "storkey", "perceptron"})],
        "margin": [Interval(Real, 0, None, closed="left"), StrOptions({"max"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        rule="hebb",
        *,
        margin=0.0,
        max_iter=1000,
        tol=1e-6,
        recall="sync",
        max_recall_iter=100,
        burn_in=50,
        n_sweeps=200,
        clamp="auto",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.rule = rule
        self.margin = margin
        self.max_iter = max_iter
        self.tol = tol
        self.recall = recall
        self.max_recall_iter = max_recall_iter
        self.burn_in = burn_in
        self.n_sweeps = n_sweeps
        self.clamp = clamp
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute the couplings from the training patterns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training patterns ({0, 1} or {-1, +1}; x > 0 is read as +1). NaN
            entries count as 0 in every rule.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Pattern weights. Hebb and the perceptron with a float margin
            weight each pattern's contribution; Storkey applies a pattern as
            many times as its weight (non-negative integers only); the
            pseudo-inverse and the maximal-stability perceptron
            (``margin="max"``) only drop zero-weight patterns, since their
            solutions do not change when a pattern is repeated.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        with self._all_or_nothing():
            return self._fit(X, sample_weight)

    def _fit(self, X, sample_weight):
        t0 = time.perf_counter()
        X, encoding, S = self._set_encoding_and_spins(X)
        n_features = X.shape[1]
        sample_weight = check_sample_weight(sample_weight, X)
        self._check_rule_memory(n_features, np.count_nonzero(sample_weight))
        # huge weights make huge couplings: refused below, without numpy's warnings
        with self._blas_threads(), np.errstate(over="ignore", invalid="ignore"):
            J, n_iter = self._learn(S, sample_weight)
        self._set_couplings(J, X.dtype, n_iter)
        self.encoding_ = encoding
        self._report(S.shape[0], t0)
        return self

    def _check_rule_memory(self, n_features, n_patterns=0):
        what = f"{self.rule} rule"
        check_model_memory(n_features, _RULE_ARRAYS[self.rule], what=what)
        if self.rule == "pseudo-inverse":
            n_bytes = 8.0 * (_PSEUDO_INVERSE_PATTERN_ARRAYS * n_patterns**2
                             + _RULE_ARRAYS[self.rule] * n_features**2)
            check_memory(n_bytes, f"{what} for {n_patterns} patterns",
                         f"{_PSEUDO_INVERSE_PATTERN_ARRAYS} {n_patterns}x{n_patterns} float64 "
                         "arrays for the pattern overlaps and their pseudo-inverse",
                         advice="Reduce the number of patterns",
                         hint=', or use rule="perceptron" with margin="max", whose memory '
                         "grows with patterns times features")

    def _set_couplings(self, J, dtype, n_iter=1):
        # Hebb and the perceptron scale the couplings with the weights; a field
        # sums n couplings and an energy n**2, which must stay finite in dtype
        n = J.shape[0]
        largest = float(np.abs(J).max(initial=0.0))
        if not largest <= np.finfo(dtype).max / max(n, 1) ** 2:
            raise ValueError(
                f"The {self.rule} rule gives couplings as large as {largest:.3g} with these "
                f"sample weights, so that the fields and energies of {n} spins overflow "
                f"{np.dtype(dtype).name}. Divide sample_weight by a common factor "
                "(zero-temperature recall does not depend on it).")
        self.coupling_ = np.ascontiguousarray(J, dtype=dtype)
        self.fields_ = np.zeros(J.shape[0], dtype=dtype)
        self.n_iter_ = max(1, int(n_iter))

    def _report(self, n_patterns, t0):
        if self.verbose:
            print(f"[{type(self).__name__}] rule={self.rule!r}: {n_patterns} patterns, "
                  f"{self.n_features_in_} features, {self.n_iter_} iterations, "
                  f"time = {time.perf_counter() - t0:.2f}s")

    def _check_incremental(self):
        if self.rule not in _INCREMENTAL_RULES:
            raise AttributeError(
                f"partial_fit is only available for the incremental rules "
                f"{list(_INCREMENTAL_RULES)}; rule={self.rule!r} needs all patterns at once, "
                "so use fit.")
        return True

    @available_if(_check_incremental)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Learn more patterns, continuing from the current couplings.

        Hebb and Storkey are incremental rules: ``partial_fit`` over chunks
        of rows gives the couplings :meth:`fit` gives on all rows in the
        same order (up to the rounding of float32 couplings), so a network
        can learn more patterns than fit in memory at once. The first call
        sets the number of features and the encoding. Other rules need all
        patterns at once: for them the method is not available (AttributeError).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            More training patterns (NaN entries count as 0).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Pattern weights, as in :meth:`fit`.

        Returns
        -------
        self : object
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import HopfieldMemory
        >>> X = np.random.default_rng(0).choice([-1.0, 1.0], size=(30, 100))
        >>> memory = HopfieldMemory(rule="storkey")
        >>> for chunk in np.array_split(X, 3):
        ...     memory = memory.partial_fit(chunk)
        >>> whole = HopfieldMemory(rule="storkey").fit(X)
        >>> bool(np.array_equal(memory.coupling_, whole.coupling_))
        True
        """
        with self._all_or_nothing():
            return self._partial_fit(X, sample_weight)

    def _partial_fit(self, X, sample_weight):
        t0 = time.perf_counter()
        first = not hasattr(self, "coupling_")
        X = self._validate_input(X, reset=first)
        if first:
            self._check_rule_memory(X.shape[1])
            self.encoding_ = detect_encoding(X)
            previous, dtype = None, X.dtype
        else:
            self._check_fitted()
            previous, dtype = self.coupling_, self.coupling_.dtype
        S = to_spins(X, dtype)
        sample_weight = check_sample_weight(sample_weight, X)
        with self._blas_threads(), np.errstate(over="ignore", invalid="ignore"):
            if self.rule == "hebb":
                J = _rules.hebb(S, sample_weight)
                if previous is not None:
                    J += previous
            else:
                J = _rules.storkey(S, sample_weight, n_threads=self._n_threads(),
                                   coupling=previous)
        self._set_couplings(J, dtype)
        self._report(S.shape[0], t0)
        return self

    def _learn(self, S, sample_weight):
        n_iter, converged = 1, True
        if self.rule == "hebb":
            J = _rules.hebb(S, sample_weight)
        elif self.rule == "pseudo-inverse":
            J = _rules.pseudo_inverse(S, sample_weight)
        elif self.rule == "storkey":
            J = _rules.storkey(S, sample_weight, n_threads=self._n_threads())
        else:
            J, n_iter, converged = _rules.perceptron(
                S, sample_weight, margin=self.margin, max_iter=self.max_iter, tol=self.tol)
            if not converged and self.margin == "max":
                warnings.warn(
                    "The maximal-stability perceptron did not reach tol="
                    f"{self.tol!r} in max_iter={self.max_iter} iterations. Increase "
                    "max_iter or tol; if it never converges, some rows are not "
                    "linearly separable (more than about 2 patterns per feature).",
                    ConvergenceWarning,
                )
            elif not converged:
                warnings.warn(
                    f"The perceptron rule did not reach margin={self.margin!r} in "
                    f"max_iter={self.max_iter} iterations. Lower the margin (the patterns "
                    "may not be separable at this load) or increase max_iter.",
                    ConvergenceWarning,
                )
        return J, n_iter
