"""Regularization path of the L1 / elastic-net pseudo-likelihood fit."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from ._objective import IsingPseudoLikelihood
from ._pseudolikelihood import PseudoLikelihoodMemory
from ._sklearn_compat import Interval, validate_params
from ._validation import check_sample_weight


def _alpha_max(memory, S, sample_weight):
    """Smallest ``alpha`` at which the L1 fit has no coupling, from the gradient at J = 0.

    The fields are those of the independent-site model, the optimum at J = 0
    when they are not penalized (exact then, and without fields).
    """
    datafit = IsingPseudoLikelihood(memory.beta, memory.fit_fields).initialize(S, sample_weight)
    N = datafit.n_sites
    coef = np.zeros((N, datafit.n_params))
    if memory.fit_fields:
        known = (S != 0).astype(np.float64)
        w = datafit.weight[:, None]
        m = (w * S).sum(axis=0) / np.maximum((w * known).sum(axis=0), 1e-300)
        coef[:, N] = np.arctanh(np.clip(m, -1 + 1e-12, 1 - 1e-12)) / memory.beta
    _, grad = datafit.value_grad(coef, 0, N)
    G = grad[:, :N]
    if memory.symmetric:
        G = 0.5 * (G + G.T)
    return float(np.max(np.abs(G))) / memory.l1_ratio


@validate_params(
    {
        "X": ["array-like"],
        "alphas": ["array-like", None],
        "n_alphas": [Interval(Integral, 1, None, closed="left")],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "l1_ratio": [Interval(Real, 0, 1, closed="right")],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def pseudolikelihood_path(X, *, alphas=None, n_alphas=20, eps=1e-2, l1_ratio=1.0,
                          sample_weight=None, **params):
    """Couplings of L1 / elastic-net pseudo-likelihood fits along a path of ``alpha``.

    Fits :class:`PseudoLikelihoodMemory` with ``l1_ratio`` and
    ``solver="fista"`` for each ``alpha``, from the largest to the smallest,
    each fit starting from the previous one (warm start), as scikit-learn's
    ``lasso_path`` does. Along the path couplings enter the model one by
    one: the sparse structure-learning method of Ravikumar, Wainwright and
    Lafferty (2010).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training patterns ({0, 1} or {-1, +1}; NaN = unknown spin).
    alphas : array-like of shape (n_alphas,), default=None
        Strengths to fit (sorted here from largest to smallest). None builds
        ``n_alphas`` values log-spaced from ``alpha_max``, the smallest
        strength with no coupling, down to ``eps * alpha_max``.
    n_alphas : int, default=20
        Length of the automatic grid.
    eps : float, default=1e-2
        Ratio of the smallest to the largest automatic ``alpha``.
    l1_ratio : float, default=1.0
        Share of L1 in the penalty (1 is the lasso; in (0, 1], since an L2
        path has no ``alpha_max``).
    sample_weight : array-like of shape (n_samples,), default=None
        Pattern weights.
    **params
        Other parameters of :class:`PseudoLikelihoodMemory` (``tol``,
        ``max_iter``, ``fit_fields``, ``symmetric``, ``n_jobs``, ...).

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The strengths, decreasing.
    couplings : ndarray of shape (n_alphas, n_features, n_features)
        ``coupling_`` of each fit.
    fields : ndarray of shape (n_alphas, n_features)
        ``fields_`` of each fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import pseudolikelihood_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.choice([-1.0, 1.0], size=(500, 6))
    >>> X[:, 1] = np.where(rng.random(500) < 0.9, X[:, 0], -X[:, 0])  # one edge, 0-1
    >>> alphas, couplings, _ = pseudolikelihood_path(X, n_alphas=5)
    >>> [int(np.count_nonzero(J)) for J in couplings]  # couplings enter as alpha falls
    [0, 2, 4, 14, 22]
    """
    memory = PseudoLikelihoodMemory(l1_ratio=l1_ratio, solver="fista", **params)
    memory._validate_params()
    X, _, S = memory._set_encoding_and_spins(X)
    sample_weight = check_sample_weight(sample_weight, X)
    if alphas is None:
        alpha_max = _alpha_max(memory, S, sample_weight)
        alphas = np.geomspace(alpha_max, eps * alpha_max, n_alphas)
    else:
        alphas = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
        if alphas.size == 0 or not np.all(np.isfinite(alphas)) or alphas[-1] < 0:
            raise ValueError("alphas must be non-negative finite numbers (at least one).")
    n = X.shape[1]
    couplings = np.empty((len(alphas), n, n), dtype=X.dtype)
    fields = np.empty((len(alphas), n), dtype=X.dtype)
    memory = clone(memory).set_params(warm_start=True)
    for k, alpha in enumerate(alphas):
        memory.set_params(alpha=float(alpha)).fit(X, sample_weight=sample_weight)
        couplings[k], fields[k] = memory.coupling_, memory.fields_
    return alphas, couplings, fields
