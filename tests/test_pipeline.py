import numpy as np
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Binarizer

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory


def _digits(n=400):
    X, _ = load_digits(return_X_y=True)
    return X[:n]


def test_pipeline_completes_corrupted_digits():
    X = _digits(20)
    pipe = make_pipeline(Binarizer(threshold=7), PseudoLikelihoodMemory(alpha=1e-2)).fit(X)
    Xb = (X > 7).astype(float)
    assert_array_equal(pipe.transform(X), Xb)  # stored digits are fixed points
    # 10% of the pixels flipped, in raw pixel space
    flipped = np.random.default_rng(0).random(X.shape) < 0.1
    noisy = np.where(flipped, 16.0 - 16.0 * Xb, 16.0 * Xb)
    out = pipe.transform(noisy)
    assert set(np.unique(out)) <= {0.0, 1.0}
    assert np.mean(np.all(out == Xb, axis=1)) >= 0.9
    # bottom half unknown, top half clamped
    masked = Xb.copy()
    masked[:, 32:] = np.nan
    completed = pipe[-1].set_params(clamp=True).transform(masked)
    assert_array_equal(completed[:, :32], Xb[:, :32])
    assert np.mean(np.all(completed == Xb, axis=1)) >= 0.9
    # Hebb's rule is far beyond its capacity on 20 correlated digits
    hebb = HopfieldMemory(clamp=True).fit(Xb)
    assert np.mean(np.all(hebb.transform(masked) == Xb, axis=1)) < 0.2


def test_grid_search_over_alpha_with_default_score():
    X = _digits(300)
    pipe = make_pipeline(Binarizer(threshold=7), PseudoLikelihoodMemory(max_iter=1000))
    search = GridSearchCV(pipe, {"pseudolikelihoodmemory__alpha": [1e-3, 1e-2, 1e-1]}, cv=3)
    search.fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores < 0)
    assert search.best_params_["pseudolikelihoodmemory__alpha"] == [1e-3, 1e-2, 1e-1][
        int(np.argmax(scores))]
    # held-out pseudo-log-likelihood beats an untrained (all-zero) model: 64 log 2
    assert search.best_score_ > -64 * np.log(2)


def test_set_output_pandas_keeps_feature_names():
    import pandas as pd

    X = pd.DataFrame(np.sign(np.random.default_rng(0).normal(size=(20, 5))),
                     columns=list("abcde"))
    est = PseudoLikelihoodMemory().set_output(transform="pandas").fit(X)
    out = est.transform(X)
    assert list(out.columns) == list("abcde")
    assert list(est.get_feature_names_out()) == list("abcde")
