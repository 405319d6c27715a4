import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory
from sklearn_plm._objective import IsingPseudoLikelihood
from sklearn_plm._penalties import L2Penalty
from sklearn_plm._solvers import _objective, site_blocks
from sklearn_plm._validation import to_spins

from conftest import flip, gibbs_ising, random_patterns


def literal_objective(J, b, X, beta, alpha, alpha_fields, weight=None):
    """Pseudo-likelihood objective written as plain loops (NaN = unknown)."""
    n_samples, n = X.shape
    weight = np.ones(n_samples) if weight is None else weight
    total = 0.0
    for mu in range(n_samples):
        s = [0.0 if np.isnan(v) else (1.0 if v > 0 else -1.0) for v in X[mu]]
        for i in range(n):
            if s[i] == 0.0:
                continue
            h = b[i] + sum(J[i, j] * s[j] for j in range(n) if j != i)
            total += weight[mu] * np.logaddexp(0.0, -2.0 * beta * s[i] * h)
    return total / weight.sum() + 0.5 * alpha * np.sum(J**2) + 0.5 * alpha_fields * np.sum(b**2)


def make_problem(X, dtype, beta=1.0, fit_fields=False, alpha=0.1, alpha_fields=0.05, weight=None):
    S = to_spins(X, dtype)
    w = np.ones(X.shape[0]) if weight is None else weight
    datafit = IsingPseudoLikelihood(beta, fit_fields).initialize(S, w)
    return datafit, L2Penalty(alpha, alpha_fields, X.shape[1])


@pytest.mark.parametrize("fit_fields", [False, True])
def test_objective_matches_literal_loops_with_missing_values(rng, fit_fields):
    X = rng.choice([-1.0, 1.0], size=(7, 5))
    X[rng.random(X.shape) < 0.2] = np.nan
    weight = rng.uniform(0.5, 2.0, size=7)
    datafit, penalty = make_problem(X, np.float64, beta=0.7, fit_fields=fit_fields, weight=weight)
    coef = rng.normal(size=(5, datafit.n_params))
    coef[np.arange(5), np.arange(5)] = 0.0
    fun, _ = _objective(datafit, penalty, 0, 5, 1, symmetric=False)
    b = coef[:, 5] if fit_fields else np.zeros(5)
    expected = literal_objective(coef[:, :5], b, X, 0.7, 0.1, 0.05 if fit_fields else 0.0, weight)
    assert_allclose(fun(coef.ravel())[0], expected, rtol=1e-12)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-6), (np.float32, 2e-3)])
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("fit_fields", [False, True])
def test_gradient_matches_finite_differences(rng, dtype, rtol, symmetric, fit_fields):
    n = 9
    X = rng.choice([-1.0, 1.0], size=(40, n))
    X[rng.random(X.shape) < 0.05] = np.nan
    datafit, penalty = make_problem(X, dtype, beta=1.3, fit_fields=fit_fields)
    if symmetric:
        start, stop = 0, n
    else:
        start, stop = 3, 7
    coef = 0.3 * rng.normal(size=(stop - start, datafit.n_params))
    if symmetric:
        coef[:, :n] = 0.5 * (coef[:, :n] + coef[:, :n].T)
    coef[np.arange(stop - start), start + np.arange(stop - start)] = 0.0
    fun, _ = _objective(datafit, penalty, start, stop, 1, symmetric)
    _, grad = fun(coef.ravel())
    for _ in range(5):
        d = rng.normal(size=coef.shape)
        d[np.arange(stop - start), start + np.arange(stop - start)] = 0.0
        if symmetric:
            d[:, :n] = 0.5 * (d[:, :n] + d[:, :n].T)
        eps = 1e-3 if dtype == np.float32 else 1e-6
        fd = (fun((coef + eps * d).ravel())[0] - fun((coef - eps * d).ravel())[0]) / (2 * eps)
        assert_allclose(grad @ d.ravel(), fd, rtol=rtol, atol=rtol * 1e-2)


