"""PseudoLikelihoodImputer: imputer conventions, pipelines, probabilities."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_plm import PseudoLikelihoodImputer
from sklearn_plm.metrics import make_completion_scorer


def _copies(n=400, seed=0):
    """Features 1 and 3 copy 0 and 2; the rest is noise."""
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 6)) < 0.5).astype(float)
    X[:, 1] = X[:, 0]
    X[:, 3] = 1 - X[:, 2]
    return X


def _hide(X, fraction, seed=1):
    Xm = X.copy()
    Xm[np.random.default_rng(seed).random(X.shape) < fraction] = np.nan
    return Xm


@pytest.mark.parametrize("method", ["mean-field", "gibbs"])
def test_imputes_missing_entries_and_leaves_observed_ones(method):
    X = _copies()
    Xm = _hide(X, 0.2)
    imputer = PseudoLikelihoodImputer(method=method, random_state=0).fit(Xm)
    out = imputer.transform(Xm)
    known = ~np.isnan(Xm)
    assert_array_equal(out[known], Xm[known])
    assert set(np.unique(out)) <= {0.0, 1.0}
    # where the copy is observed, the hidden entry is recovered
    for i, j in [(1, 0), (0, 1), (3, 2), (2, 3)]:
        rows = np.isnan(Xm[:, i]) & known[:, j]
        assert rows.sum() > 5
        assert np.mean(out[rows, i] == X[rows, i]) > 0.95
    P = imputer.predict_proba(Xm)
    assert_array_equal(P[known], Xm[known])
    assert np.all((P > 0) & (P < 1) | known)


def test_missing_values_placeholder_indicator_and_feature_names():
    X = _copies()
    Xm = np.where(np.isnan(_hide(X, 0.2)), -1.0, X)
    Xm[:, 5] = -1.0  # a feature never observed
    imputer = PseudoLikelihoodImputer(missing_values=-1, add_indicator=True).fit(Xm)
    out = imputer.transform(Xm)
    assert out.shape == (len(X), 5 + 6)  # empty feature dropped; indicator of all 6
    assert_array_equal(out[:, 5:], Xm == -1)
    assert not np.any(out[:, :5] == -1)
    names = imputer.get_feature_names_out([f"f{i}" for i in range(6)])
    assert list(names[:5]) == ["f0", "f1", "f2", "f3", "f4"]
    assert names[5] == "missingindicator_f0"
    kept = PseudoLikelihoodImputer(missing_values=-1, keep_empty_features=True).fit(Xm)
    out = kept.transform(Xm)
    assert out.shape == X.shape and np.all(out[:, 5] == 0)
    assert np.all(kept.predict_proba(Xm)[:, 5] == 0.5)


def test_pm1_data_is_imputed_in_pm1_and_dtype_is_kept():
    X = 2 * _copies() - 1
    Xm = _hide(X, 0.2).astype(np.float32)
    out = PseudoLikelihoodImputer().fit_transform(Xm)
    assert out.dtype == np.float32
    assert set(np.unique(out)) == {-1.0, 1.0}


def test_non_binary_input_warns():
    X = np.random.default_rng(0).integers(0, 17, size=(40, 5)).astype(float)
    with pytest.warns(DataConversionWarning, match="Binarizer"):
        PseudoLikelihoodImputer().fit(X)


def test_drops_into_a_pipeline_and_a_grid_search():
    X = _copies(300)
    y = X[:, 0].astype(int)
    Xm = _hide(X, 0.3)
    Xm[:, 0] = np.nan  # the label's own feature is never seen
    Xm[:, 1] = X[:, 1]
    scores = cross_val_score(make_pipeline(PseudoLikelihoodImputer(), LogisticRegression()),
                             Xm, y, cv=3)
    assert scores.mean() > 0.95
    scorer = make_completion_scorer(0.3, mode="mask", metric="accuracy")
    search = GridSearchCV(PseudoLikelihoodImputer(), {"temperature": [0.5, 1.0, 4.0]},
                          scoring=scorer, cv=2).fit(_copies(300))
    assert search.best_score_ > 0.7
    loss = make_completion_scorer(0.3, mode="mask", metric="neg_log_loss")
    brier = make_completion_scorer(0.3, mode="mask", metric="neg_brier_score")
    imputer = PseudoLikelihoodImputer().fit(_copies(300))
    held_out = _copies(100, seed=5)
    # copies make 4 of 6 features predictable: better than a coin (log 0.5, 0.25)
    assert np.log(0.5) < loss(imputer, held_out) < 0
    assert -0.25 < brier(imputer, held_out) < 0
    # very hot marginals are near 0.5 everywhere: worse log-loss
    assert loss(imputer.set_params(temperature=50.0), held_out) < loss(
        imputer.set_params(temperature=1.0), held_out)


def test_one_observed_feature_is_an_error():
    X = np.full((10, 3), np.nan)
    X[:, 0] = 1.0
    with pytest.raises(ValueError, match="at least 2 features"):
        PseudoLikelihoodImputer().fit(X)


def test_refits_are_seeded_and_refit_rounds_0_is_the_plain_fit():
    from sklearn_plm import PseudoLikelihoodMemory

    X = _copies(300)
    Xm = _hide(X, 0.4)
    a = PseudoLikelihoodImputer(random_state=0).fit(Xm)
    b = PseudoLikelihoodImputer(random_state=0).fit(Xm)
    assert_array_equal(a.memory_.coupling_, b.memory_.coupling_)
    plain = PseudoLikelihoodImputer(refit_rounds=0).fit(Xm)
    direct = PseudoLikelihoodMemory(symmetric=True, fit_fields=True).fit(2 * Xm - 1)
    assert_array_equal(plain.memory_.coupling_, direct.coupling_)
    assert not np.array_equal(a.memory_.coupling_, plain.memory_.coupling_)


def test_loaded_imputer_whose_mask_and_model_disagree_raises():
    import pickle

    X = _hide(_copies(n=120), 0.2)
    saved = pickle.dumps(PseudoLikelihoodImputer(refit_rounds=0).fit(X))
    damaged = pickle.loads(saved)
    damaged._observed = np.ones(9, dtype=bool)
    with pytest.raises(ValueError, match="observed-feature mask"):
        damaged.transform(X)
    damaged = pickle.loads(saved)
    damaged.memory_.coupling_ = np.zeros((3, 3))
    with pytest.raises(ValueError, match="inconsistent fitted state"):
        damaged.predict_proba(X)


# --------------------------------------------------- scikit-learn's imputers' rules

def test_nan_in_data_with_another_placeholder_is_refused_as_simple_imputer_does():
    Xm = _hide(_copies(), 0.1)
    with pytest.raises(ValueError, match="contains NaN, but missing_values=-1"):
        PseudoLikelihoodImputer(missing_values=-1).fit(Xm)
    fitted = PseudoLikelihoodImputer(missing_values=-1).fit(np.nan_to_num(Xm, nan=-1))
    with pytest.raises(ValueError, match="contains NaN"):
        fitted.transform(Xm)


@pytest.mark.parametrize("kw", [{}, {"keep_empty_features": True}, {"missing_values": -1}])
def test_all_missing_matrix_is_refused(kw):
    with pytest.raises(ValueError, match="(at least 2 features with observed|contains NaN)"):
        PseudoLikelihoodImputer(**kw).fit(np.full((10, 4), np.nan))


def test_all_missing_column_is_dropped_with_simple_imputers_warning():
    Xm = _hide(_copies(), 0.1)
    Xm[:, 4] = np.nan
    with pytest.warns(UserWarning, match=r"Skipping features without any observed values: \[4\]"):
        out = PseudoLikelihoodImputer().fit_transform(Xm)
    assert out.shape == (len(Xm), 5)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        kept = PseudoLikelihoodImputer(keep_empty_features=True).fit_transform(Xm)
    assert kept.shape == Xm.shape and np.all(kept[:, 4] == 0)


def test_raw_pixel_values_come_back_thresholded_never_mixed_with_spins():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 17, size=(200, 6)).astype(float)
    Xm = _hide(X, 0.2)
    with pytest.warns(DataConversionWarning, match="NaNBinarizer"):
        imputer = PseudoLikelihoodImputer(max_iter=20).fit(Xm)
    with pytest.warns(DataConversionWarning):
        out = imputer.transform(Xm)
    assert set(np.unique(out)) <= {0.0, 1.0}
    known = ~np.isnan(Xm)
    assert_array_equal(out[known], Xm[known] > 0)
    # negative raw values read as spins come back as -1/+1
    with pytest.warns(DataConversionWarning):
        out = PseudoLikelihoodImputer(max_iter=20).fit_transform(Xm - 8)
    assert set(np.unique(out)) <= {-1.0, 1.0}


def test_dataframe_with_a_string_column_gets_a_clear_error():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [0.0, 1.0, np.nan, 1.0], "b": [1.0, 0.0, 1.0, np.nan],
                       "c": ["x", "y", "x", "y"]})
    with pytest.raises(ValueError, match="needs numbers.*OrdinalEncoder"):
        PseudoLikelihoodImputer().fit(df)


def test_nan_binarizer_keeps_nan_and_feeds_the_imputer():
    from sklearn_plm import NaNBinarizer

    rng = np.random.default_rng(4)
    X = rng.integers(0, 17, size=(300, 6)).astype(float)
    X[:, 1] = X[:, 0]
    Xm = _hide(X, 0.2)
    B = NaNBinarizer(threshold=8).fit_transform(Xm)
    assert_array_equal(np.isnan(B), np.isnan(Xm))
    known = ~np.isnan(Xm)
    assert_array_equal(B[known], (Xm[known] > 8).astype(float))
    assert NaNBinarizer().fit_transform(Xm.astype(np.float32)).dtype == np.float32
    pipe = make_pipeline(NaNBinarizer(threshold=8), PseudoLikelihoodImputer(random_state=0))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataConversionWarning)
        out = pipe.fit_transform(Xm)
    rows = np.isnan(Xm[:, 1]) & known[:, 0]
    assert np.mean(out[rows, 1] == (X[rows, 0] > 8)) > 0.9


def test_nan_binarizer_passes_scikit_learns_checks():
    from sklearn.utils.estimator_checks import check_estimator

    from sklearn_plm import NaNBinarizer

    check_estimator(NaNBinarizer())


# ------------------------------------------------------------ load-time checks

@pytest.mark.parametrize("param, value", [
    ("burn_in", 2**40), ("temperature", np.nan), ("temperature", -1.0),
    ("temperature", np.inf), ("method", "bogus"), ("n_sweeps", 0), ("max_recall_iter", -5),
    ("max_recall_iter", 2**40), ("n_jobs", 0),
])
def test_tampered_parameters_are_refused_on_load(param, value):
    import pickle

    imputer = PseudoLikelihoodImputer(max_iter=10).fit(_hide(_copies(100), 0.1))
    imputer.__dict__[param] = value
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        pickle.loads(pickle.dumps(imputer))


@pytest.mark.parametrize("name, value, message", [
    ("encoding_", "bogus", "encoding_ must be"),
    ("_observed", np.ones(6, dtype=int), "boolean array"),
    ("_observed", np.ones(5, dtype=bool), "boolean array of shape"),
    ("n_features_in_", 7, "boolean array of shape"),
    ("memory_", "garbage", "must be a PseudoLikelihoodMemory"),
])
def test_tampered_fitted_state_is_refused_on_load(name, value, message):
    import pickle

    imputer = PseudoLikelihoodImputer(max_iter=10).fit(_hide(_copies(100), 0.1))
    imputer.__dict__[name] = value
    with pytest.raises(ValueError, match=message):
        pickle.loads(pickle.dumps(imputer))


def test_untouched_imputer_round_trips_through_pickle_and_skops():
    import pickle

    Xm = _hide(_copies(100), 0.1)
    imputer = PseudoLikelihoodImputer(max_iter=10, add_indicator=True).fit(Xm)
    assert_array_equal(pickle.loads(pickle.dumps(imputer)).transform(Xm), imputer.transform(Xm))
    sio = pytest.importorskip("skops.io")
    data = sio.dumps(imputer)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert_array_equal(loaded.transform(Xm), imputer.transform(Xm))


def test_imputer_is_imported_on_first_use_only():
    # The package, its datasets and metrics do not import scikit-learn's
    # imputers and dataset fetchers (most of scikit-learn: about 15 MB that a
    # Potts fit never uses); the imputer and the family fetcher import them
    # when asked for.
    import subprocess
    import sys

    code = (
        "import sys, sklearn_plm, sklearn_plm.datasets, sklearn_plm.metrics\n"
        "heavy = ('sklearn.impute', 'sklearn.datasets', 'sklearn.linear_model')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
        "from sklearn_plm import PseudoLikelihoodImputer\n"
        "from sklearn_plm._sklearn_compat import _fetch_remote, RemoteFileMetadata\n"
        "print(PseudoLikelihoodImputer.__name__, 'sklearn.impute' in sys.modules,\n"
        "      _fetch_remote.__module__, 'PseudoLikelihoodImputer' in dir(sklearn_plm))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert out[1] == "PseudoLikelihoodImputer True sklearn.datasets._base True"
    import sklearn_plm

    with pytest.raises(AttributeError, match="no attribute 'Imputer'"):
        sklearn_plm.Imputer
