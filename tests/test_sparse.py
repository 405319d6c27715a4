"""L1 / elastic-net pseudo-likelihood: sparse structure learning end to end."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from sklearn_plm import PottsPseudoLikelihoodMemory, PseudoLikelihoodMemory, pseudolikelihood_path
from sklearn_plm._path import _alpha_max
from sklearn_plm._sklearn_compat import l1_logistic_params
from sklearn_plm._sampling import gibbs_ising
from sklearn_plm.metrics import coupling_graph, edge_precision_recall


def planted_chain(N=8, J0=0.6, P=1500, seed=0):
    """Samples of an open chain 0-1-...-(N-1) with couplings J0, and its couplings."""
    J = np.zeros((N, N))
    for i in range(N - 1):
        J[i, i + 1] = J[i + 1, i] = J0
    return gibbs_ising(J, None, P, n_sweeps=5, burn_in=200, n_chains=P // 50,
                       random_state=seed), J


def per_site_l1(X, alpha, beta=1.0, fit_intercept=False):
    """Independent reference: one liblinear L1 logistic regression per site.

    Site i's term of the objective is mean_mu softplus(-2 beta s_i h_i) +
    alpha |J_i|_1; with w = 2 beta J_i it is (alpha / (2 beta)) (|w|_1 + C sum_mu
    log(1 + exp(-y w.x))) for C = 2 beta / (alpha P): the same minimizer.
    """
    P, N = X.shape
    J, b = np.zeros((N, N)), np.zeros(N)
    for i in range(N):
        rest = np.delete(np.arange(N), i)
        lr = LogisticRegression(**l1_logistic_params(), C=2 * beta / (alpha * P), solver="liblinear",
                                fit_intercept=fit_intercept, intercept_scaling=1e3,
                                tol=1e-10, max_iter=100000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lr.fit(X[:, rest], X[:, i])
        J[i, rest] = lr.coef_[0] / (2 * beta)
        b[i] = lr.intercept_[0] / (2 * beta) if fit_intercept else 0.0
    return J, b


@pytest.mark.parametrize("beta", [1.0, 0.7])
def test_l1_fit_matches_per_site_liblinear(beta):
    X, _ = planted_chain()
    alpha = 0.03
    memory = PseudoLikelihoodMemory(alpha=alpha, beta=beta, l1_ratio=1.0, solver="fista",
                                    tol=1e-10, max_iter=20000).fit(X)
    J, _ = per_site_l1(X, alpha, beta)
    np.testing.assert_allclose(memory.coupling_, J, atol=1e-6)
    np.testing.assert_array_equal(memory.coupling_ != 0, J != 0)
    assert 0 < np.count_nonzero(J) < J.size - len(J)  # a sparse answer, not a trivial one


def test_l1_fit_with_fields_matches_per_site_liblinear_with_intercept():
    X, _ = planted_chain(seed=1)
    X[:, 3] = np.where(np.random.default_rng(0).random(len(X)) < 0.8, 1.0, X[:, 3])  # a field
    alpha = 0.03
    memory = PseudoLikelihoodMemory(alpha=alpha, l1_ratio=1.0, solver="fista", fit_fields=True,
                                    alpha_fields=0.0, tol=1e-10, max_iter=20000).fit(X)
    # liblinear's intercept pays |b| / intercept_scaling: 1e3 makes that negligible
    J, b = per_site_l1(X, alpha, fit_intercept=True)
    np.testing.assert_allclose(memory.coupling_, J, atol=2e-4)
    np.testing.assert_allclose(memory.fields_, b, atol=2e-4)
    assert abs(memory.fields_[3]) > 0.3


def test_elastic_net_at_l1_ratio_zero_is_the_l2_fit():
    X, _ = planted_chain()
    l2 = PseudoLikelihoodMemory(alpha=0.05, tol=1e-10, max_iter=2000).fit(X)
    prox = PseudoLikelihoodMemory(alpha=0.05, solver="fista", tol=1e-10, max_iter=20000).fit(X)
    np.testing.assert_allclose(prox.coupling_, l2.coupling_, atol=1e-7)
    assert prox.loss_ == pytest.approx(l2.loss_, rel=1e-10)


def test_symmetric_l1_fit_is_symmetric_and_sparse():
    X, J = planted_chain()
    memory = PseudoLikelihoodMemory(alpha=0.1, l1_ratio=1.0, solver="fista", symmetric=True,
                                    tol=1e-8, max_iter=5000).fit(X)
    np.testing.assert_array_equal(memory.coupling_, memory.coupling_.T)
    np.testing.assert_array_equal(memory.graph(), J != 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_planted_graph_is_recovered(dtype):
    X, J = planted_chain(N=12, P=3000)
    # alpha=0.05 also keeps one next-nearest pair (correlated through the chain)
    memory = PseudoLikelihoodMemory(alpha=0.1, l1_ratio=1.0, solver="fista").fit(X.astype(dtype))
    assert memory.coupling_.dtype == dtype
    assert edge_precision_recall(J != 0, memory.graph(rule="and")) == (1.0, 1.0)
    # the OR rule adds the edges that only one direction found
    assert memory.graph(rule="or").sum() >= memory.graph(rule="and").sum()


def test_smooth_solvers_refuse_l1_with_a_hint():
    X, _ = planted_chain()
    for solver in ("lbfgs", "gd"):
        with pytest.raises(ValueError, match="Use solver='fista'"):
            PseudoLikelihoodMemory(l1_ratio=0.5, solver=solver).fit(X)
    with pytest.raises(ValueError, match="partial_fit takes Adam steps"):
        PseudoLikelihoodMemory(l1_ratio=1.0).partial_fit(X)


def test_potts_fista_takes_l2_and_refuses_the_smoothed_group_penalty():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(200, 5)).astype(float)
    ref = PottsPseudoLikelihoodMemory(alpha=0.05, tol=1e-9, max_iter=2000).fit(X)
    prox = PottsPseudoLikelihoodMemory(alpha=0.05, solver="fista", tol=1e-9,
                                       max_iter=20000).fit(X)
    np.testing.assert_allclose(prox.coupling_, ref.coupling_, atol=1e-6)
    sym = PottsPseudoLikelihoodMemory(alpha=0.05, symmetric=True, tol=1e-9, max_iter=2000).fit(X)
    sym_prox = PottsPseudoLikelihoodMemory(alpha=0.05, symmetric=True, solver="fista", tol=1e-9,
                                           max_iter=20000).fit(X)
    np.testing.assert_allclose(sym_prox.coupling_, sym.coupling_, atol=1e-6)
    with pytest.raises(ValueError, match="solver='fista' needs a penalty with proximal"):
        PottsPseudoLikelihoodMemory(alpha_group=0.1, solver="fista").fit(X)


def test_path_starts_at_alpha_max_and_warm_starts_reach_the_cold_optimum():
    X, _ = planted_chain()
    alphas, couplings, fields = pseudolikelihood_path(X, n_alphas=6, eps=0.05, tol=1e-9,
                                                      max_iter=20000)
    assert np.all(np.diff(alphas) < 0)
    assert np.count_nonzero(couplings[0]) == 0
    # just below alpha_max one coupling pair enters
    memory = PseudoLikelihoodMemory(l1_ratio=1.0, solver="fista", tol=1e-10, max_iter=20000)
    assert np.count_nonzero(memory.set_params(alpha=alphas[0] * 0.98).fit(X).coupling_) > 0
    nonzeros = [np.count_nonzero(J) for J in couplings]
    assert nonzeros == sorted(nonzeros) and nonzeros[-1] > nonzeros[1]
    cold = memory.set_params(alpha=alphas[3], tol=1e-9).fit(X)
    np.testing.assert_allclose(couplings[3], cold.coupling_, atol=1e-6)
    assert fields.shape == (6, X.shape[1])


def test_alpha_max_with_fields_is_exact():
    X, _ = planted_chain()
    X[:, 2] = np.where(np.random.default_rng(1).random(len(X)) < 0.7, 1.0, X[:, 2])
    memory = PseudoLikelihoodMemory(l1_ratio=1.0, fit_fields=True, alpha_fields=0.0)
    S = X.copy()
    top = _alpha_max(memory, S, np.ones(len(X)))
    params = dict(l1_ratio=1.0, solver="fista", fit_fields=True, alpha_fields=0.0, tol=1e-10,
                  max_iter=20000)
    above = PseudoLikelihoodMemory(alpha=1.01 * top, **params).fit(X)
    below = PseudoLikelihoodMemory(alpha=0.97 * top, **params).fit(X)
    assert np.count_nonzero(above.coupling_) == 0 < np.count_nonzero(below.coupling_)


def test_path_validates_alphas():
    X, _ = planted_chain()
    with pytest.raises(ValueError, match="alphas must be non-negative"):
        pseudolikelihood_path(X, alphas=[0.1, -1.0])
    with pytest.raises(ValueError, match="l1_ratio"):
        pseudolikelihood_path(X, l1_ratio=0.0)


def test_gridsearch_over_alpha_with_the_pseudo_likelihood_score():
    X, J = planted_chain(P=2000)
    search = GridSearchCV(PseudoLikelihoodMemory(l1_ratio=1.0, solver="fista"),
                          {"alpha": [0.003, 0.03, 0.3]}, cv=3).fit(X)
    # the strongest penalty zeroes every coupling: a worse held-out pseudo-likelihood
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_["alpha"] != 0.3 and scores[2] < scores.max()
    assert edge_precision_recall(J != 0, search.best_estimator_.graph(rule="or"))[1] == 1.0


def test_coupling_graph_rules_and_potts_blocks():
    J = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.2], [0.0, 0.3, 0.0]])
    assert coupling_graph(J, rule="and").sum() == 2  # only the pair 1-2, both directions
    assert coupling_graph(J, rule="or").sum() == 4
    assert coupling_graph(J, rule="or", threshold=0.25).sum() == 4  # 0.5 and 0.3 pass
    assert coupling_graph(J, rule="and", threshold=0.25).sum() == 0
    Jq = np.zeros((3, 3, 2, 2))
    Jq[0, 2, 1, 0] = Jq[2, 0, 0, 1] = 1.0
    assert coupling_graph(Jq).astype(int).tolist() == [[0, 0, 1], [0, 0, 0], [1, 0, 0]]
    with pytest.raises(ValueError, match="rule"):
        coupling_graph(J, rule="xor")
    with pytest.raises(ValueError, match="square"):
        coupling_graph(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="same sites"):
        edge_precision_recall(np.eye(2), np.eye(3))
    assert edge_precision_recall(np.zeros((3, 3)), np.zeros((3, 3))) == (1.0, 1.0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("params", [dict(n_jobs=1), dict(n_jobs=2), dict(symmetric=True)])
def test_fista_memory_estimate_is_above_the_measured_peak(params):
    import tracemalloc

    from sklearn_plm._solvers import fit_arrays

    n = 400
    X = np.random.default_rng(1).choice([-1.0, 1.0], size=(40, n))
    tracemalloc.start()
    try:
        PseudoLikelihoodMemory(solver="fista", l1_ratio=1.0, alpha=1e-3, max_iter=10,
                               **params).fit(X)
        measured = tracemalloc.get_traced_memory()[1] / (8.0 * n**2)
    finally:
        tracemalloc.stop()
    estimate = fit_arrays(n, symmetric=params.get("symmetric", False), solver="fista",
                          n_jobs=params.get("n_jobs"))
    assert measured <= estimate <= 1.5 * measured
