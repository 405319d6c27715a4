"""Fits dispatched to a real (local, 2-process) Dask cluster through joblib."""

import warnings

import numpy as np
import pytest
from joblib import parallel_config
from numpy.testing import assert_allclose

from sklearn_plm import PseudoLikelihoodMemory

from conftest import random_patterns

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def test_asymmetric_fit_on_dask_matches_local_fit(client):
    X = random_patterns(200, 300, seed=0)
    local = PseudoLikelihoodMemory(alpha=1e-2).fit(X)
    with distributed.get_task_stream(client) as stream:
        with parallel_config(backend="dask"):
            remote = PseudoLikelihoodMemory(alpha=1e-2, n_jobs=-1).fit(X)
    assert_allclose(remote.coupling_, local.coupling_, rtol=1e-10, atol=1e-12)
    workers = {task["worker"] for task in stream.data}
    assert len(workers) == 2


def test_grid_search_on_dask(client):
    from sklearn.model_selection import GridSearchCV

    X = random_patterns(60, 40, seed=1)
    with parallel_config(backend="dask"):
        search = GridSearchCV(PseudoLikelihoodMemory(), {"alpha": [1e-2, 1e-1]}, cv=2,
                              n_jobs=-1).fit(X)
    assert search.best_params_["alpha"] in (1e-2, 1e-1)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_worker_killed_mid_fit_is_survived():
    import os
    import signal
    import threading
    import time

    X = random_patterns(200, 200, seed=2)
    params = dict(alpha=1e-3, tol=1e-6, max_iter=200)
    local = PseudoLikelihoodMemory(**params).fit(X)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        victim = next(iter(client.run(os.getpid).items()))

        def kill_when_busy():
            # as soon as the victim runs a site block, it dies with its scattered data
            for _ in range(600):
                if client.processing().get(victim[0]):
                    os.kill(victim[1], signal.SIGKILL)
                    return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with parallel_config(backend="dask"):
                remote = PseudoLikelihoodMemory(n_jobs=-1, **params).fit(X)
        killer.join()
    assert any("worker died" in str(w.message) for w in caught)
    assert_allclose(remote.coupling_, local.coupling_, rtol=1e-10, atol=1e-12)


def test_a_worker_dying_twice_gives_a_clear_error(monkeypatch):
    from concurrent.futures import CancelledError

    from sklearn_plm import _solvers

    calls = []

    def lost(*args, **kwargs):
        calls.append(1)
        raise CancelledError("already forgotten")

    class DeadParallel:
        def __init__(self, *args, **kwargs):
            pass

        def __call__(self, tasks):
            list(tasks)
            lost()

    monkeypatch.setattr(_solvers, "Parallel", DeadParallel)
    est = PseudoLikelihoodMemory()
    with pytest.warns(RuntimeWarning, match="worker died"), \
            pytest.raises(RuntimeError, match="worker died during the fit, twice"):
        est.fit(random_patterns(40, 100, seed=3))
    assert len(calls) == 2 and not hasattr(est, "coupling_")
