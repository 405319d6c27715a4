import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklearn_plm import HopfieldMemory, PottsPseudoLikelihoodMemory, PseudoLikelihoodMemory
from sklearn_plm._validation import check_model_memory, detect_encoding, to_spins

from conftest import random_patterns

ESTIMATORS = [PseudoLikelihoodMemory, HopfieldMemory]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_inf_is_rejected_in_fit_and_transform(Est):
    X = random_patterns(10, 5)
    bad = X.copy()
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Est().fit(bad)
    est = Est().fit(X)
    with pytest.raises(ValueError, match="infinity"):
        est.transform(bad)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_shape_errors(Est):
    with pytest.raises(ValueError, match="1 feature"):
        Est().fit(np.ones((5, 1)))
    with pytest.raises(ValueError, match="0 sample"):
        Est().fit(np.ones((0, 4)))
    with pytest.raises(ValueError, match="2D array"):
        Est().fit(np.ones(4))
    est = Est().fit(random_patterns(10, 5))
    with pytest.raises(ValueError, match="5 features"):
        est.transform(np.ones((3, 4)))
    with pytest.raises(ValueError, match="5 features"):
        est.score_samples(np.ones((3, 6)))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_not_fitted(Est):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Est().transform(np.ones((2, 3)))


def test_non_binary_values_are_thresholded_at_zero_consistently():
    X = np.array([[0.3, -2.0, 5.0, 0.0], [-0.1, 1.0, -3.0, 2.0]])
    assert_array_equal(to_spins(X, np.float64), [[1, -1, 1, -1], [-1, 1, -1, 1]])
    for Est in ESTIMATORS:
        est = Est().fit(X)
        assert est.encoding_ == "pm1"
        assert_array_equal(est.transform(X), est.transform(np.sign(X - 1e-12)))
        assert_array_equal(est.score_samples(X), est.score_samples(to_spins(X, float)))


def test_detect_encoding():
    assert detect_encoding(np.array([[0.0, 1.0], [1.0, 1.0]])) == "01"
    assert detect_encoding(np.array([[0.0, 1.0], [np.nan, 1.0]])) == "01"
    assert detect_encoding(np.array([[-1.0, 1.0]])) == "pm1"
    assert detect_encoding(np.array([[1.0, 1.0]])) == "pm1"


def test_memory_estimate_refuses_huge_models():
    with pytest.raises(ValueError, match="GiB"):
        check_model_memory(10**6, 23, what="pseudo-likelihood fit")
    assert check_model_memory(100, 3) == 100 * 100 * 3 * 8


@pytest.mark.parametrize(
    "make",
    [
        lambda X: np.asfortranarray(X),
        lambda X: np.repeat(X, 2, axis=1)[:, ::2],  # non-contiguous view
        lambda X: X.astype(">f8"),  # big-endian
        lambda X: X.astype(np.int8),
        lambda X: X.astype(bool),
        lambda X: X.tolist(),
        lambda X: _readonly(X),
    ],
    ids=["fortran", "strided", "big-endian", "int8", "bool", "list", "readonly"],
)
@pytest.mark.parametrize("recall", ["sync", "async"])
def test_layouts_and_dtypes_give_the_canonical_result(make, recall):
    X = random_patterns(12, 40, seed=1)
    if make.__code__.co_names and "bool" in make.__code__.co_names:
        X = (X > 0).astype(float)  # bool input is the {0,1} encoding
    ref = PseudoLikelihoodMemory(recall=recall, random_state=0).fit(X)
    est = PseudoLikelihoodMemory(recall=recall, random_state=0).fit(make(X))
    np.testing.assert_allclose(est.coupling_, ref.coupling_, rtol=1e-6, atol=1e-8)
    assert_array_equal(est.transform(make(X)), ref.transform(X))


def _readonly(X):
    X = X.copy()
    X.setflags(write=False)
    return X


@pytest.mark.parametrize("est", [PseudoLikelihoodMemory(recall="async", random_state=1),
                                 HopfieldMemory(rule="pseudo-inverse")])
