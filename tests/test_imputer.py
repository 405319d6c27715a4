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