def test_site_blocks_cover_all_sites_and_ignore_n_jobs():
    for n in [2, 31, 32, 100, 785, 5000]:
        blocks = site_blocks(n)
        assert blocks[0][0] == 0 and blocks[-1][1] == n
        assert all(a < b for a, b in blocks)
        assert all(b1 == a2 for (_, b1), (a2, _) in zip(blocks[:-1], blocks[1:]))


@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_lbfgs_matches_per_site_logistic_regression(beta):
    # Independent reference: N logistic regressions with coef_ = 2 beta J_i.
    J_true = np.zeros((8, 8))
    J_true[np.triu_indices(8, 1)] = np.random.default_rng(3).normal(scale=0.3, size=28)
    J_true = J_true + J_true.T
    X = gibbs_ising(J_true, 300, 30, seed=1)
    alpha = 0.01
    n_samples, n = X.shape
    est = PseudoLikelihoodMemory(alpha=alpha, beta=beta, tol=1e-10, max_iter=1000).fit(X)
    C = 4 * beta**2 / (alpha * n_samples)
    J_lr = np.zeros((n, n))
    for i in range(n):
        others = np.delete(np.arange(n), i)
        lr = LogisticRegression(C=C, fit_intercept=False, tol=1e-12, max_iter=10000)
        lr.fit(X[:, others], X[:, i])
        J_lr[i, others] = lr.coef_.ravel() / (2 * beta)
    datafit, penalty = make_problem(X, np.float64, beta=beta, alpha=alpha, alpha_fields=0.0)
    fun, _ = _objective(datafit, penalty, 0, n, 1, symmetric=False)
    ours, ref = fun(est.coupling_.ravel())[0], fun(J_lr.ravel())[0]
    assert abs(ours - ref) <= 1e-5 * max(1.0, abs(ref))
    assert_allclose(est.coupling_, J_lr, atol=1e-3)
    assert_allclose(est.loss_, ours, rtol=1e-9)


def numpy_gradient_descent(X, J0, beta, alpha, lr, n_epochs, clip):
    n_samples = X.shape[0]
    J = J0.copy()
    for _ in range(n_epochs):
        H = X @ J.T
        R = -2 * beta * X * expit(-2 * beta * X * H)
        G = R.T @ X / n_samples + alpha * J
        np.fill_diagonal(G, 0.0)
        norm = np.linalg.norm(G)
        if clip is not None and norm > clip:
            G *= clip / norm
        J -= lr * G
    return J


@pytest.mark.parametrize("clip", [None, 0.05])
def test_gradient_descent_matches_numpy_loop(clip):
    X = random_patterns(30, 20)
    est = PseudoLikelihoodMemory(alpha=1e-3, beta=0.8, solver="gd", learning_rate=2.0,
                                 max_iter=50, tol=0.0, clip=clip).fit(X)
    J0 = X.T @ X / 20
    np.fill_diagonal(J0, 0.0)
    J = numpy_gradient_descent(X, J0, 0.8, 1e-3, 2.0, 50, clip)
    assert est.n_iter_ == 50
    assert_allclose(est.coupling_, J, rtol=1e-10, atol=1e-12)


def test_gradient_descent_warm_start_continues_training():
    X = random_patterns(30, 20)
    kw = dict(alpha=0.0, solver="gd", tol=0.0)
    once = PseudoLikelihoodMemory(max_iter=40, **kw).fit(X)
    twice = PseudoLikelihoodMemory(max_iter=20, warm_start=True, **kw).fit(X)
    twice.fit(X)
    assert_allclose(twice.coupling_, once.coupling_, rtol=1e-12)


def test_planted_model_is_recovered_better_with_more_samples():
    rng = np.random.default_rng(5)
    n = 12
    J_true = np.zeros((n, n))
    for i in range(n):  # sparse: a ring plus a few random bonds
        J_true[i, (i + 1) % n] = J_true[(i + 1) % n, i] = 0.4
    for _ in range(6):
        i, j = rng.choice(n, 2, replace=False)
        J_true[i, j] = J_true[j, i] = rng.choice([-0.5, 0.5])
    X = gibbs_ising(J_true, 8000, 40, seed=2)
    errors = []
    for n_samples in [250, 1000, 8000]:
        est = PseudoLikelihoodMemory(alpha=1e-5, tol=1e-8, max_iter=500).fit(X[:n_samples])
        J = 0.5 * (est.coupling_ + est.coupling_.T)
        errors.append(np.sqrt(np.mean((J - J_true) ** 2)))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.04


