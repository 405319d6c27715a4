"""Retrieval metrics of associative memories: overlaps, stabilities, basins."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_array, check_random_state
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import Interval, StrOptions, validate_params
from .._ties import field_tolerance, is_tie, zero_temperature_sign
from .._validation import check_no_inf, to_spins


def _spins(X, name, ensure_2d=True):
    X = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan", ensure_2d=ensure_2d,
                    input_name=name)
    check_no_inf(X, name)
    return to_spins(X, np.float64)


def _couplings_and_fields(estimator_or_J):
    """(J, b) from a fitted memory (``coupling_``, ``fields_``) or a square array."""
    if hasattr(estimator_or_J, "fit"):
        # the library's memories also check that their fitted attributes agree
        # (a damaged or edited model raises here, not inside a kernel)
        check = getattr(estimator_or_J, "_check_fitted", None)
        if check is not None:
            check()
        else:
            check_is_fitted(estimator_or_J, "coupling_")
        J = np.asarray(estimator_or_J.coupling_, dtype=np.float64)
        b = np.asarray(getattr(estimator_or_J, "fields_", np.zeros(J.shape[0])), dtype=np.float64)
        return J, b
    J = check_array(estimator_or_J, dtype=np.float64, input_name="J")
    if J.shape[0] != J.shape[1]:
        raise ValueError(f"J must be a square coupling matrix, got shape {J.shape}.")
    return J, np.zeros(J.shape[0])


def _check_n_features(S, J, name="X"):
    if S.shape[1] != J.shape[0]:
        raise ValueError(
            f"{name} has {S.shape[1]} features but the couplings are for {J.shape[0]} sites."
        )


@validate_params(
    {"X_ref": ["array-like"], "X": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def overlap(X_ref, X):
    r"""Signed overlap :math:`m = \frac{1}{N} \sum_i \xi_i s_i` between matching rows.

    Values are read as spins like the estimators do (``x > 0`` is +1, any
    other value -1, so {0, 1} and {-1, +1} data both work); NaN counts as 0.
    ``m = 1`` means identical rows, ``-1`` opposite ones, and two independent
    random rows have :math:`m` of order :math:`1/\sqrt{N}`.

    Parameters
    ----------
    X_ref : array-like of shape (n_samples, n_features) or (n_features,)
        Reference patterns.
    X : array-like of the same shape as X_ref
        States to compare, row by row.

    Returns
    -------
    m : ndarray of shape (n_samples,), or float for 1-D inputs

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm.metrics import overlap
    >>> xi = np.array([[1, -1, 1, -1], [1, 1, 1, 1]])
    >>> overlap(xi, [[1, -1, 1, 1], [0, 0, 0, 0]])
    array([ 0.5, -1. ])
    """
    one_dim = np.ndim(X_ref) == 1 and np.ndim(X) == 1
    A = _spins(np.atleast_2d(X_ref) if one_dim else X_ref, "X_ref")
    B = _spins(np.atleast_2d(X) if one_dim else X, "X")
    if A.shape != B.shape:
        raise ValueError(
            f"X_ref and X must have the same shape, got {A.shape} and {B.shape}; "
            "compare each row of X with the matching row of X_ref."
        )
    m = np.einsum("ij,ij->i", A, B) / A.shape[1]
    return float(m[0]) if one_dim else m


@validate_params(
    {"estimator_or_J": "no_validation", "X": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def stabilities(estimator_or_J, X):
    r"""Stability of every spin of every pattern, :math:`\xi_i h_i / \|J_i\|`.

    :math:`h_i = \sum_j J_{ij} \xi_j + b_i` is the local field (:math:`b` is the
    estimator's ``fields_``, zero for an array), and :math:`\|J_i\|` the
    Euclidean norm of row ``i`` of the couplings, so the stabilities do not
    change when a row is rescaled. A pattern is a fixed point of the
    zero-temperature dynamics when all its stabilities are positive; large
    stabilities mean large basins of attraction.

    Parameters
    ----------
    estimator_or_J : fitted memory estimator or array-like of shape (n_features, n_features)
        An estimator with ``coupling_`` (and ``fields_``), or couplings ``J``.
    X : array-like of shape (n_samples, n_features)
        Patterns (x > 0 is read as +1; NaN counts as 0 and gets stability 0).

    Returns
    -------
    delta : ndarray of shape (n_samples, n_features)
        Stabilities. Sites whose coupling row is all zero get NaN. A field
        within the tie tolerance of zero (round-off of an exact zero, see
        :mod:`sklearn_plm._ties`; the dynamics keep the spin there) gives
        exactly 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import HopfieldMemory
    >>> from sklearn_plm.metrics import stabilities
    >>> rng = np.random.default_rng(0)
    >>> X = rng.choice([-1.0, 1.0], size=(5, 200))
    >>> delta = stabilities(HopfieldMemory().fit(X), X)
    >>> delta.shape
    (5, 200)
    >>> bool(delta.min() > 0)
    True
    """
    J, b = _couplings_and_fields(estimator_or_J)
    S = _spins(X, "X")
    _check_n_features(S, J)
    H = S @ J.T + b
    H[is_tie(H, field_tolerance(J.T, b))] = 0.0
    norms = np.linalg.norm(J, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = S * H / np.where(norms > 0, norms, np.nan)
    return delta


def _sync_step(estimator_or_J, S):
    """One synchronous update of every row; a tie keeps the spin (the kernels' rule)."""
    J, b = _couplings_and_fields(estimator_or_J)
    _check_n_features(S, J)
    H = S @ J.T + b
    return zero_temperature_sign(H, S, field_tolerance(J.T, b))


@validate_params(
    {"estimator_or_J": "no_validation", "X": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def fixed_point_fraction(estimator_or_J, X):
    """Fraction of rows left unchanged by one synchronous update.

    A row ``s`` is a fixed point when ``sign(J s + b) = s`` at every site,
    where a zero field keeps the current spin (the estimators' convention;
    fields within the tie tolerance of :mod:`sklearn_plm._ties` of zero are
    zero, as in recall). A row with unknown (NaN) entries is not a fixed
    point.

    Parameters
    ----------
    estimator_or_J : fitted memory estimator or array-like of shape (n_features, n_features)
        An estimator with ``coupling_`` (and ``fields_``), or couplings ``J``.
    X : array-like of shape (n_samples, n_features)
        States to test (x > 0 is read as +1).

    Returns
    -------
    fraction : float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import HopfieldMemory
    >>> from sklearn_plm.metrics import fixed_point_fraction
    >>> rng = np.random.default_rng(0)
    >>> X = rng.choice([-1.0, 1.0], size=(60, 100))
    >>> memory = HopfieldMemory().fit(X)  # load 0.6: far beyond Hebb's capacity
    >>> fixed_point_fraction(memory, X)
    0.0
    >>> fixed_point_fraction(HopfieldMemory().fit(X[:3]), X[:3])
    1.0
    """
    S = _spins(X, "X")
    new = _sync_step(estimator_or_J, S)
    return float(np.mean(np.all((new == S) & (S != 0), axis=1)))


def _nested_corruption_ranks(n_patterns, n_features, rng):
    """Per pattern, a uniformly random rank of every site.

    Flipping the sites with rank < k flips k sites chosen uniformly without
    replacement, and the flipped sets grow with k (common random numbers
    across the m_in grid).
    """
    order = np.argsort(rng.random_sample((n_patterns, n_features)), axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(n_features)[None, :], axis=1)
    return ranks


_DEFAULT_THRESHOLD = {"pattern": 0.999, "population": 0.99}


@validate_params(
    {
        "estimator": "no_validation",
        "X": ["array-like"],
        "m_in": ["array-like", None],
        "criterion": [StrOptions({"pattern", "population"})],
        "threshold": [Interval(Real, -1, 1, closed="both"), None],
        "n_trials": [Interval(Integral, 1, None, closed="left")],
        "min_success": [Interval(Real, 0, 1, closed="right")],
        "stop_early": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def basin_size(estimator, X, m_in=None, *, criterion="population", threshold=None, n_trials=1,
               min_success=0.5, stop_early=False, random_state=None):
    """Basin of attraction ``1 - m_in*`` of stored patterns, by one of two criteria.

    For every grid value ``m`` of initial overlap, each pattern is corrupted
    by flipping exactly ``floor(N (1 - m) / 2)`` spins chosen uniformly
    without replacement (so the start has overlap ``m`` with it, up to
    rounding), the memory's own recall (``estimator.transform``, with its
    ``recall`` and ``max_recall_iter`` settings) runs from there, and the
    final overlap ``m_F`` with the pattern is recorded. ``m_in*`` is the
    smallest grid value from which recall succeeds and also succeeds from
    every larger grid value; the basin size is ``1 - m_in*``, and 0 when
    recall fails from the largest grid value. Success is judged by

    ``criterion="population"`` (the default; the criterion of the paper's figure)
        One ``m_in*`` for all patterns: recall succeeds from ``m`` when the
        mean ``m_F`` over patterns and trials is at least ``threshold``
        (default 0.99), i.e. where the ``m_F(m_in)`` curve reaches about 1.
        This is how the basins of D'Amico et al. (2025) are drawn: their
        figure plots such population curves (``m_F`` against ``m_in``,
        sampled every 0.002, one spin at N = 1000) and reads the basin size
        where the curve reaches 1 (at P/N = 0.4 it reaches 1 at ``m_in`` ~
        0.63 and the plotted basin is 0.37). It is set by the patterns with
        the smallest basins, so it is usually smaller than the per-pattern
        mean (at N = 200-400, P/N = 0.4: 0.36-0.38 against 0.42-0.44 for
        pseudo-likelihood); and it credits a rule whose patterns are not all
        fixed points when their final overlaps are close to 1 (Hebb
        couplings at P/N = 0.1).
    ``criterion="pattern"``
        Per pattern: a corruption is retrieved when ``m_F >= threshold``
        (default 0.999), and the pattern is retrieved from ``m`` when at
        least a fraction ``min_success`` of its ``n_trials`` corruptions
        are. Each pattern gets its own ``m_in*``; ``basin_size`` is their
        mean. A pattern that is not a fixed point has basin 0. This follows
        the paper's words for one pattern (the basin of ``xi^mu`` from the
        smallest overlap from which the dynamics converges to ``xi^mu``),
        averaged over the patterns; it resolves small basins better than the
        population curve and never credits a pattern that is not stored.
        The two criteria coincide when every pattern has the same basin.

    All patterns are recalled in one batched call per grid value and trial.
    Within a trial the flipped sets are nested (the spins flipped at a
    larger ``m`` are a subset of those flipped at a smaller one), which
    keeps each start uniformly random while making the curves smoother.

    Parameters
    ----------
    estimator : fitted memory estimator
        Anything whose ``transform`` maps states to recalled states in the
        same space (x > 0 is read as +1 in its output).
    X : array-like of shape (n_patterns, n_features)
        Patterns whose basins are measured (x > 0 is read as +1).
    m_in : array-like of shape (n_grid,), default=None
        Grid of initial overlaps in [0, 1]. None means
        ``np.linspace(0, 1, 51)`` (steps of 0.02). The grid's resolution
        bounds that of the basin sizes.
    criterion : {"population", "pattern"}, default="population"
        One basin from the mean final overlap (the paper's figure) or
        per-pattern basins, see above.
    threshold : float, default=None
        Smallest final overlap counted as retrieval (``"pattern"``), or
        smallest mean final overlap (``"population"``). None means 0.999
        (exact retrieval below N = 1000 spins) and 0.99 respectively; the
        paper does not state its threshold.
    n_trials : int, default=1
        Independent corruptions per pattern and grid value.
    min_success : float in (0, 1], default=0.5
        With ``criterion="pattern"``, the fraction of a pattern's trials
        that must be retrieved from ``m`` for the pattern to count as
        retrieved from ``m`` (a success rate; with ``n_trials=1`` any value
        means that the one trial must succeed).
    stop_early : bool, default=False
        Scan the grid downwards from its largest value and stop once the
        basin is determined (every pattern, or the mean, has failed once).
        Grid values not visited get NaN in ``final_overlap`` and ``success``.
        Much cheaper for small basins; the basin sizes are the same.
    random_state : int, RandomState instance or None, default=None
        Seeds the corruptions (the recall's own randomness, for
        ``recall="async"``, is the estimator's ``random_state``).

    Returns
    -------
    result : Bunch
        Dictionary-like object with attributes

        basin_size : float
            The basin size by ``criterion`` (for ``"pattern"``, the mean over
            patterns).
        basin_sizes : ndarray of shape (n_patterns,)
            Basin size of each pattern by the pattern criterion, with the
            given ``threshold`` and ``min_success``.
        criterion : str
            The criterion used.
        threshold : float
            The threshold on ``m_F`` used.
        m_in : ndarray of shape (n_grid,)
            The grid of initial overlaps, ascending.
        final_overlap : ndarray of shape (n_patterns, n_grid)
            ``m_F`` of each pattern from each grid value, averaged over
            trials; ``final_overlap.mean(axis=0)`` is the ``m_F(m_in)`` curve.
        success : ndarray of shape (n_patterns, n_grid)
            Fraction of trials with ``m_F >= threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import PseudoLikelihoodMemory
    >>> from sklearn_plm.metrics import basin_size
    >>> rng = np.random.default_rng(0)
    >>> X = rng.choice([-1.0, 1.0], size=(10, 100))
    >>> memory = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    >>> result = basin_size(memory, X, random_state=0)
    >>> result.criterion, result.final_overlap.shape
    ('population', (10, 51))
    >>> bool(result.basin_size > 0.5)
    True
    >>> per_pattern = basin_size(memory, X, criterion="pattern", random_state=0)
    >>> bool(result.basin_size >= per_pattern.basin_sizes.min())
    True
    """
    xi = _spins(X, "X")
    n_patterns, n_features = xi.shape
    if m_in is None:
        grid = np.linspace(0.0, 1.0, 51)
    else:
        grid = np.unique(check_array(m_in, ensure_2d=False, dtype=np.float64, input_name="m_in"))
        if grid.ndim != 1 or grid.min() < 0 or grid.max() > 1:
            raise ValueError("m_in must be a 1-D grid of initial overlaps in [0, 1].")
    if threshold is None:
        threshold = _DEFAULT_THRESHOLD[criterion]
    n_flips = np.floor(n_features * (1.0 - grid) / 2.0 + 1e-9).astype(np.int64)
    rng = check_random_state(random_state)
    ranks = [_nested_corruption_ranks(n_patterns, n_features, rng) for _ in range(n_trials)]

    m_final = np.full((n_trials, n_patterns, grid.size), np.nan)
    failed = np.zeros(n_patterns, dtype=bool)
    for g in range(grid.size - 1, -1, -1):
        for trial in range(n_trials):
            start = np.where(ranks[trial] < n_flips[g], -xi, xi)
            recalled = to_spins(np.asarray(estimator.transform(start), dtype=np.float64),
                                np.float64)
            m_final[trial, :, g] = np.einsum("ij,ij->i", recalled, xi) / n_features
        if stop_early:
            if criterion == "population":
                if m_final[:, :, g].mean() < threshold:
                    break
            else:
                failed |= np.mean(m_final[:, :, g] >= threshold, axis=0) < min_success
                if failed.all():
                    break

    visited = ~np.isnan(m_final[0, 0])
    with np.errstate(invalid="ignore"):
        success = np.where(visited, np.mean(m_final >= threshold, axis=0), np.nan)
    basin_sizes = _basin_from_success(np.nan_to_num(success) >= min_success, grid)
    if criterion == "pattern":
        basin = float(basin_sizes.mean())
    else:
        mean_final = np.where(visited, np.nan_to_num(m_final).mean(axis=(0, 1)), -np.inf)
        basin = float(_basin_from_success(mean_final >= threshold, grid))
    with np.errstate(invalid="ignore"):
        final_overlap = m_final.mean(axis=0)
    return Bunch(
        basin_size=basin,
        basin_sizes=basin_sizes,
        criterion=criterion,
        threshold=float(threshold),
        m_in=grid,
        final_overlap=final_overlap,
        success=success,
    )


def _basin_from_success(ok, grid):
    """``1 - m_in*`` along the last axis of ``ok`` (success from each ascending grid value)."""
    # succeeds from a grid value and every larger one: reverse cumulative AND
    held = np.flip(np.logical_and.accumulate(np.flip(ok, axis=-1), axis=-1), axis=-1)
    return np.where(held.any(axis=-1), 1.0 - grid[np.argmax(held, axis=-1)], 0.0)


@validate_params(
    {"estimator_or_J": "no_validation"},
    prefer_skip_nested_validation=True,
)
def asymmetry(estimator_or_J):
    r"""Normalized asymmetry of the couplings, in [0, 1].

    .. math::

        \frac{\|J - J^\top\|^2}{\|J - J^\top\|^2 + \|J + J^\top\|^2},

    the share of the squared norm carried by the antisymmetric part
    :math:`(J - J^\top) / 2`
    (Frobenius norms; the diagonal is ignored). It is 0 for symmetric
    couplings, 1 for antisymmetric ones and 1/2 for independent random
    :math:`J_{ij}` and :math:`J_{ji}`; it does not change when J is rescaled.
    In terms of :math:`\eta = 1 - \sum_{ij} J_{ij} J_{ji} / \sum_{ij} J_{ij}^2`
    (range [0, 2]) it equals :math:`\eta / 2`. All-zero couplings give 0.

    Parameters
    ----------
    estimator_or_J : fitted memory estimator or array-like of shape (n_features, n_features)
        An estimator with ``coupling_``, or couplings ``J``.

    Returns
    -------
    asymmetry : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm.metrics import asymmetry
    >>> J = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> asymmetry(J), asymmetry(np.triu(J)), asymmetry(np.triu(J) - np.tril(J))
    (0.0, 0.5, 1.0)
    """
    J, _ = _couplings_and_fields(estimator_or_J)
    off = ~np.eye(J.shape[0], dtype=bool)
    total = np.sum(J[off] ** 2)
    if total == 0:
        return 0.0
    cross = np.sum((J * J.T)[off])
    return float(0.5 * (1.0 - cross / total))
