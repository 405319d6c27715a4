"""Hopfield networks trained with classical learning rules."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._sklearn_compat import _check_sample_weight, _fit_context, Interval, StrOptions
from . import _rules
from ._base import BaseIsingMemory
from ._validation import check_model_memory


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
    recall : {"sync", "async"}, default="sync"
        Zero-temperature dynamics of :meth:`transform`; see
        :class:`PseudoLikelihoodMemory`.
    max_recall_iter : int, default=100
        Steps (sync) or sweeps (async) before recall gives up on a row.
    clamp : bool, default=False
        Keep the known entries fixed during recall.
    n_jobs : int, default=None
        Threads of recall (the rows are split across them) and of the Storkey
        kernel.
    random_state : int, RandomState instance or None, default=None
        Seeds the site order of ``recall="async"``.

    Attributes
    ----------
    coupling_ : ndarray of shape (n_features, n_features)
        Couplings with zero diagonal.
    fields_ : ndarray of shape (n_features,)
        Zeros (the classical rules have no fields).
    encoding_ : {"01", "pm1"}
        Encoding of the training data.
    n_iter_ : int
        Perceptron iterations, 1 for the one-shot rules.
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
        clamp=False,
        n_jobs=None,
        random_state=None,
    ):
        self.rule = rule
        self.margin = margin
        self.max_iter = max_iter
        self.tol = tol
        self.recall = recall
        self.max_recall_iter = max_recall_iter
        self.clamp = clamp
        self.n_jobs = n_jobs
        self.random_state = random_state

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
        X, encoding, S = self._set_encoding_and_spins(X)
        n_features = X.shape[1]
        check_model_memory(n_features, 3, what="Hopfield network")
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        with self._blas_threads():
            J, n_iter = self._learn(S, sample_weight)
        self.coupling_ = np.ascontiguousarray(J, dtype=X.dtype)
        self.fields_ = np.zeros(n_features, dtype=X.dtype)
        self.encoding_ = encoding
        self.n_iter_ = max(1, int(n_iter))
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
