import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal

import sklearn_plm
from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["pseudolikelihood_memory", "hopfield_memory"])
def test_models_saved_by_earlier_versions_still_load(name):
    fixtures = sorted(DATA.glob(f"{name}_v*.pkl"))
    assert fixtures, "no saved-model fixture"
    for path in fixtures:
        with open(path, "rb") as f:
            payload = pickle.load(f)
        est = payload["estimator"]
        result = est.complete(payload["probes"])
        # rows that reach a fixed point recall as before; since 2-cycle detection, a
        # cycling row stops in its cycle instead of at the parity of max_recall_iter
        done = result.converged
        assert done.mean() > 0.5
        assert_array_equal(result.X[done], payload["transform"][done])
        assert np.all(result.n_iter[~done] < est.max_recall_iter)
        np.testing.assert_allclose(est.score_samples(payload["X"]), payload["score_samples"],
                                   rtol=1e-12)


@pytest.mark.parametrize("est", [PseudoLikelihoodMemory(recall="async", random_state=0),
                                 HopfieldMemory(rule="perceptron", margin=0.2)])
def test_joblib_dump_round_trip(tmp_path, est):
    X = np.random.default_rng(0).choice([-1.0, 1.0], size=(15, 30))
    est.fit(X)
    joblib.dump(est, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    noisy = np.where(np.random.default_rng(1).random(X.shape) < 0.2, -X, X)
    assert_array_equal(loaded.transform(noisy), est.transform(noisy))
    assert loaded.score(X) == est.score(X)


def test_version_is_stored_and_a_newer_version_warns():
    est = PseudoLikelihoodMemory().fit(np.sign(np.random.default_rng(0).normal(size=(5, 4))))
    state = est.__getstate__()
    assert state["_sklearn_plm_version"] == sklearn_plm.__version__
    state["_sklearn_plm_version"] = "99.0.0"
    clone = PseudoLikelihoodMemory.__new__(PseudoLikelihoodMemory)
    with pytest.warns(UserWarning, match="newer than"):
        clone.__setstate__(state)
    assert_array_equal(clone.coupling_, est.coupling_)


def test_skops_round_trip(tmp_path):
    sio = pytest.importorskip("skops.io")
    X = np.random.default_rng(0).choice([-1.0, 1.0], size=(15, 30))
    est = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert_array_equal(loaded.transform(X), est.transform(X))
