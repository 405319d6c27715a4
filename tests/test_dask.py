"""Fits dispatched to a real (local, 2-process) Dask cluster through joblib."""

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
