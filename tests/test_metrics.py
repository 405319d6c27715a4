import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Binarizer

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory
from sklearn_plm.metrics import (
    asymmetry,
    basin_size,
    fixed_point_fraction,
    make_completion_scorer,
    overlap,
    stabilities,
)


def random_patterns(n_samples, n_features, seed=0):
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_samples, n_features))


class IdentityMemory(TransformerMixin, BaseEstimator):
    """Returns its input unchanged and records every batch it is given."""

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def transform(self, X):
        self.seen_ = getattr(self, "seen_", []) + [np.array(X, dtype=float)]
        return np.array(X, dtype=float)


class OracleMemory(TransformerMixin, BaseEstimator):
    """Recalls pattern mu exactly when the start overlaps it by at least radius[mu].

    Otherwise the start is returned unchanged, so the final overlap is the
    initial one. Starts whose overlap equals a value in ``holes[mu]`` fail.
    """

    def __init__(self, patterns=None, radius=None, holes=None):
        self.patterns = patterns
        self.radius = radius
        self.holes = holes

    def fit(self, X=None, y=None):
        return self

    def transform(self, X):
        X = np.array(X, dtype=float)
        N = X.shape[1]
        out = X.copy()
        for row in range(X.shape[0]):
            m = X[row] @ self.patterns.T / N
            mu = int(np.argmax(m))
            hole = self.holes is not None and np.any(np.isclose(m[mu], self.holes[mu]))
            if m[mu] >= self.radius[mu] and not hole:
                out[row] = self.patterns[mu]
        return out


# ----------------------------------------------------------------- overlap

def test_overlap_matches_loop():
    A, B = random_patterns(7, 30, 1), random_patterns(7, 30, 2)
    expected = [sum(A[i, j] * B[i, j] for j in range(30)) / 30 for i in range(7)]
    np.testing.assert_allclose(overlap(A, B), expected)
    B01 = (B + 1) / 2                       # {0, 1} rows read as spins
    np.testing.assert_allclose(overlap(A, B01), expected)


def test_overlap_sanity_values():
    X = random_patterns(5, 40)
    np.testing.assert_array_equal(overlap(X, X), np.ones(5))
    np.testing.assert_array_equal(overlap(X, -X), -np.ones(5))
    assert overlap(X[0], X[0]) == 1.0
    assert isinstance(overlap(X[0], -X[0]), float)
    # NaN counts as 0
    Y = X.copy()
    Y[:, :10] = np.nan
    np.testing.assert_allclose(overlap(X, Y), np.full(5, 30 / 40))


def test_overlap_shape_mismatch():
    X = random_patterns(5, 40)
    with pytest.raises(ValueError, match="same shape"):
        overlap(X, X[:4])
    with pytest.raises(ValueError, match="same shape"):
        overlap(X, X[:, :39])


# -------------------------------------------------------------- stabilities

def _stabilities_loop(J, b, X):
    n, N = X.shape
    out = np.zeros((n, N))
    for mu in range(n):
        for i in range(N):
            h = b[i] + sum(J[i, j] * X[mu, j] for j in range(N))
            norm = np.sqrt(sum(J[i, j] ** 2 for j in range(N)))
            out[mu, i] = X[mu, i] * h / norm
    return out


def test_stabilities_match_loop_array_and_estimator():
    rng = np.random.default_rng(0)
    X = random_patterns(6, 12)
    J = rng.normal(size=(12, 12))
    np.fill_diagonal(J, 0)
    np.testing.assert_allclose(stabilities(J, X), _stabilities_loop(J, np.zeros(12), X))
    np.testing.assert_allclose(stabilities(J, (X + 1) / 2), _stabilities_loop(J, np.zeros(12), X))
    # an estimator with fields uses coupling_ and fields_
    est = PseudoLikelihoodMemory(alpha=0.1, fit_fields=True).fit(random_patterns(30, 12, 3))
    assert np.abs(est.fields_).max() > 0
    np.testing.assert_allclose(stabilities(est, X),
                               _stabilities_loop(est.coupling_, est.fields_, X), rtol=1e-10)
    # invariant to rescaling each row
    scale = rng.uniform(0.5, 2.0, size=(12, 1))
    np.testing.assert_allclose(stabilities(J * scale, X), stabilities(J, X))


