import numpy as np
import pytest

from sklearn_plm import PseudoLikelihoodMemory
from sklearn_plm._objective import IsingPseudoLikelihood
from sklearn_plm._penalties import L2Penalty
from sklearn_plm._solvers import _objective
from sklearn_plm._validation import to_spins

from conftest import gibbs_ising


def full_objective(X, J, alpha):
    datafit = IsingPseudoLikelihood().initialize(to_spins(X, np.float64), np.ones(len(X)))
    fun, _ = _objective(datafit, L2Penalty(alpha, alpha, X.shape[1]), 0, X.shape[1], 1, False)
    return fun(J.ravel())[0]


def test_partial_fit_reaches_the_full_batch_optimum():
    rng = np.random.default_rng(0)
    n = 30
    J_true = np.triu(rng.normal(scale=0.2, size=(n, n)), 1)
    X = gibbs_ising(J_true + J_true.T, 2000, 20, seed=1)
    alpha = 1e-2
    full = PseudoLikelihoodMemory(alpha=alpha, tol=1e-9, max_iter=1000).fit(X)
    optimum = full_objective(X, full.coupling_, alpha)
    stream = PseudoLikelihoodMemory(alpha=alpha)
    for epoch in range(20):
        for batch in np.array_split(X[rng.permutation(len(X))], 20):
            assert stream.partial_fit(batch) is stream
    assert stream.n_iter_ == 400
    # documented tolerance (user guide): 20 epochs of 20 mini-batches with the
    # default step size land within 0.3% of the optimal objective
    gap = full_objective(X, stream.coupling_, alpha) - optimum
    assert 0 <= gap <= 3e-3 * optimum
    rel = np.linalg.norm(stream.coupling_ - full.coupling_) / np.linalg.norm(full.coupling_)
    assert rel < 0.1


def test_partial_fit_from_a_memory_mapped_file(tmp_path):
    X = np.random.default_rng(1).choice([-1.0, 1.0], size=(300, 20)).astype(np.float32)
    path = tmp_path / "patterns.npy"
    np.save(path, X)
    data = np.load(path, mmap_mode="r")
    est = PseudoLikelihoodMemory()
    for start in range(0, len(data), 64):
        est.partial_fit(data[start:start + 64])
    assert est.coupling_.dtype == np.float32
    assert est.n_features_in_ == 20 and est.n_iter_ == 5


def test_partial_fit_continues_a_fit_and_checks_features():
    X = np.random.default_rng(2).choice([-1.0, 1.0], size=(50, 10))
    est = PseudoLikelihoodMemory(alpha=1e-2).fit(X)
    J = est.coupling_.copy()
    est.partial_fit(X)
    # continues from the fitted couplings: Adam's first step moves each entry
    # by at most the step size
    assert np.abs(est.coupling_ - J).max() <= est.adam_learning_rate * (1 + 1e-6)
    with pytest.raises(ValueError, match="10 features"):
        est.partial_fit(X[:, :5])


def test_fit_resets_the_stream_state():
    X = np.random.default_rng(3).choice([-1.0, 1.0], size=(50, 10))
    est = PseudoLikelihoodMemory().partial_fit(X).partial_fit(X)
    assert est.n_iter_ == 2
    est.fit(X)
    est.partial_fit(X)
    assert est.n_iter_ == 1
