"""HopfieldMemory with every learning rule."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sklearn_plm import HopfieldMemory
from sklearn_plm import _rules
from sklearn_plm._validation import to_spins

RULES = [
    {"rule": "hebb"},
    {"rule": "pseudo-inverse"},
    {"rule": "storkey"},
    {"rule": "perceptron"},
    {"rule": "perceptron", "margin": 0.5},
    {"rule": "perceptron", "margin": "max"},
]
RULE_IDS = ["hebb", "pseudo-inverse", "storkey", "perceptron", "perceptron-0.5", "perceptron-max"]
ORDER_FREE = [params for params in RULES if params["rule"] != "storkey"]

N_FEATURES, N_PATTERNS = 100, 8


@pytest.fixture(scope="module")
def patterns():
    rng = np.random.default_rng(0)
    return rng.choice([-1.0, 1.0], size=(N_PATTERNS, N_FEATURES))


def _flip(X, fraction, seed):
    rng = np.random.default_rng(seed)
    X = X.copy()
    mask = rng.random(X.shape) < fraction
    X[mask] = -X[mask]
    return X


def _direct(params, S, sample_weight=None):
    """The rule function the estimator should have called."""
    rule = params["rule"]
    if rule == "hebb":
        return _rules.hebb(S, sample_weight)
    if rule == "pseudo-inverse":
        return _rules.pseudo_inverse(S, sample_weight)
    if rule == "storkey":
        return _rules.storkey(S, sample_weight)
    return _rules.perceptron(S, sample_weight, margin=params.get("margin", 0.0),
                             max_iter=1000, tol=1e-6)[0]


@pytest.mark.parametrize("params", RULES, ids=RULE_IDS)
def test_round_trip_and_denoising(params, patterns):
    memory = HopfieldMemory(**params).fit(patterns)
    assert memory.coupling_.shape == (N_FEATURES, N_FEATURES)
    assert_array_equal(np.diag(memory.coupling_), 0.0)
    assert_array_equal(memory.fields_, 0.0)
    assert memory.encoding_ == "pm1"
    assert_allclose(memory.coupling_, _direct(params, patterns))
    assert_array_equal(memory.transform(patterns), patterns)
    assert_array_equal(memory.transform(_flip(patterns, 0.1, seed=1)), patterns)


@pytest.mark.parametrize("params", RULES, ids=RULE_IDS)
def test_zero_one_encoding(params, patterns):
    X01 = (patterns + 1) / 2
    memory = HopfieldMemory(**params).fit(X01)
    assert memory.encoding_ == "01"
    out = memory.transform(_flip(patterns, 0.1, seed=2) > 0)
    assert set(np.unique(out)) <= {0.0, 1.0}
    assert_array_equal(out, X01)
    # the encoding does not change the couplings
    assert_allclose(memory.coupling_, HopfieldMemory(**params).fit(patterns).coupling_)


@pytest.mark.parametrize("params", RULES, ids=RULE_IDS)
def test_float32_is_preserved(params, patterns):
    X32 = patterns.astype(np.float32)
    memory = HopfieldMemory(**params).fit(X32)
    assert memory.coupling_.dtype == np.float32
    assert memory.fields_.dtype == np.float32
    noisy = _flip(X32, 0.1, seed=3)
    out = memory.transform(noisy)
    assert out.dtype == np.float32
    assert_array_equal(out, HopfieldMemory(**params).fit(patterns).transform(noisy))


@pytest.mark.parametrize("params", RULES, ids=RULE_IDS)
def test_nan_in_fit_counts_as_zero(params, patterns):
    rng = np.random.default_rng(4)
    X = patterns.copy()
    unknown = rng.random(X.shape) < 0.05
    X[unknown] = np.nan
    memory = HopfieldMemory(**params).fit(X)
    assert np.isfinite(memory.coupling_).all()
    S = to_spins(X, np.float64)
    assert_array_equal(S == 0, unknown)
    assert_allclose(memory.coupling_, _direct(params, S))
    # an entry unknown in training gave its row no signal for that pattern,
    # so only the known entries are guaranteed to be stored
    out = memory.transform(patterns)
    assert_array_equal(out[~unknown], patterns[~unknown])


@pytest.mark.parametrize("params", RULES, ids=RULE_IDS)
def test_clamp_keeps_known_entries(params, patterns):
    rng = np.random.default_rng(5)
    X = _flip(patterns, 0.2, seed=6)
    unknown = rng.random(X.shape) < 0.3
    X[unknown] = np.nan
    memory = HopfieldMemory(clamp=True, **params).fit(patterns)
    out = memory.transform(X)
    assert_array_equal(out[~unknown], X[~unknown])
    assert set(np.unique(out[unknown])) <= {-1.0, 1.0}
    # without clamping the wrong known entries are corrected as well
    free = memory.set_params(clamp=False).transform(X)
    assert_array_equal(free, patterns)


@pytest.mark.parametrize("params", RULES, ids=RULE_IDS)
def test_sync_and_async_agree_on_fixed_points(params, patterns):
    rng = np.random.default_rng(7)
    sync = HopfieldMemory(recall="sync", max_recall_iter=50, **params).fit(patterns)
    asyn = clone(sync).set_params(recall="async", random_state=0).fit(patterns)
    assert_array_equal(asyn.transform(patterns), patterns)
    # every fixed point of the parallel dynamics is one of the sequential dynamics
    starts = rng.choice([-1.0, 1.0], size=(20, N_FEATURES))
    result = sync.complete(starts)
    fixed = result.X[result.converged]
    assert fixed.shape[0] > 0
    again = asyn.complete(fixed)
    assert again.converged.all()
    assert_array_equal(again.n_iter, 1)
    assert_array_equal(again.X, fixed)


@pytest.mark.parametrize("params", RULES, ids=RULE_IDS)
def test_pickle_round_trip(params, patterns):
    memory = HopfieldMemory(**params).fit(patterns)
    restored = pickle.loads(pickle.dumps(memory))
    noisy = _flip(patterns, 0.2, seed=8)
    assert_array_equal(restored.coupling_, memory.coupling_)
    assert_array_equal(restored.transform(noisy), memory.transform(noisy))


@pytest.mark.parametrize("params", RULES, ids=RULE_IDS)
def test_bad_input(params, patterns):
    memory = HopfieldMemory(**params)
    X = patterns.copy()
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        memory.fit(X)
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        memory.fit(patterns[:, :1])
    memory.fit(patterns)
    with pytest.raises(ValueError, match="infinity"):
        memory.transform(X)
    with pytest.raises(ValueError, match=f"expecting {N_FEATURES} features"):
        memory.transform(patterns[:, :5])


def test_storkey_needs_integer_weights(patterns):
    weights = np.full(N_PATTERNS, 0.5)
    with pytest.raises(ValueError, match="non-negative integer weights"):
        HopfieldMemory(rule="storkey").fit(patterns, sample_weight=weights)


def test_storkey_integer_weights_equal_repeated_rows(patterns):
    weights = np.array([0, 2, 1, 3, 1, 0, 1, 2])
    weighted = HopfieldMemory(rule="storkey").fit(patterns, sample_weight=weights)
    repeated = HopfieldMemory(rule="storkey").fit(np.repeat(patterns, weights, axis=0))
    assert_allclose(weighted.coupling_, repeated.coupling_, rtol=1e-12, atol=1e-15)
    noisy = _flip(patterns, 0.2, seed=9)
    assert_array_equal(weighted.transform(noisy), repeated.transform(noisy))


@pytest.mark.parametrize("params", ORDER_FREE, ids=[i for i in RULE_IDS if i != "storkey"])
def test_integer_weights_equal_shuffled_repeated_rows(params, patterns):
    weights = np.array([0, 2, 1, 3, 1, 0, 1, 2])
    perm = np.random.default_rng(10).permutation(N_PATTERNS)
    weighted = HopfieldMemory(**params).fit(patterns[perm], sample_weight=weights[perm])
    repeated = HopfieldMemory(**params).fit(np.repeat(patterns, weights, axis=0))
    assert_allclose(weighted.coupling_, repeated.coupling_, rtol=1e-4, atol=1e-8)
    noisy = _flip(patterns, 0.2, seed=11)
    assert_array_equal(weighted.transform(noisy), repeated.transform(noisy))


@pytest.mark.parametrize("margin", [0.0, "max"])
def test_perceptron_warns_above_capacity(margin):
    rng = np.random.default_rng(12)
    X = rng.choice([-1.0, 1.0], size=(100, 40))
    memory = HopfieldMemory(rule="perceptron", margin=margin, max_iter=50)
    with pytest.warns(ConvergenceWarning, match="max_iter=50"):
        memory.fit(X)
    assert memory.n_iter_ == 50


def test_n_iter(patterns):
    for params in RULES[:3]:
        assert HopfieldMemory(**params).fit(patterns).n_iter_ == 1
    rng = np.random.default_rng(13)
    X = rng.choice([-1.0, 1.0], size=(40, N_FEATURES))
    gardner = HopfieldMemory(rule="perceptron", margin=0.7).fit(X)
    maximal = HopfieldMemory(rule="perceptron", margin="max").fit(X)
    assert 1 < gardner.n_iter_ < 1000
    assert 1 < maximal.n_iter_ < 1000
    stab = _rules.stabilities
    assert stab(gardner.coupling_, X).min() > 0.7
    assert stab(maximal.coupling_, X).min() > stab(gardner.coupling_, X).min()


@pytest.mark.parametrize("rule", ["hebb", "storkey"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_partial_fit_over_chunks_equals_fit(rule, dtype, patterns):
    X = patterns.astype(dtype)
    weights = np.arange(len(X)) % 3  # integer weights, so Storkey accepts them
    whole = HopfieldMemory(rule=rule).fit(X, sample_weight=weights)
    streamed = HopfieldMemory(rule=rule)
    for rows in np.array_split(np.arange(len(X)), 4):
        streamed.partial_fit(X[rows], sample_weight=weights[rows])
    assert streamed.coupling_.dtype == dtype
    if rule == "storkey" and dtype == np.float64:
        assert_array_equal(streamed.coupling_, whole.coupling_)  # same arithmetic
    else:
        assert_allclose(streamed.coupling_, whole.coupling_,
                        rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    assert streamed.encoding_ == whole.encoding_
    assert_array_equal(streamed.transform(X), whole.transform(X))


def test_partial_fit_continues_a_fit(patterns):
    a, b = patterns[: len(patterns) // 2], patterns[len(patterns) // 2:]
    est = HopfieldMemory(rule="storkey").fit(a).partial_fit(b)
    assert_array_equal(est.coupling_, HopfieldMemory(rule="storkey").fit(patterns).coupling_)


@pytest.mark.parametrize("rule", ["pseudo-inverse", "perceptron"])
def test_partial_fit_refuses_rules_that_are_not_incremental(rule, patterns):
    est = HopfieldMemory(rule=rule)
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError) as info:
        est.partial_fit(patterns)
    # the traceback shows why, as for scikit-learn's own available_if methods
    assert "needs all patterns at once, so use fit" in str(info.value.__cause__)
    assert not hasattr(est, "coupling_")


def test_partial_fit_checks_features_and_is_all_or_nothing(patterns):
    est = HopfieldMemory(rule="hebb").partial_fit(patterns)
    before = est.coupling_.copy()
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(patterns[:, :-1])
    with pytest.raises(ValueError, match="Negative"):
        est.partial_fit(patterns, sample_weight=-np.ones(len(patterns)))
    assert_array_equal(est.coupling_, before)


def test_verbose_prints_one_line_per_call(patterns, capsys):
    HopfieldMemory(rule="storkey", verbose=1).fit(patterns).partial_fit(patterns[:3])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert f"{len(patterns)} patterns" in lines[0] and "3 patterns" in lines[1]
    HopfieldMemory(rule="storkey").fit(patterns)
    assert capsys.readouterr().out == ""