def test_stabilities_hebb_small_load():
    # Hebb at alpha = P/N = 0.025: Delta ~ N(1/sqrt(alpha), 1) roughly, all positive
    X = random_patterns(10, 400)
    delta = stabilities(HopfieldMemory(rule="hebb").fit(X), X)
    assert delta.min() > 0
    assert abs(delta.mean() - np.sqrt(400 / 10)) < 0.5


def test_stabilities_zero_row_and_errors():
    J = np.ones((3, 3)) - np.eye(3)
    J[1] = 0
    delta = stabilities(J, [[1, -1, 1]])
    assert np.isnan(delta[0, 1]) and np.isfinite(delta[0, [0, 2]]).all()
    with pytest.raises(ValueError, match="square"):
        stabilities(np.ones((3, 4)), [[1, 1, 1, 1]])
    with pytest.raises(ValueError, match="features"):
        stabilities(J, [[1, 1]])


# ----------------------------------------------------- fixed_point_fraction

def _fixed_point_loop(J, b, X):
    count = 0
    for x in X:
        moved = False
        for i in range(len(x)):
            h = b[i] + sum(J[i, j] * x[j] for j in range(len(x)))
            new = 1 if h > 0 else (-1 if h < 0 else x[i])
            moved |= new != x[i]
        count += not moved
    return count / len(X)


def test_fixed_point_fraction_matches_loop():
    rng = np.random.default_rng(0)
    X = 2.0 * ((np.arange(256)[:, None] >> np.arange(8)) & 1) - 1     # all states
    xi = random_patterns(2, 8)
    J = xi.T @ xi / 8 + 0.1 * rng.normal(size=(8, 8))
    np.fill_diagonal(J, 0)
    J[3] = 0                                     # h = 0 at site 3: ties keep the spin
    expected = _fixed_point_loop(J, np.zeros(8), X)
    assert 0 < expected < 1
    assert fixed_point_fraction(J, X) == pytest.approx(expected)


def test_fixed_point_fraction_estimators():
    X = random_patterns(40, 100)                 # alpha = 0.4
    assert fixed_point_fraction(HopfieldMemory(rule="hebb").fit(X), X) < 0.1
    assert fixed_point_fraction(PseudoLikelihoodMemory(alpha=1e-3).fit(X), X) == 1.0
    est = PseudoLikelihoodMemory(alpha=1e-2, fit_fields=True).fit(X)
    assert fixed_point_fraction(est, X) == pytest.approx(
        _fixed_point_loop(est.coupling_, est.fields_, X))


# --------------------------------------------------------------- basin_size

def _basins_from_final_overlap(m_final, grid, threshold):
    basins = []
    for row in m_final:
        best = None
        for g in range(len(grid) - 1, -1, -1):   # from the top, while recall keeps working
            if row[g] >= threshold:
                best = grid[g]
            else:
                break
        basins.append(0.0 if best is None else 1.0 - best)
    return np.array(basins)


def test_basin_size_starts_have_exact_flip_counts():
    X = random_patterns(4, 50)
    memory = IdentityMemory().fit(X)
    grid = [0.0, 0.3, 0.5, 0.9, 1.0]
    res = basin_size(memory, X, m_in=grid, criterion="pattern", random_state=0)
    assert len(memory.seen_) == len(grid)        # one batched call per grid value
    previous = None
    for m, start in zip(grid[::-1], memory.seen_):   # the grid is scanned downwards
        flipped = start != X
        np.testing.assert_array_equal(flipped.sum(axis=1), int(np.floor(50 * (1 - m) / 2)))
        if previous is not None:                 # flipped sets are nested
            assert not (previous & ~flipped).any()
        previous = flipped
    # the identity keeps the start, so m_F is the initial overlap
    expected = 1 - 2 * np.floor(50 * (1 - np.array(grid)) / 2) / 50
    np.testing.assert_allclose(res.final_overlap, np.tile(expected, (4, 1)))
    # only m_in = 1 is retrieved
    np.testing.assert_array_equal(res.basin_sizes, np.zeros(4))