def test_pickle_round_trip(est):
    X = random_patterns(20, 50, seed=2)
    est.fit(X)
    clone = pickle.loads(pickle.dumps(est))
    noisy = X * np.where(np.random.default_rng(0).random(X.shape) < 0.2, -1, 1)
    assert_array_equal(clone.transform(noisy), est.transform(noisy))
    assert_array_equal(clone.score_samples(X), est.score_samples(X))


def test_energy_and_score_samples_match_formulas():
    rng = np.random.default_rng(3)
    X = random_patterns(15, 10, seed=3)
    est = PseudoLikelihoodMemory(fit_fields=True, beta=0.7).fit(X)
    J, b = est.coupling_, est.fields_
    E = np.array([-0.5 * x @ J @ x - b @ x for x in X])
    np.testing.assert_allclose(est.energy(X), E)
    H = X @ J.T + b
    pll = -np.logaddexp(0, -2 * 0.7 * X * H).sum(axis=1)
    np.testing.assert_allclose(est.score_samples(X), pll)
    assert est.score(X) == pytest.approx(pll.mean())
    Xm = X.copy()
    Xm[0, 3] = np.nan
    s = X[0].copy()
    s[3] = 0.0
    h = J @ s + b
    expected = -sum(np.logaddexp(0, -2 * 0.7 * s[i] * h[i]) for i in range(10) if i != 3)
    np.testing.assert_allclose(est.score_samples(Xm)[0], expected)
    del rng


ALL_ESTIMATORS = [PseudoLikelihoodMemory, HopfieldMemory, PottsPseudoLikelihoodMemory]


def _data(Est):
    if Est is PottsPseudoLikelihoodMemory:
        return np.random.default_rng(0).integers(0, 3, size=(20, 5)).astype(float)
    return random_patterns(20, 5)


@pytest.mark.parametrize("Est", ALL_ESTIMATORS)
def test_n_jobs_zero_is_refused_by_validation(Est):
    with pytest.raises(ValueError, match="'n_jobs' parameter"):
        Est(n_jobs=0).fit(_data(Est))
    Est(n_jobs=-1).fit(_data(Est))


@pytest.mark.parametrize("Est", ALL_ESTIMATORS)
def test_counts_beyond_a_c_int_are_refused_by_validation(Est):
    X = _data(Est)
    with pytest.raises(ValueError, match="'max_recall_iter' parameter"):
        Est(max_recall_iter=2**31).fit(X)
    est = Est(random_state=0).fit(X)
    for name in ("n_sweeps", "burn_in"):
        with pytest.raises(ValueError, match=f"'{name}' parameter"):
            est.sample(1, **{name: 2**31})


@pytest.mark.parametrize("Est", ALL_ESTIMATORS)
@pytest.mark.parametrize("weights, match", [
    ([1.0] * 19 + [-1.0], "Negative values in sample_weight"),
    ([-1.0] * 20, "Negative values in sample_weight"),
    ([0.0] * 20, "sums to 0|non-zero"),
    ([1.0] * 19 + [np.nan], "NaN"),
])
def test_bad_sample_weight_is_refused(Est, weights, match):
    with pytest.raises(ValueError, match=match):
        Est().fit(_data(Est), sample_weight=np.array(weights))


def test_bad_sample_weight_is_refused_in_partial_fit():
    est = PseudoLikelihoodMemory()
    with pytest.raises(ValueError, match="sums to 0|non-zero"):
        est.partial_fit(random_patterns(20, 5), sample_weight=np.zeros(20))
    assert not hasattr(est, "coupling_")


@pytest.mark.parametrize("Est", ALL_ESTIMATORS)
@pytest.mark.parametrize("temperature", [np.inf, np.nan, 0.0, -1.0, "hot", True])
def test_sample_temperature_must_be_positive_and_finite(Est, temperature):
    est = Est(random_state=0).fit(_data(Est))
    with pytest.raises(ValueError, match="temperature must be a positive finite number"):
        est.sample(2, temperature=temperature)