@pytest.mark.parametrize("load", [0.2, 0.5])
def test_training_patterns_are_fixed_points_and_attract(load):
    n = 200
    X = random_patterns(int(load * n), n, seed=1)
    pl = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    assert np.all(pl.transform(X) == X)
    result = pl.complete(flip(X, 0.1, seed=2))
    overlap = np.mean(result.X * X)
    # At load 0.5 the basin edge (m_IN* ~ 0.76 in the paper) is close to the
    # initial overlap 0.8 of 10% flips, so finite N=200 loses a little.
    assert overlap >= (0.99 if load == 0.2 else 0.98)
    if load == 0.2:
        hebb = HopfieldMemory(rule="hebb").fit(X)
        assert np.mean(np.all(hebb.transform(X) == X, axis=1)) < 0.5


def test_symmetric_fit_is_symmetric_and_stores_patterns():
    X = random_patterns(40, 100, seed=3)
    est = PseudoLikelihoodMemory(alpha=1e-3, symmetric=True).fit(X)
    assert_allclose(est.coupling_, est.coupling_.T)
    assert np.all(np.diag(est.coupling_) == 0)
    assert np.all(est.transform(X) == X)
    asym = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    assert not np.allclose(asym.coupling_, asym.coupling_.T)
    # the constrained optimum cannot be better than the unconstrained one
    assert est.loss_ >= asym.loss_ - 1e-8


def test_fields_learn_a_biased_distribution():
    rng = np.random.default_rng(0)
    X = np.where(rng.random((2000, 5)) < 0.8, 1.0, -1.0)
    # couplings pinned near zero, fields free: field_i = atanh(<s_i>) / beta
    est = PseudoLikelihoodMemory(alpha=1e3, alpha_fields=0.0, fit_fields=True, beta=2.0,
                                 tol=1e-10).fit(X)
    assert_allclose(est.fields_, np.arctanh(X.mean(axis=0)) / 2.0, rtol=1e-3)
    assert np.abs(est.coupling_).max() < 1e-3
    no_fields = PseudoLikelihoodMemory(alpha=1e-4).fit(X)
    assert np.all(no_fields.fields_ == 0)


def test_n_jobs_gives_identical_couplings():
    X = random_patterns(60, 130, seed=4)
    one = PseudoLikelihoodMemory(alpha=1e-2, n_jobs=1).fit(X)
    two = PseudoLikelihoodMemory(alpha=1e-2, n_jobs=2).fit(X)
    assert np.array_equal(one.coupling_, two.coupling_)


def test_sample_weight_equals_repeated_rows():
    X = random_patterns(20, 40, seed=5)
    w = np.arange(20) % 3
    weighted = PseudoLikelihoodMemory(alpha=1e-2, tol=1e-9, max_iter=500).fit(X, sample_weight=w)
    repeated = PseudoLikelihoodMemory(alpha=1e-2, tol=1e-9, max_iter=500).fit(np.repeat(X, w, axis=0))
    assert_allclose(weighted.coupling_, repeated.coupling_, atol=1e-6)


def test_float32_fit_keeps_dtype_and_agrees_with_float64():
    X = random_patterns(50, 60, seed=6)
    f64 = PseudoLikelihoodMemory(alpha=1e-2).fit(X)
    f32 = PseudoLikelihoodMemory(alpha=1e-2).fit(X.astype(np.float32))
    assert f32.coupling_.dtype == np.float32 and f64.coupling_.dtype == np.float64
    assert f32.transform(X.astype(np.float32)).dtype == np.float32
    assert_allclose(f32.coupling_, f64.coupling_, atol=1e-4)