def test_basin_size_oracle_matches_definition():
    N = 100
    X = random_patterns(3, N)
    radius = np.array([0.3, 0.61, 1.0])
    # pattern 0 fails from the single start overlap 0.8 -> basin limited above it
    holes = [np.array([0.8]), np.array([]), np.array([])]
    memory = OracleMemory(X, radius, holes)
    res = basin_size(memory, X, criterion="pattern", random_state=0)
    grid = np.linspace(0, 1, 51)
    np.testing.assert_allclose(res.m_in, grid)
    np.testing.assert_allclose(res.basin_sizes, [1 - 0.82, 1 - 0.62, 0.0])
    np.testing.assert_allclose(res.basin_sizes,
                               _basins_from_final_overlap(res.final_overlap, grid, 0.999))
    assert res.basin_size == pytest.approx(res.basin_sizes.mean())
    assert res.success.shape == (3, 51)


def test_basin_size_pl_beats_hebb_and_is_reproducible():
    N = 100
    X = random_patterns(20, N, seed=5)           # alpha = 0.2: beyond Hebb's capacity
    pl = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    hebb = HopfieldMemory(rule="hebb").fit(X)
    res_pl = basin_size(pl, X, criterion="pattern", random_state=0)
    res_hebb = basin_size(hebb, X, criterion="pattern", random_state=0)
    # the paper reads 0.61 for PL at alpha = 0.2; most Hebb patterns are not
    # even fixed points at this load (a few are, at N = 100)
    assert 0.5 < res_pl.basin_size < 0.8
    assert res_hebb.basin_size < 0.3
    assert res_pl.basin_size > res_hebb.basin_size + 0.3
    # the m_F(m_in) curve rises to 1 for PL
    curve = res_pl.final_overlap.mean(axis=0)
    assert curve[-1] == 1.0 and curve[0] < 0.5
    np.testing.assert_allclose(res_pl.basin_sizes,
                               _basins_from_final_overlap(res_pl.final_overlap, res_pl.m_in, 0.999))
    again = basin_size(pl, X, criterion="pattern", random_state=0)
    np.testing.assert_array_equal(again.final_overlap, res_pl.final_overlap)
    other = basin_size(pl, X, criterion="pattern", random_state=1)
    assert not np.array_equal(other.final_overlap, res_pl.final_overlap)


