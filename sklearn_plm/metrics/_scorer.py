"""A model-selection scorer that measures pattern completion."""

from numbers import Real

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from .._sklearn_compat import Interval, StrOptions, validate_params
from .._validation import to_spins


def _split_memory(estimator):
    """(preprocessing or None, memory) for a bare memory or a Pipeline ending in one."""
    if isinstance(estimator, Pipeline):
        pre = estimator[:-1] if len(estimator.steps) > 1 else None
        pre_inner, memory = _split_memory(estimator[-1])
        if pre_inner is not None:
            pre = pre_inner if pre is None else Pipeline(pre.steps + pre_inner.steps)
        return pre, memory
    return None, estimator


def _corrupt(S, noise, mode, rng):
    """Flip (or hide as NaN) ``floor(noise * N)`` random entries of each row of spins S."""
    n_samples, n_features = S.shape
    k = int(np.floor(noise * n_features + 1e-9))
    ranks = np.argsort(np.argsort(rng.random_sample(S.shape), axis=1), axis=1)
    hit = ranks < k
    X = S.astype(np.float64, copy=True)
    if mode == "flip":
        X[hit] = -X[hit]
    else:
        X[hit] = np.nan
    X[S == 0] = np.nan   # entries unknown in the clean data stay unknown
    return X


class _CompletionScorer:
    """Mean overlap between clean rows and the memory's completion of corrupted rows."""

    def __init__(self, noise, mode, metric, random_state):
        self.noise = noise
        self.mode = mode
        self.metric = metric
        self.random_state = random_state

    def __call__(self, estimator, X, y=None):
        pre, memory = _split_memory(estimator)
        Z = X if pre is None else pre.transform(X)
        S = to_spins(np.asarray(Z, dtype=np.float64), np.float64)
        rng = check_random_state(self.random_state)
        corrupted = _corrupt(S, self.noise, self.mode, rng)
        if self.metric == "overlap":
            R = to_spins(np.asarray(memory.transform(corrupted), dtype=np.float64), np.float64)
            return float(np.mean(np.einsum("ij,ij->i", R, S)) / S.shape[1])
        # the entries corrupted here, not those unknown in the clean data
        hit = (corrupted != S) & (S != 0)
        target = S[hit] > 0
        if not hit.any():
            return 1.0 if self.metric == "accuracy" else 0.0
        if self.metric == "accuracy":
            R = to_spins(np.asarray(memory.transform(corrupted), dtype=np.float64), np.float64)
            return float(np.mean((R[hit] > 0) == target))
        P = np.asarray(memory.predict_proba(corrupted), dtype=np.float64)[hit]
        if self.metric == "neg_brier_score":
            return -float(np.mean((P - target) ** 2))
        P = np.clip(np.where(target, P, 1.0 - P), 1e-15, 1.0)
        return float(np.mean(np.log(P)))

    def __repr__(self):
        return (f"make_completion_scorer(noise={self.noise!r}, mode={self.mode!r}, "
                f"metric={self.metric!r}, random_state={self.random_state!r})")


@validate_params(
    {
        "noise": [Interval(Real, 0, 1, closed="both")],
        "mode": [StrOptions({"flip", "mask"})],
        "metric": [StrOptions({"overlap", "accuracy", "neg_log_loss", "neg_brier_score"})],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_completion_scorer(noise=0.2, mode="flip", metric="overlap", random_state=0):
    """Scorer for model selection by pattern completion on held-out rows.

    The returned callable ``scorer(estimator, X, y=None)`` corrupts each row
    of ``X``, lets the fitted memory or imputer complete it, and compares
    the result with the clean rows (higher is better). Pass it as
    ``scoring=`` to :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_val_score`.

    Each row has exactly ``floor(noise * N)`` entries, chosen uniformly,
    either flipped (``mode="flip"``) or replaced by NaN (``mode="mask"``,
    which the memories and :class:`~sklearn_plm.PseudoLikelihoodImputer`
    treat as unknown). Entries already unknown in ``X`` stay unknown and
    are not scored.

    ``metric`` says what is compared:

    - ``"overlap"``: the mean overlap ``(1/N) sum_i x_i s_i`` between the
      clean and the completed (``transform``) rows, over all ``N`` entries
      (1 = perfect completion);
    - ``"accuracy"``: the fraction of the corrupted entries that the
      completion (``transform``) restores, the criterion of an imputer;
    - ``"neg_log_loss"``, ``"neg_brier_score"``: minus the log-loss or the
      Brier score of ``predict_proba`` on the corrupted entries (the
      probability of the clean value), which rewards calibrated
      probabilities and so tunes the temperature.

    When the estimator is a :class:`~sklearn.pipeline.Pipeline` whose last
    step is the memory, the preceding steps first map ``X`` to the memory's
    input space and the corruption happens there: ``Binarizer`` followed by a
    memory is scored on binary pixels, whatever the raw intensities.

    Parameters
    ----------
    noise : float, default=0.2
        Fraction of entries corrupted per row, in [0, 1].
    mode : {"flip", "mask"}, default="flip"
        Flip the chosen spins, or hide them as NaN.
    metric : {"overlap", "accuracy", "neg_log_loss", "neg_brier_score"}, \
            default="overlap"
        What is scored (see above); the probability metrics need an
        estimator with ``predict_proba``.
    random_state : int, RandomState instance or None, default=0
        Seeds the corruption. With an int every call corrupts the same
        entries of the same data, so all candidates of a grid search are
        scored on identical inputs.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn_plm import PseudoLikelihoodMemory
    >>> from sklearn_plm.datasets import make_random_patterns
    >>> from sklearn_plm.metrics import make_completion_scorer
    >>> X = np.tile(make_random_patterns(5, 64, random_state=0), (20, 1))
    >>> search = GridSearchCV(PseudoLikelihoodMemory(), {"alpha": [1e-2, 1e-1]}, cv=2,
    ...                       scoring=make_completion_scorer(noise=0.1)).fit(X)
    >>> float(search.best_score_)
    1.0

    Choosing the penalty and the temperature of an imputer by the log-loss
    of held-out masked entries:

    >>> from sklearn_plm import PseudoLikelihoodImputer
    >>> X01 = (X > 0).astype(float)
    >>> scorer = make_completion_scorer(0.3, mode="mask", metric="neg_log_loss")
    >>> grid = {"alpha": [1e-2, 1e-1], "temperature": [0.5, 1.0]}
    >>> search = GridSearchCV(PseudoLikelihoodImputer(), grid, cv=2, scoring=scorer).fit(X01)
    >>> sorted(search.best_params_)
    ['alpha', 'temperature']
    """
    return _CompletionScorer(noise, mode, metric, random_state)
