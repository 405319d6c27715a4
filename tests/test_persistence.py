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
        # parameters added since: an old model gets their defaults and keeps its clamp
        params = est.get_params()
        assert params["burn_in"] == 50 and params["n_sweeps"] == 200
        assert params["clamp"] is not None
        est.set_params(recall="gibbs", n_sweeps=5).transform(payload["probes"])


def test_fixtures_load_under_numpy_1_and_2():
    # numpy 2 pickles name numpy._core, which numpy 1 cannot import
    for path in DATA.glob("*.pkl"):
        assert b"numpy._core" not in path.read_bytes(), f"{path.name}: rewrite with numpy 1.x"


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


def test_tampered_model_files_are_refused_in_a_subprocess():
    # A kernel fed an inconsistent state could crash the interpreter, so the
    # fuzz runs in its own process; a crash or a hang fails this test.
    import subprocess
    import sys

    here = Path(__file__).parent
    code = ("import faulthandler, sys; faulthandler.dump_traceback_later(150, exit=True); "
            f"sys.path[:0] = [{str(here)!r}, {str(Path(sklearn_plm.__file__).parents[1])!r}]; "
            "import _tampered_states; sys.exit(min(_tampered_states.main(), 100))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    n_files = int(proc.stderr.split(" tampered files")[0].split()[-1])
    assert n_files > 500


@pytest.mark.parametrize("version", [None, "", "garbage", 3])
def test_forged_version_warns(version):
    est = PseudoLikelihoodMemory().fit(np.sign(np.random.default_rng(0).normal(size=(5, 4))))
    state = {**est.__getstate__(), "_sklearn_plm_version": version}
    clone = PseudoLikelihoodMemory.__new__(PseudoLikelihoodMemory)
    with pytest.warns(UserWarning, match="not a version"):
        clone.__setstate__(state)
    assert_array_equal(clone.coupling_, est.coupling_)


@pytest.mark.parametrize("missing", ["encoding_", "fields_", "coupling_"])
def test_state_without_a_fitted_attribute_is_not_fitted(missing):
    from sklearn.exceptions import NotFittedError

    X = np.random.default_rng(0).choice([-1.0, 1.0], size=(15, 6))
    est = HopfieldMemory().fit(X)
    state = est.__getstate__()
    del state[missing]
    clone = HopfieldMemory.__new__(HopfieldMemory)
    with pytest.raises(NotFittedError):
        clone.__setstate__(state)
    # the same attribute deleted from a live estimator
    delattr(est, missing)
    with pytest.raises(NotFittedError):
        est.transform(X)


def test_potts_state_whose_n_states_disagrees_is_refused():
    from sklearn_plm import PottsPseudoLikelihoodMemory

    X = np.random.default_rng(0).integers(0, 3, size=(20, 5)).astype(float)
    est = PottsPseudoLikelihoodMemory().fit(X)
    for name, value in [("n_states_", 5), ("n_features_in_", 7)]:
        clone = pickle.loads(pickle.dumps(est))
        clone.__dict__[name] = value  # edited as in a tampered file
        with pytest.raises(ValueError, match=name):
            pickle.loads(pickle.dumps(clone))
        # and a live estimator edited in place refuses before any kernel runs
        with pytest.raises(ValueError, match=name):
            clone.score_samples(X)


def test_saved_parameters_are_validated_on_load():
    est = PseudoLikelihoodMemory().fit(np.sign(np.random.default_rng(0).normal(size=(5, 4))))
    est.max_recall_iter = -3
    with pytest.raises(ValueError, match="max_recall_iter"):
        pickle.loads(pickle.dumps(est))


def test_parameters_added_later_take_their_defaults_on_load():
    est = HopfieldMemory().fit(np.sign(np.random.default_rng(0).normal(size=(5, 4))))
    state = est.__getstate__()
    for name in ("burn_in", "n_sweeps", "verbose"):
        del state[name]  # as if saved before these parameters existed
    clone = HopfieldMemory.__new__(HopfieldMemory)
    clone.__setstate__(state)
    assert (clone.burn_in, clone.n_sweeps, clone.verbose) == (50, 200, 0)