def test_basin_size_trials_and_validation():
    X = random_patterns(5, 60)
    pl = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    res = basin_size(pl, X, m_in=np.linspace(0, 1, 11), n_trials=3, criterion="pattern",
                     random_state=0)
    assert res.final_overlap.shape == (5, 11)
    assert np.all((res.success >= 0) & (res.success <= 1))
    assert np.all(res.basin_sizes <= 1) and np.all(res.basin_sizes >= 0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        basin_size(pl, X, m_in=[-0.5, 0.5])


# ---------------------------------------------------------------- asymmetry

def _asymmetry_loop(J):
    n = len(J)
    diff = sum((J[i, j] - J[j, i]) ** 2 for i in range(n) for j in range(n) if i != j)
    summ = sum((J[i, j] + J[j, i]) ** 2 for i in range(n) for j in range(n) if i != j)
    return diff / (diff + summ)


def test_asymmetry_values():
    rng = np.random.default_rng(0)
    J = rng.normal(size=(15, 15))
    J[np.diag_indices(15)] = 5.0                 # the diagonal is ignored
    assert asymmetry(J) == pytest.approx(_asymmetry_loop(J))
    S = J + J.T
    A = J - J.T
    assert asymmetry(S) == pytest.approx(0.0)
    assert asymmetry(A) == pytest.approx(1.0)
    assert asymmetry(3.0 * J) == pytest.approx(asymmetry(J))
    big = rng.normal(size=(300, 300))
    assert asymmetry(big) == pytest.approx(0.5, abs=0.01)
    assert asymmetry(np.zeros((4, 4))) == 0.0


def test_asymmetry_of_estimators():
    X = random_patterns(60, 50)
    assert asymmetry(HopfieldMemory(rule="hebb").fit(X)) == pytest.approx(0.0, abs=1e-12)
    assert asymmetry(PseudoLikelihoodMemory(alpha=1e-3, symmetric=True).fit(X)) < 1e-10
    eta = asymmetry(PseudoLikelihoodMemory(alpha=1e-3).fit(X))
    assert 0.0 < eta < 0.5


# ------------------------------------------------------------------- scorer

@pytest.mark.parametrize("noise", [0.0, 0.1, 0.25])
def test_completion_scorer_identity_values(noise):
    X = random_patterns(8, 40)
    k = int(np.floor(noise * 40))
    memory = IdentityMemory().fit(X)
    # the identity returns the corrupted rows: overlap 1 - 2k/N
    flip = make_completion_scorer(noise=noise, mode="flip")
    assert flip(memory, X) == pytest.approx(1 - 2 * k / 40)
    corrupted = memory.seen_[-1]
    np.testing.assert_array_equal((corrupted != X).sum(axis=1), k)
    # hidden entries come back as NaN, which counts as 0
    mask = make_completion_scorer(noise=noise, mode="mask")
    assert mask(memory, X) == pytest.approx(1 - k / 40)
    np.testing.assert_array_equal(np.isnan(memory.seen_[-1]).sum(axis=1), k)
    # a fixed int seed corrupts the same entries every call
    flip(memory, X)
    flip(memory, X)
    np.testing.assert_array_equal(memory.seen_[-1], memory.seen_[-2])


def test_completion_scorer_bare_estimator():
    X = np.tile(random_patterns(4, 80), (10, 1))
    pl = PseudoLikelihoodMemory(alpha=1e-2).fit(X)
    assert make_completion_scorer(noise=0.2)(pl, X) == 1.0
    assert make_completion_scorer(noise=0.2, mode="mask")(pl, X) == 1.0
    assert "noise=0.2" in repr(make_completion_scorer(noise=0.2))


def test_completion_scorer_pipeline_corrupts_after_preprocessing():
    X = load_digits().data[:50]
    pipe = make_pipeline(Binarizer(threshold=7), IdentityMemory()).fit(X)
    score = make_completion_scorer(noise=0.25)(pipe, X)
    k = int(np.floor(0.25 * 64))
    assert score == pytest.approx(1 - 2 * k / 64)
    seen = pipe[-1].seen_[-1]
    clean = np.where(X > 7, 1.0, -1.0)
    np.testing.assert_array_equal((seen != clean).sum(axis=1), k)


def test_completion_scorer_grid_search_on_digits():
    X = load_digits().data[:600]
    pipe = make_pipeline(Binarizer(threshold=7), PseudoLikelihoodMemory(max_iter=500))
    grid = {"pseudolikelihoodmemory__alpha": [1e-2, 1e-1, 1.0]}
    search = GridSearchCV(pipe, grid, cv=3, scoring=make_completion_scorer(noise=0.2))
    search.fit(X)
    assert search.best_params_["pseudolikelihoodmemory__alpha"] in grid[
        "pseudolikelihoodmemory__alpha"]
    assert 0 < search.best_score_ <= 1
    scores = search.cv_results_["mean_test_score"]
    assert np.all((scores > 0) & (scores <= 1))
    # completion beats the corrupted input (overlap 1 - 2 * 0.2 = 0.6 before recall)
    assert search.best_score_ > 0.6


# ------------------------------------------------------------------- ties


def _hebb_exact_fixed_fraction(X):
    """Fixed points of Hebb couplings in integer arithmetic (a zero field keeps the spin)."""
    W = (X.T @ X).astype(np.int64)
    np.fill_diagonal(W, 0)
    H = X.astype(np.int64) @ W.T
    return float(np.mean(np.all((H * X > 0) | (H == 0), axis=1)))


def test_fixed_points_and_stabilities_see_exact_ties():
    # N = 180, P = 30: 8 fields are exactly 0 in exact arithmetic, +/-1e-17 in floats
    X = random_patterns(30, 180, seed=4)
    memory = HopfieldMemory(rule="hebb").fit(X)
    exact = _hebb_exact_fixed_fraction(X)
    assert exact > 0.3
    assert fixed_point_fraction(memory, X) == exact
    W = X.T @ X
    np.fill_diagonal(W, 0)
    zero = (X @ W.T) == 0
    assert zero.any()
    delta = stabilities(memory, X)
    assert np.all(delta[zero] == 0)
    assert np.all(delta[~zero] != 0)


# ------------------------------------------------------- basin criteria


class AlternatingMemory(TransformerMixin, BaseEstimator):
    """Retrieves the stored patterns on every other call, else returns the start."""

    def __init__(self, patterns=None):
        self.patterns = patterns

    def fit(self, X, y=None):
        self.calls_ = 0
        return self

    def transform(self, X):
        self.calls_ += 1
        return np.array(self.patterns if self.calls_ % 2 else X, dtype=float)


def test_basin_size_success_rate_over_trials():
    X = random_patterns(5, 40)
    grid = [0.0, 0.5, 1.0]
    # per grid value, trial 0 is retrieved and trial 1 is not: success rate 1/2
    half = basin_size(AlternatingMemory(X).fit(X), X, m_in=grid, n_trials=2,
                      criterion="pattern", random_state=0)
    np.testing.assert_allclose(half.success[:, :2], 0.5)
    assert half.basin_size == 1.0          # retrieved from m_in = 0 in half of the trials
    strict = basin_size(AlternatingMemory(X).fit(X), X, m_in=grid, n_trials=2, min_success=1,
                        criterion="pattern", random_state=0)
    assert strict.basin_size == 0.0


def test_basin_size_criteria_differ_when_one_pattern_is_not_stored():
    # every pattern but the last has basin 1 - 0.5; the last is not a fixed point
    X = random_patterns(10, 100)
    radius = np.full(10, 0.5)
    radius[-1] = 2.0
    memory = OracleMemory(X, radius).fit(X)
    grid = np.linspace(0, 1, 11)
    per_pattern = basin_size(memory, X, m_in=grid, criterion="pattern", random_state=0)
    population = basin_size(memory, X, m_in=grid, threshold=0.85, random_state=0)
    # the default is the criterion of the paper's figure: where the mean m_F curve reaches 1
    assert population.criterion == "population"
    assert per_pattern.criterion == "pattern"
    assert per_pattern.basin_size == pytest.approx(0.9 * 0.5)
    assert population.basin_size == pytest.approx(0.5)   # the mean m_F is >= 0.85 from 0.5
    assert population.basin_size > per_pattern.basin_size


def test_basin_size_stop_early_gives_the_same_basins():
    X = random_patterns(30, 100)
    memory = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    for criterion in ("pattern", "population"):
        full = basin_size(memory, X, criterion=criterion, random_state=1)
        fast = basin_size(memory, X, criterion=criterion, stop_early=True, random_state=1)
        assert fast.basin_size == full.basin_size
        np.testing.assert_array_equal(fast.basin_sizes <= full.basin_sizes, True)
        assert np.isnan(fast.final_overlap[:, 0]).all()


def test_metrics_check_the_fitted_state_of_a_memory():
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(5, 20))
    model = HopfieldMemory().fit(X)
    model.fields_ = np.zeros(7)  # edited or damaged: does not match coupling_
    for metric in (stabilities, fixed_point_fraction):
        with pytest.raises(ValueError, match="fields_"):
            metric(model, X)