def _peak_arrays(fit, n_features):
    """Peak of ``fit()`` traced by tracemalloc, in (N, N) float64 arrays."""
    import tracemalloc

    tracemalloc.start()
    try:
        fit()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / (8.0 * n_features**2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("params", [dict(n_jobs=1), dict(n_jobs=2), dict(symmetric=True),
                                    dict(solver="gd", max_iter=5)])
def test_fit_memory_estimate_is_close_above_the_measured_peak(params):
    from sklearn_plm._solvers import fit_arrays

    n = 400
    X = random_patterns(40, n, seed=1)
    params = {"max_iter": 10, **params}
    measured = _peak_arrays(lambda: PseudoLikelihoodMemory(**params).fit(X), n)
    estimate = fit_arrays(n, symmetric=params.get("symmetric", False),
                          solver=params.get("solver", "lbfgs"), n_jobs=params.get("n_jobs"))
    assert measured <= estimate <= 1.35 * measured


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("params", [dict(), dict(symmetric=True), dict(solver="gd")])
@pytest.mark.parametrize("n_sites", [40, 100])
def test_potts_fit_memory_estimate_is_above_the_measured_peak(params, n_sites):
    # the unit is an (N q, N q) float64 array; a symmetric L-BFGS fit works over
    # the packed pairs i < j, half the parameters
    from sklearn_plm._solvers import fit_arrays

    q = 21
    X = np.random.RandomState(0).randint(0, q, size=(200, n_sites)).astype(float)
    params = {"max_iter": 5, "n_states": q, **params}
    measured = _peak_arrays(lambda: PottsPseudoLikelihoodMemory(**params).fit(X), n_sites * q)
    symmetric, solver = params.get("symmetric", False), params.get("solver", "lbfgs")
    estimate = fit_arrays(n_sites, symmetric=symmetric, solver=solver, n_jobs=None,
                          packed=symmetric and solver == "lbfgs")
    assert measured <= estimate <= 2 * measured


def test_partial_fit_memory_estimate_is_close_above_the_measured_peak():
    from sklearn_plm._solvers import PARTIAL_FIT_ARRAYS

    n = 400
    X = random_patterns(40, n, seed=1)
    measured = _peak_arrays(lambda: PseudoLikelihoodMemory().partial_fit(X), n)
    assert measured <= PARTIAL_FIT_ARRAYS <= 1.35 * measured


def _memory(monkeypatch, n_arrays, n_features):
    """Pretend the machine has room for ``n_arrays`` (N, N) float64 arrays."""
    import sklearn_plm._validation as validation

    monkeypatch.setattr(validation, "available_memory",
                        lambda: 8.0 * n_features**2 * n_arrays / 0.8)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_memory_checks_refuse_what_does_not_fit_and_accept_what_does(monkeypatch):
    n = 100
    X = random_patterns(30, n, seed=2)
    # partial_fit peaks near 9 arrays: room for 7 is not enough
    _memory(monkeypatch, 7, n)
    with pytest.raises(ValueError, match="partial_fit for 100 features needs"):
        PseudoLikelihoodMemory().partial_fit(X)
    # a symmetric fit peaks near 21 arrays: room for 19.5 is not enough, and the
    # message points to the leaner asymmetric fit
    _memory(monkeypatch, 19.5, n)
    with pytest.raises(ValueError, match="symmetric=False and n_jobs=1") as info:
        PseudoLikelihoodMemory(symmetric=True).fit(X.astype(np.float32))
    assert "float32" not in str(info.value)
    # an asymmetric fit with n_jobs=1 has one site block alive at a time
    _memory(monkeypatch, 10, n)
    PseudoLikelihoodMemory(n_jobs=1, max_iter=5).fit(X)


def test_pseudo_inverse_checks_the_pattern_overlap_matrix(monkeypatch):
    X = random_patterns(600, 20, seed=3)
    _memory(monkeypatch, 600**2 / 20**2, 20)  # room for one P x P array
    with pytest.raises(ValueError, match="600 patterns"):
        HopfieldMemory(rule="pseudo-inverse").fit(X)
    HopfieldMemory(rule="hebb").fit(X)