def test_float32_fit_with_unreachable_tol_stops_at_precision_floor():
    # float32 evaluations cannot resolve tol=1e-12: the fit must stop once the
    # objective no longer decreases, near the float64 optimum, say so, and not
    # run to max_iter
    X = random_patterns(60, 40, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ref = PseudoLikelihoodMemory(alpha=1e-2, tol=1e-12, max_iter=5000).fit(X)
    with pytest.warns(ConvergenceWarning, match="limit of its floating-point precision"):
        f32 = PseudoLikelihoodMemory(alpha=1e-2, tol=1e-12, max_iter=5000).fit(
            X.astype(np.float32))
    assert ref.n_iter_ < 1000 and f32.n_iter_ < 1000
    assert_allclose(f32.coupling_, ref.coupling_, atol=2e-5)


def test_line_search_failure_warns_about_precision(monkeypatch):
    import sklearn_plm._solvers as solvers
    from sklearn_plm._lbfgs import LBFGSResult

    def failing(fun, x0, **kwargs):
        f, g = fun(x0)
        return LBFGSResult(x=x0, fun=f, grad=g, nit=0, nfev=1, status=2,
                                   message="no lower f found")

    monkeypatch.setattr(solvers, "minimize_lbfgs", failing)
    X = random_patterns(20, 40, seed=6)
    with pytest.warns(ConvergenceWarning, match="limit of its floating-point precision"):
        PseudoLikelihoodMemory().fit(X)


def test_max_iter_reached_warns():
    X = random_patterns(50, 60, seed=6)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        PseudoLikelihoodMemory(alpha=0.0, max_iter=2).fit(X)


def test_missing_spin_in_fit_matches_literal_objective():
    rng = np.random.default_rng(7)
    X = rng.choice([-1.0, 1.0], size=(30, 6))
    X[rng.random(X.shape) < 0.15] = np.nan
    est = PseudoLikelihoodMemory(alpha=0.05, tol=1e-10, max_iter=1000).fit(X)
    J = est.coupling_
    base = literal_objective(J, np.zeros(6), X, 1.0, 0.05, 0.0)
    assert_allclose(est.loss_, base, rtol=1e-8)
    # optimum: no small perturbation of the literal objective does better
    for _ in range(3):
        d = rng.normal(size=J.shape) * 1e-3
        np.fill_diagonal(d, 0)
        assert literal_objective(J + d, np.zeros(6), X, 1.0, 0.05, 0.0) >= base - 1e-12


def test_verbose_prints_progress(capsys):
    X = random_patterns(20, 64, seed=8)
    PseudoLikelihoodMemory(verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "block 1/2" in out and "iterations" in out
    PseudoLikelihoodMemory(solver="gd", max_iter=20, verbose=1).fit(X)
    assert "epoch 20" in capsys.readouterr().out


def test_second_core_goes_to_blas_or_to_the_kernel_never_both(monkeypatch):
    # OpenMP and OpenBLAS threads spinning against each other made n_jobs=2
    # slower than n_jobs=1 on two cores: only the pool doing the work gets threads
    from sklearn_plm import PottsPseudoLikelihoodMemory
    from sklearn_plm._objective import IsingPseudoLikelihood
    from sklearn_plm._potts_objective import PottsPseudoLikelihood
    from sklearn_plm._solvers import thread_split

    seen = []
    for cls in (IsingPseudoLikelihood, PottsPseudoLikelihood):
        original = cls.value_grad

        def spy(self, coef, start, stop, n_threads=1, _original=original, **kwargs):
            seen.append((type(self).__name__, n_threads))
            return _original(self, coef, start, stop, n_threads, **kwargs)

        monkeypatch.setattr(cls, "value_grad", spy)
    X = random_patterns(80, 40, seed=1)
    PseudoLikelihoodMemory(symmetric=True, max_iter=3, n_jobs=2).fit(X)
    codes = np.random.default_rng(0).integers(0, 4, size=(80, 10)).astype(float)
    PottsPseudoLikelihoodMemory(max_iter=3, n_jobs=2).fit(codes)
    # the binary datafit runs its products on its own threads, BLAS on one (see _gemm)
    assert {t for name, t in seen if name == "IsingPseudoLikelihood"} == {2}
    assert {t for name, t in seen if name == "PottsPseudoLikelihood"} == {2}
    ising = IsingPseudoLikelihood()
    potts = PottsPseudoLikelihood(4)
    assert thread_split(ising, 2) == (1, 2) and thread_split(potts, 2) == (1, 2)
    assert thread_split(PottsPseudoLikelihood(4, method="onehot"), 3) == (3, 1)
    assert thread_split(potts, 1) == (1, 1)


# ------------------------------------- gradient descent: batches, schedule, guard


def _gd_patterns():
    return np.random.default_rng(0).choice([-1.0, 1.0], size=(60, 100))


def test_gd_divergence_is_caught_and_recovered():
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X = _gd_patterns()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gd = PseudoLikelihoodMemory(solver="gd", alpha=3, max_iter=100).fit(X)
    assert any(issubclass(w.category, ConvergenceWarning) and "diverged" in str(w.message)
               for w in caught)
    assert np.isfinite(gd.loss_) and np.all(np.isfinite(gd.coupling_))
    optimum = PseudoLikelihoodMemory(solver="lbfgs", alpha=3, tol=1e-8).fit(X)
    assert gd.loss_ == pytest.approx(optimum.loss_, rel=1e-6)


def test_gd_that_keeps_diverging_raises():
    with pytest.raises(FloatingPointError, match="smaller learning_rate"):
        PseudoLikelihoodMemory(solver="gd", alpha=3, learning_rate=1e7, max_iter=20).fit(
            _gd_patterns())


def test_gd_learning_rate_decay_is_per_epoch():
    X = _gd_patterns()
    decayed = PseudoLikelihoodMemory(solver="gd", alpha=0, learning_rate=2.0, tol=0,
                                     learning_rate_decay=0.5, max_iter=3).fit(X)
    chained = PseudoLikelihoodMemory(solver="gd", alpha=0, tol=0, max_iter=1, warm_start=True)
    for epoch in range(3):
        chained.set_params(learning_rate=2.0 * 0.5**epoch).fit(X)
    np.testing.assert_allclose(decayed.coupling_, chained.coupling_, rtol=1e-12, atol=1e-14)


def test_gd_minibatches_shuffle_and_converge():
    X = _gd_patterns()
    kwargs = dict(solver="gd", alpha=1e-1, tol=0, learning_rate=1.0)
    full = PseudoLikelihoodMemory(max_iter=5, **kwargs).fit(X)
    one_batch = PseudoLikelihoodMemory(max_iter=5, batch_size=60, **kwargs).fit(X)
    np.testing.assert_allclose(one_batch.coupling_, full.coupling_, rtol=1e-12)
    a = PseudoLikelihoodMemory(max_iter=5, batch_size=16, random_state=0, **kwargs).fit(X)
    b = PseudoLikelihoodMemory(max_iter=5, batch_size=16, random_state=0, **kwargs).fit(X)
    c = PseudoLikelihoodMemory(max_iter=5, batch_size=16, random_state=1, **kwargs).fit(X)
    np.testing.assert_array_equal(a.coupling_, b.coupling_)
    assert not np.allclose(a.coupling_, c.coupling_)
    assert not np.allclose(a.coupling_, full.coupling_)
    # with a decaying step, mini-batch descent reaches the optimum of the full objective
    sgd = PseudoLikelihoodMemory(max_iter=300, batch_size=16, random_state=0,
                                 learning_rate_decay=0.98, **kwargs).fit(X)
    optimum = PseudoLikelihoodMemory(alpha=1e-1, tol=1e-8).fit(X)
    assert np.abs(sgd.coupling_ - optimum.coupling_).max() < 3e-2 * np.abs(
        optimum.coupling_).max()


def test_default_tol_reaches_the_optimum_the_metrics_need():
    from sklearn_plm.metrics import stabilities

    X = np.random.default_rng(2).choice([-1.0, 1.0], size=(100, 100))
    default = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    optimum = PseudoLikelihoodMemory(alpha=1e-3, tol=1e-10, max_iter=5000).fit(X)
    J, J_opt = default.coupling_, optimum.coupling_
    assert np.linalg.norm(J - J_opt) / np.linalg.norm(J_opt) < 3e-3
    min_default = np.min(stabilities(default, X), axis=1)
    min_optimum = np.min(stabilities(optimum, X), axis=1)
    assert abs(min_default.mean() - min_optimum.mean()) < 1e-2 * abs(min_optimum.mean())
