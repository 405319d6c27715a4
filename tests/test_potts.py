"""Potts pseudo-likelihood memory: objective, optimum, recall, scoring, contract."""

import re
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.utils import check_random_state

from sklearn_plm._penalties import L2Penalty
from sklearn_plm._potts import PottsPseudoLikelihoodMemory
from sklearn_plm._potts_layout import coef_to_params, params_to_coef
from sklearn_plm._potts_objective import PottsPseudoLikelihood

# ---------------------------------------------------------------- references


def reference_local_fields(X, J, h):
    """Literal ``H[mu, i, a] = h[i, a] + sum_{j != i, x_j known} J[i, j, a, x_j]``."""
    P, N = X.shape
    H = np.zeros((P, N, h.shape[1]))
    for mu in range(P):
        for i in range(N):
            H[mu, i] = h[i]
            for j in range(N):
                if j != i and not np.isnan(X[mu, j]):
                    H[mu, i] += J[i, j, :, int(X[mu, j])]
    return H


def reference_pll(X, J, h, beta=1.0):
    """Literal pseudo-log-likelihood of each row, known sites only."""
    H = reference_local_fields(X, J, h)
    out = np.zeros(X.shape[0])
    for mu in range(X.shape[0]):
        for i in range(X.shape[1]):
            if not np.isnan(X[mu, i]):
                out[mu] += beta * H[mu, i, int(X[mu, i])] - logsumexp(beta * H[mu, i])
    return out


def reference_site_field(x, J, h, i):
    """Literal local fields of site i in one row (NaN entries add nothing)."""
    others = [j for j in range(len(x)) if j != i and not np.isnan(x[j])]
    return h[i] + sum((J[i, j, :, int(x[j])] for j in others), np.zeros(h.shape[1]))


def reference_argmax(H_row, current):
    """Largest field; a tie keeps the current state when it is among the maxima."""
    top = H_row.max()
    if current >= 0 and H_row[current] == top:
        return current
    return int(np.argmax(H_row))


def slow_gibbs_potts(J, h, n_chains, n_sweeps, seed=0):
    """Vectorized over chains, literal over sweeps and sites (symmetric J)."""
    rng = np.random.default_rng(seed)
    N, q = h.shape
    X = rng.integers(0, q, size=(n_chains, N))
    for _ in range(n_sweeps):
        for i in range(N):
            H = np.tile(h[i], (n_chains, 1))
            for j in range(N):
                if j != i:
                    H += J[i, j][:, X[:, j]].T
            p = np.exp(H - H.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            u = rng.random((n_chains, 1))
            X[:, i] = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), q - 1)
    return X


def planted_chain(N, q, strength=1.0, seed=0):
    """Symmetric Potts model with couplings on the chain i -- i+1 only."""
    rng = np.random.default_rng(seed)
    J = np.zeros((N, N, q, q))
    for i in range(N - 1):
        block = strength * rng.normal(size=(q, q))
        J[i, i + 1] = block
        J[i + 1, i] = block.T
    h = 0.3 * rng.normal(size=(N, q))
    return J, h


def zero_sum(J):
    return J - J.mean(2, keepdims=True) - J.mean(3, keepdims=True) + J.mean((2, 3), keepdims=True)


def random_codes(rng, shape, q, missing=0.0):
    X = rng.integers(0, q, size=shape).astype(np.float64)
    if missing:
        X[rng.random(shape) < missing] = np.nan
    return X


def random_coef(datafit, rng, scale=0.5):
    N, q = datafit.n_sites, datafit.n_states
    coef = scale * rng.normal(size=(N, datafit.n_params))
    W = coef.reshape(N, datafit.n_rows, q)
    for i in range(N):
        W[i, i * q:(i + 1) * q] = 0.0
    return coef


def codes_of(X):
    return np.where(np.isnan(X), -1, np.nan_to_num(X, nan=-1)).astype(np.int32)


# ----------------------------------------------------------------- objective


@pytest.mark.parametrize("fit_fields", [True, False])
@pytest.mark.parametrize("method", ["gather", "onehot"])
def test_datafit_matches_literal_objective(rng, fit_fields, method):
    N, q, P, beta = 5, 3, 40, 0.7
    X = random_codes(rng, (P, N), q, missing=0.15)
    w = rng.random(P) + 0.2
    datafit = PottsPseudoLikelihood(q, beta, fit_fields, method).initialize(codes_of(X), w)
    coef = random_coef(datafit, rng)
    J, h = coef_to_params(coef, N, q, fit_fields)
    expected = -np.sum(w * reference_pll(X, J, h, beta)) / w.sum()
    loss, _ = datafit.value_grad(coef, 0, N)
    assert loss == pytest.approx(expected, rel=1e-12)
    # blocks of sites add up to the whole
    parts = [datafit.value_grad(coef[a:b], a, b)[0] for a, b in [(0, 2), (2, 5)]]
    assert sum(parts) == pytest.approx(expected, rel=1e-12)


def test_param_layout_round_trip(rng):
    N, q = 4, 3
    J = rng.normal(size=(N, N, q, q))
    h = rng.normal(size=(N, q))
    J2, h2 = coef_to_params(params_to_coef(J, h, True), N, q, True)
    np.testing.assert_array_equal(J2, J)
    np.testing.assert_array_equal(h2, h)


@pytest.mark.parametrize("fit_fields", [True, False])
def test_gather_and_onehot_agree(rng, fit_fields):
    N, q, P = 7, 4, 60
    X = codes_of(random_codes(rng, (P, N), q, missing=0.1))
    w = rng.random(P)
    w[3] = 0.0
    a = PottsPseudoLikelihood(q, 1.3, fit_fields, "gather").initialize(X, w)
    b = PottsPseudoLikelihood(q, 1.3, fit_fields, "onehot").initialize(X, w)
    coef = random_coef(a, rng)
    for start, stop in [(0, N), (2, 5)]:
        la, ga = a.value_grad(coef[start:stop], start, stop, n_threads=2)
        lb, gb = b.value_grad(coef[start:stop], start, stop, n_threads=1)
        assert la == pytest.approx(lb, rel=1e-12)
        np.testing.assert_allclose(ga, gb, atol=1e-13)


@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-13), (np.float32, 2e-6)])
def test_gather_over_many_tiles_agrees_with_onehot(rng, dtype, atol):
    # more than FLUSH (8) tiles of 128 samples, a column that is mostly
    # missing (its reference state is "missing"), a constant column (no
    # entries at all) and a column whose reference is not state 0
    N, q, P = 8, 5, 1500
    X = codes_of(random_codes(rng, (P, N), q, missing=0.05))
    X[rng.random(P) < 0.7, 0] = -1
    X[:, 1] = 2
    X[rng.random(P) < 0.6, 3] = 4
    w = rng.random(P)
    w[:10] = 0.0
    a = PottsPseudoLikelihood(q, 0.9, True, "gather").initialize(X, w, dtype)
    b = PottsPseudoLikelihood(q, 0.9, True, "onehot").initialize(X, w, np.float64)
    assert a.n_samples > 8 * 128
    assert a._ref.tolist()[:2] == [q, 2] and a._ref[3] == 4
    coef = random_coef(a, rng)
    for start, stop in [(0, N), (1, 4)]:
        la, ga = a.value_grad(coef[start:stop], start, stop, n_threads=2)
        lb, gb = b.value_grad(coef[start:stop], start, stop, n_threads=1)
        assert la == pytest.approx(lb, rel=10 * atol)
        np.testing.assert_allclose(ga, gb, atol=atol)


def test_repeated_rows_are_merged_with_summed_weights(rng):
    N, q = 5, 3
    base = codes_of(random_codes(rng, (30, N), q, missing=0.1))
    X = base[rng.integers(0, 30, size=200)]
    w = rng.random(200)
    w[:5] = 0.0
    datafit = PottsPseudoLikelihood(q, 1.1, True).initialize(X, w)
    kept = np.unique(X[w > 0], axis=0)
    assert datafit.n_samples == len(kept)
    coef = random_coef(datafit, rng)
    J, h = coef_to_params(coef, N, q, True)
    Xf = np.where(X < 0, np.nan, X).astype(np.float64)
    expected = -np.sum(w * reference_pll(Xf, J, h, 1.1)) / w.sum()
    assert datafit.value_grad(coef, 0, N)[0] == pytest.approx(expected, rel=1e-12)


def _directional_fd(f, coef, direction, eps):
    return (f(coef + eps * direction) - f(coef - eps * direction)) / (2 * eps)


@pytest.mark.parametrize("dtype, eps, rtol", [(np.float64, 1e-6, 1e-6), (np.float32, 1e-3, 2e-3)])
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("fit_fields", [True, False])
def test_gradient_matches_finite_differences(rng, dtype, eps, rtol, symmetric, fit_fields):
    N, q, P = 5, 3, 50
    X = codes_of(random_codes(rng, (P, N), q, missing=0.1))
    w = rng.random(P) + 0.5
    datafit = PottsPseudoLikelihood(q, 1.2, fit_fields).initialize(X, w, dtype)
    penalty = L2Penalty(0.3, 0.1, N * q * q)
    coef = random_coef(datafit, rng)
    project = datafit.symmetrize if symmetric else (lambda c: c)
    coef = project(coef.copy())

    def f(c):
        c = project(c.copy())
        return datafit.value_grad(c, 0, N)[0] + penalty.value(c)

    _, grad = datafit.value_grad(coef, 0, N)
    penalty.add_grad(coef, grad)
    grad = project(grad)
    for _ in range(4):
        direction = rng.normal(size=coef.shape)
        for i in range(N):  # the diagonal blocks are not parameters
            direction.reshape(N, -1, q)[i, i * q:(i + 1) * q] = 0
        expected = _directional_fd(f, coef, direction, eps)
        assert np.vdot(grad, direction) == pytest.approx(expected, rel=rtol, abs=rtol)


def test_symmetrize_is_the_pair_transpose(rng):
    N, q = 4, 3
    datafit = PottsPseudoLikelihood(q).initialize(np.zeros((2, N), dtype=np.int32), np.ones(2))
    coef = rng.normal(size=(N, datafit.n_params))
    J, _ = coef_to_params(datafit.symmetrize(coef.copy()), N, q, True)
    np.testing.assert_allclose(J, J.transpose(1, 0, 3, 2))


# ------------------------------------------------------------------- optimum


def test_asymmetric_optimum_matches_per_site_logistic_regression():
    N, q, alpha = 4, 3, 0.05
    J0, h0 = planted_chain(N, q, strength=0.8, seed=1)
    X = slow_gibbs_potts(J0, h0, 300, 30, seed=1).astype(float)
    assert all(len(np.unique(X[:, i])) == q for i in range(N))
    P = X.shape[0]
    memory = PottsPseudoLikelihoodMemory(alpha=alpha, alpha_fields=0.0, tol=1e-9,
                                         max_iter=2000).fit(X)
    datafit = PottsPseudoLikelihood(q).initialize(codes_of(X), np.ones(P))
    penalty = L2Penalty(alpha, 0.0, N * q * q)

    def site_objective(i, row):
        return datafit.value_grad(row[None], i, i + 1)[0] + penalty.value(row[None])

    # the gauge picked by the penalty (see the Notes of the estimator)
    np.testing.assert_allclose(memory.coupling_.sum(axis=2), 0, atol=1e-6)
    ours = params_to_coef(memory.coupling_, memory.fields_, True)
    onehot = np.eye(q)[X.astype(int)]  # (P, N, q)
    for i in range(N):
        others = [j for j in range(N) if j != i]
        features = onehot[:, others].reshape(P, -1)
        # sklearn: C * sum(loss) + ||W||^2 / 2, ours: mean(loss) + alpha ||W||^2 / 2
        lr = LogisticRegression(C=1.0 / (alpha * P), tol=1e-10, max_iter=10000)
        lr.fit(features, X[:, i].astype(int))
        J = np.zeros((N, N, q, q))
        J[i, others] = lr.coef_.reshape(q, N - 1, q).transpose(1, 0, 2)
        h = np.zeros((N, q))
        h[i] = lr.intercept_
        theirs = params_to_coef(J, h, True)[i]
        assert site_objective(i, ours[i]) == pytest.approx(site_objective(i, theirs), abs=1e-6)
        # the penalty fixes the gauge of the couplings, so they agree too
        np.testing.assert_allclose(memory.coupling_[i, others], J[i, others], atol=1e-3)


def test_planted_model_recovery_improves_with_samples():
    N, q = 8, 3
    J0, h0 = planted_chain(N, q, strength=1.0, seed=2)
    target = zero_sum(J0)
    errors = []
    for P in (300, 3000):
        X = slow_gibbs_potts(J0, h0, P, 40, seed=P).astype(float)
        memory = PottsPseudoLikelihoodMemory(alpha=1e-3, tol=1e-6, max_iter=500).fit(X)
        J = memory.coupling_
        estimate = zero_sum(0.5 * (J + J.transpose(1, 0, 3, 2)))
        errors.append(np.linalg.norm(estimate - target) / np.linalg.norm(target))
    # about 1 / sqrt(P) (0.83 -> 0.24 here)
    assert errors[1] < 0.4 * errors[0]
    assert errors[1] < 0.3
    # the strongest pairs of the contact map are the planted chain
    scores = memory.contact_map(apc=False)
    top = np.argsort(scores[np.triu_indices(N, 1)])[::-1][: N - 1]
    pairs = {tuple(p) for p in np.array(np.triu_indices(N, 1)).T[top]}
    assert pairs == {(i, i + 1) for i in range(N - 1)}


def test_symmetric_fit_is_symmetric_and_matches_joint_objective(rng):
    X = random_codes(rng, (60, 6), 3)
    memory = PottsPseudoLikelihoodMemory(alpha=0.05, symmetric=True, tol=1e-8,
                                         max_iter=1000).fit(X)
    J = memory.coupling_
    np.testing.assert_allclose(J, J.transpose(1, 0, 3, 2), atol=1e-12)
    assert np.all(J[np.arange(6), np.arange(6)] == 0)
    # stationarity of the constrained problem: the projected gradient vanishes
    datafit = PottsPseudoLikelihood(3).initialize(codes_of(X), np.ones(60))
    coef = params_to_coef(J, memory.fields_, True)
    _, grad = datafit.value_grad(coef, 0, 6)
    L2Penalty(0.05, 0.05, 6 * 9).add_grad(coef, grad)
    assert np.abs(datafit.symmetrize(grad)).max() < 1e-6


def test_sample_weight_equals_repetition(rng):
    X = random_codes(rng, (20, 5), 3)
    sw = rng.integers(0, 3, size=20)
    a = PottsPseudoLikelihoodMemory(alpha=0.1, tol=1e-9).fit(X, sample_weight=sw)
    b = PottsPseudoLikelihoodMemory(alpha=0.1, tol=1e-9).fit(np.repeat(X, sw, axis=0))
    np.testing.assert_allclose(a.coupling_, b.coupling_, atol=1e-6)
    np.testing.assert_allclose(a.fields_, b.fields_, atol=1e-6)


def test_n_states_auto_and_fixed(rng):
    X = random_codes(rng, (20, 4), 3)
    assert PottsPseudoLikelihoodMemory().fit(X).coupling_.shape == (4, 4, 3, 3)
    memory = PottsPseudoLikelihoodMemory(n_states=5).fit(X)
    assert memory.n_states_ == 5 and memory.fields_.shape == (4, 5)
    # unseen states get low fields, so they are never recalled
    assert np.all(memory.fields_[:, 3:] < memory.fields_[:, :3].min(axis=1, keepdims=True))
    with pytest.raises(ValueError, match="n_states=2"):
        PottsPseudoLikelihoodMemory(n_states=2).fit(X)


def test_float32_fit_preserves_dtype(rng):
    X = random_codes(rng, (30, 6), 4)
    m64 = PottsPseudoLikelihoodMemory(alpha=0.1, tol=1e-7).fit(X)
    m32 = PottsPseudoLikelihoodMemory(alpha=0.1).fit(X.astype(np.float32))
    assert m32.coupling_.dtype == np.float32 and m32.fields_.dtype == np.float32
    assert m32.transform(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(m32.coupling_, m64.coupling_, atol=1e-3)


def test_warm_start_resumes(rng):
    X = random_codes(rng, (40, 6), 3)
    memory = PottsPseudoLikelihoodMemory(alpha=0.05, tol=1e-7, warm_start=True).fit(X)
    first = memory.n_iter_
    memory.fit(X)
    assert memory.n_iter_ < first / 2


def test_fit_does_not_depend_on_n_jobs(rng):
    X = random_codes(rng, (40, 70), 3, missing=0.05)  # 70 sites: two site blocks
    for symmetric in (False, True):
        params = dict(alpha=0.1, symmetric=symmetric, max_iter=30)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = PottsPseudoLikelihoodMemory(n_jobs=1, **params).fit(X)
            b = PottsPseudoLikelihoodMemory(n_jobs=2, **params).fit(X)
        if symmetric:
            # the joint problem lets BLAS use n_jobs threads for the penalty's
            # dot products, whose summation order then changes the last bits
            np.testing.assert_allclose(a.coupling_, b.coupling_, rtol=1e-9, atol=1e-12)
        else:
            np.testing.assert_array_equal(a.coupling_, b.coupling_)


def test_gradient_descent_solver_decreases_loss(rng):
    X = random_codes(rng, (30, 5), 3)
    short = PottsPseudoLikelihoodMemory(solver="gd", max_iter=5, learning_rate=0.5).fit(X)
    long = PottsPseudoLikelihoodMemory(solver="gd", max_iter=100, learning_rate=0.5).fit(X)
    assert long.loss_ < short.loss_


# -------------------------------------------------------------------- recall


def _fitted(rng, P=20, N=30, q=4, **params):
    X = random_codes(rng, (P, N), q)
    return PottsPseudoLikelihoodMemory(alpha=1e-3, **params).fit(X), X


def test_sync_recall_matches_literal_dynamics(rng):
    memory, X = _fitted(rng, clamp=False)  # every site moves, the known ones too
    start = random_codes(rng, (15, 30), 4, missing=0.2)
    J, h = memory.coupling_, memory.fields_
    expected = []
    for row in start:
        x, previous = row.copy(), None
        for _ in range(memory.max_recall_iter):
            cur = np.where(np.isnan(x), -1, np.nan_to_num(x)).astype(int)
            new = np.array([reference_argmax(reference_site_field(x, J, h, i), cur[i])
                            for i in range(len(x))], float)
            if np.array_equal(new, x):
                break
            if previous is not None and np.array_equal(new, previous):
                x = new  # a 2-cycle: recall stops there
                break
            previous, x = x, new
        expected.append(x)
    np.testing.assert_array_equal(memory.transform(start), np.array(expected))


def _xorshift(state):
    mask = 2**64 - 1
    x = state
    x ^= x >> 12
    x ^= (x << 25) & mask
    x ^= x >> 27
    return x, (x * 2685821657736338717) & mask


def test_async_recall_matches_literal_dynamics(rng):
    memory, X = _fitted(rng, recall="async", random_state=3, clamp=False)
    start = random_codes(rng, (10, 30), 4, missing=0.2)
    J, h = memory.coupling_, memory.fields_
    seed = check_random_state(3).randint(1, np.iinfo(np.int32).max)
    N = X.shape[1]
    expected = []
    for row in start:
        x = row.copy()
        state, order = seed | 1, list(range(N))
        for _ in range(memory.max_recall_iter):
            for k in range(N - 1, 0, -1):
                state, r = _xorshift(state)
                j = r % (k + 1)
                order[k], order[j] = order[j], order[k]
            changes = 0
            for i in order:
                H = reference_site_field(x, J, h, i)
                cur = -1 if np.isnan(x[i]) else int(x[i])
                new = reference_argmax(H, cur)
                if new != cur:
                    x[i] = new
                    changes += 1
            if changes == 0:
                break
        expected.append(x)
    result = memory.complete(start)
    np.testing.assert_array_equal(result.X, np.array(expected))
    assert result.converged.all()


def test_sync_and_async_agree_on_fixed_points(rng):
    memory, X = _fitted(rng, P=15, N=40)
    noisy = X.copy()
    noisy[rng.random(X.shape) < 0.3] = np.nan
    for first, second in [("sync", "async"), ("async", "sync")]:
        fixed = memory.set_params(recall=first).complete(noisy)
        assert fixed.converged.all()
        again = memory.set_params(recall=second).complete(fixed.X)
        np.testing.assert_array_equal(again.X, fixed.X)
        assert np.all(again.n_iter == 1) and again.converged.all()
    # stored patterns are fixed points of both dynamics
    for recall in ("sync", "async"):
        result = memory.set_params(recall=recall).complete(X)
        np.testing.assert_array_equal(result.X, X)


def test_recall_repairs_corrupted_patterns(rng):
    memory, X = _fitted(rng, P=10, N=40)
    noisy = X.copy()
    mask = rng.random(X.shape) < 0.1
    noisy[mask] = (noisy[mask] + 1) % 4
    for recall in ("sync", "async"):
        assert np.mean(memory.set_params(recall=recall).transform(noisy) == X) == 1.0


def test_clamp_keeps_known_entries(rng):
    memory, X = _fitted(rng, clamp=True)
    start = random_codes(rng, (10, 30), 4, missing=0.5)
    known = ~np.isnan(start)
    for recall in ("sync", "async"):
        out = memory.set_params(recall=recall).transform(start)
        np.testing.assert_array_equal(out[known], start[known])
        assert not np.isnan(out).any()


def test_async_rows_do_not_depend_on_each_other(rng):
    memory, X = _fitted(rng, recall="async", random_state=0, n_jobs=2)
    start = random_codes(rng, (12, 30), 4, missing=0.3)
    whole = memory.transform(start)
    np.testing.assert_array_equal(memory.transform(start[5:6]), whole[5:6])
    np.testing.assert_array_equal(memory.transform(start[::-1]), whole[::-1])


# ------------------------------------------------------------------- scoring


def test_score_samples_matches_literal_pll(rng):
    memory, X = _fitted(rng, P=15, N=8, q=3, beta=0.8)
    test = random_codes(rng, (10, 8), 3, missing=0.2)
    expected = reference_pll(test, memory.coupling_, memory.fields_, beta=0.8)
    np.testing.assert_allclose(memory.score_samples(test), expected, rtol=1e-10)
    assert memory.score(test) == pytest.approx(expected.mean())
    np.testing.assert_allclose(memory.local_fields(test),
                               reference_local_fields(test, memory.coupling_, memory.fields_))


def test_gridsearch_on_alpha(rng):
    J0, h0 = planted_chain(6, 3, seed=4)
    X = slow_gibbs_potts(J0, h0, 120, 20, seed=4).astype(float)
    search = GridSearchCV(PottsPseudoLikelihoodMemory(), {"alpha": [1e-4, 1e-2, 1.0]}, cv=3)
    search.fit(X)
    assert search.best_params_["alpha"] in (1e-4, 1e-2, 1.0)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_energy_differences_are_local_fields(rng):
    memory, X = _fitted(rng, P=10, N=6, q=3, symmetric=True)
    x = random_codes(rng, (1, 6), 3)
    H = memory.local_fields(x)[0]
    for i in range(6):
        variants = np.repeat(x, 3, axis=0)
        variants[:, i] = np.arange(3)
        E = memory.energy(variants)
        np.testing.assert_allclose(E - E[0], -(H[i] - H[i, 0]), atol=1e-10)


def test_zero_sum_gauge_keeps_conditionals(rng):
    memory, X = _fitted(rng, P=10, N=6, q=3)
    J, h = memory.zero_sum_gauge()
    np.testing.assert_allclose(J.sum(axis=2), 0, atol=1e-12)
    np.testing.assert_allclose(J.sum(axis=3), 0, atol=1e-12)
    np.testing.assert_allclose(h.sum(axis=1), 0, atol=1e-12)
    # complete rows only: a missing value adds nothing in the fitted gauge, which
    # is not the same as adding nothing in another gauge
    test = random_codes(rng, (8, 6), 3)
    np.testing.assert_allclose(reference_pll(test, J, h), memory.score_samples(test), rtol=1e-10)


def test_contact_map_shape_and_gap_exclusion(rng):
    memory, X = _fitted(rng, P=10, N=6, q=3)
    for apc in (True, False):
        for gauge in ("zero-sum", "raw"):
            F = memory.contact_map(apc=apc, gauge=gauge)
            # exactly: the two orders of a pair must rank alike
            np.testing.assert_array_equal(F, F.T)
            assert np.all(np.diag(F) == 0)
    raw = memory.contact_map(apc=False)
    no_gap = memory.contact_map(apc=False, ignore_states=[0])
    assert np.all(no_gap <= raw + 1e-12) and np.any(no_gap < raw)


def test_sample_is_seeded_and_uses_temperature(rng):
    memory, X = _fitted(rng, P=10, N=6, q=3, random_state=0)
    a = memory.sample(50, burn_in=10)
    np.testing.assert_array_equal(a, memory.sample(50, burn_in=10))
    assert a.shape == (50, 6) and a.dtype == np.float64
    assert set(np.unique(a)) <= {0.0, 1.0, 2.0}
    # a hot chain is closer to uniform than a cold one
    cold = memory.sample(400, temperature=0.5, burn_in=20, random_state=1)
    hot = memory.sample(400, temperature=50.0, burn_in=20, random_state=1)
    assert memory.score(cold) > memory.score(hot)
    with pytest.raises(ValueError, match="temperature"):
        memory.sample(5, temperature=0.0)


# --------------------------------------------------------------- bad inputs


def test_bad_inputs_raise_clear_errors(rng):
    memory, X = _fitted(rng, P=10, N=6, q=3)
    with pytest.raises(ValueError, match="state code 3.*n_states_=3"):
        memory.transform(np.full((1, 6), 3.0))
    with pytest.raises(ValueError, match="Negative values"):
        memory.transform(np.full((1, 6), -1.0))
    with pytest.raises(ValueError, match="Negative values"):
        PottsPseudoLikelihoodMemory().fit(X - 1)
    with pytest.raises(ValueError, match="infinity"):
        PottsPseudoLikelihoodMemory().fit(np.where(X == 0, np.inf, X))
    with pytest.raises(ValueError, match="every entry of X is NaN"):
        PottsPseudoLikelihoodMemory().fit(np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="features"):
        memory.transform(X[:, :4])
    with pytest.raises(ValueError, match="1 feature"):
        PottsPseudoLikelihoodMemory().fit(X[:, :1])


def test_non_integer_codes_warn_and_round(rng):
    X = random_codes(rng, (20, 5), 3)
    with pytest.warns(DataConversionWarning, match="non-integer values such as 1.2"):
        memory = PottsPseudoLikelihoodMemory().fit(np.where(X == 1, 1.2, X))
    reference = PottsPseudoLikelihoodMemory().fit(X)
    np.testing.assert_allclose(memory.coupling_, reference.coupling_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        memory.transform(X)  # integer codes stay silent


def test_convergence_warning(rng):
    X = random_codes(rng, (30, 5), 3)
    with pytest.warns(Warning, match="did not converge"):
        PottsPseudoLikelihoodMemory(max_iter=1).fit(X)


# ------------------------------------------------ plmc's penalties and scale


def plmc_objective(X, w, J, h, le, lh, lg):
    """plmc's objective, written from its formula (inference.c), for symmetric J:
    ``sum_s w_s NLPL_s + lh ||h||^2 + le sum_{i<j} ||e_ij||^2
    + lg sum_{i<j} sqrt(1e-3 + ||e_ij||^2)``."""
    N = X.shape[1]
    nlpl = -np.dot(w, reference_pll(X, J, h))
    iu, ju = np.triu_indices(N, k=1)
    sq = np.sum(J[iu, ju] ** 2, axis=(1, 2))
    return nlpl + lh * np.sum(h**2) + le * sq.sum() + lg * np.sqrt(1e-3 + sq).sum()


def test_penalty_scale_sum_is_mean_with_mapped_alphas(rng):
    X = random_codes(rng, (300, 6), 3)
    w = rng.random(300) + 0.5
    W = w.sum()
    le, lh, lg = 2.0, 0.5, 0.7
    params = dict(symmetric=True, tol=1e-9, max_iter=2000)
    s = PottsPseudoLikelihoodMemory(le, alpha_fields=lh, alpha_group=lg, penalty_scale="sum",
                                    **params).fit(X, sample_weight=w)
    m = PottsPseudoLikelihoodMemory(le / W, alpha_fields=2 * lh / W, alpha_group=lg / W,
                                    **params).fit(X, sample_weight=w)
    np.testing.assert_allclose(s.coupling_, m.coupling_, atol=1e-6)
    np.testing.assert_allclose(s.fields_, m.fields_, atol=1e-6)
    assert s.loss_ == pytest.approx(m.loss_, rel=1e-10)
    # loss_ * W is plmc's objective at the fitted parameters
    expected = plmc_objective(X, w, s.coupling_, s.fields_, le, lh, lg)
    assert s.loss_ * W == pytest.approx(expected, rel=1e-9)


def test_group_l1_gradient_matches_finite_differences(rng):
    from sklearn_plm._penalties import GroupL1Penalty

    N, q = 5, 3
    datafit = PottsPseudoLikelihood(q).initialize(np.zeros((2, N), dtype=np.int32), np.ones(2))
    penalty = GroupL1Penalty(0.8, N, q)
    coef = random_coef(datafit, rng)[1:4]  # a block of sites 1..3
    grad = penalty.add_grad(coef, np.zeros_like(coef), start=1)
    for k in range(3):  # diagonal blocks are not parameters: no gradient there
        assert not grad[k, (1 + k) * q * q:(2 + k) * q * q].any()
    direction = rng.normal(size=coef.shape)
    expected = _directional_fd(lambda c: penalty.value(c, 1), coef, direction, 1e-6)
    assert np.vdot(grad, direction) == pytest.approx(expected, rel=1e-6)


def test_group_l1_shrinks_weak_pairs_as_blocks(rng):
    J, h = planted_chain(8, 3, strength=1.5, seed=1)
    X = slow_gibbs_potts(J, h, n_chains=400, n_sweeps=30, seed=2).astype(float)
    plain = PottsPseudoLikelihoodMemory(1e-3, symmetric=True).fit(X)
    group = PottsPseudoLikelihoodMemory(1e-3, alpha_group=0.05, symmetric=True).fit(X)
    F0, F1 = plain.contact_map(apc=False), group.contact_map(apc=False)
    chain = np.eye(8, k=1, dtype=bool) | np.eye(8, k=-1, dtype=bool)
    off = ~np.eye(8, dtype=bool) & ~chain
    # non-neighbours shrink much more than the planted chain couplings
    assert F1[off].mean() / F0[off].mean() < 0.5 * (F1[chain].mean() / F0[chain].mean())
    assert F1[chain].min() > F1[off].max()


def test_lbfgs_starts_from_plmc_independent_site_fields(rng):
    X = random_codes(rng, (40, 5), 4, missing=0.2)
    w = rng.random(40) + 0.5
    beta = 1.5
    datafit = PottsPseudoLikelihood(4, beta).initialize(codes_of(X), w)
    _, h = coef_to_params(datafit.independent_site_coef(w.sum()), 5, 4, True)
    for i in range(5):
        known = ~np.isnan(X[:, i])
        f = np.array([w[known & (X[:, i] == a)].sum() for a in range(4)]) / w[known].sum()
        expected = np.log(f * w.sum() + 1.0) / beta
        np.testing.assert_allclose(h[i], expected - expected.mean())


@pytest.mark.parametrize("N, n_blocks", [(5, 1), (66, 1), (66, 4)])
def test_packed_symmetric_parameters_round_trip_and_gradient(rng, monkeypatch, N, n_blocks):
    from sklearn_plm import _potts_objective
    from sklearn_plm._potts_objective import PackedSymmetricPotts

    if n_blocks > 1:  # blocks of 16 sites, as for a large model
        monkeypatch.setattr(_potts_objective, "_BLOCK_BYTES", 0)
    q, P = 3, 60
    X = codes_of(random_codes(rng, (P, N), q, missing=0.1))
    w = rng.random(P) + 0.5
    full = PottsPseudoLikelihood(q, 1.3).initialize(X, w)
    packed = PackedSymmetricPotts(full)
    assert len(packed._blocks_of_sites) == n_blocks
    assert packed.n_params == N * (N - 1) // 2 * q * q + N * q
    coef = full.symmetrize(random_coef(full, rng))
    for i in range(N):
        coef.reshape(N, -1, q)[i, i * q:(i + 1) * q] = 0.0
    x = packed.pack(coef)
    np.testing.assert_array_equal(packed.unpack(x), coef)
    # same objective as the row layout; the gradient is that of f(unpack(x))
    est = PottsPseudoLikelihoodMemory(0.3, alpha_fields=0.2, alpha_group=0.1)
    pen_full, pen_packed = (est._penalty(1.0).bind(full.layout),
                            est._penalty(1.0).bind(packed.layout))
    f_full = full.value_grad(coef, 0, N)[0] + pen_full.value(coef)
    f, g = packed.value_grad(x)
    f += pen_packed.value(x)
    pen_packed.add_grad(x, g)
    assert f == pytest.approx(f_full, rel=1e-12)

    def obj(y):
        return packed.value_grad(y)[0] + pen_packed.value(y)

    for _ in range(3):
        direction = rng.normal(size=x.shape)
        assert np.vdot(g, direction) == pytest.approx(
            _directional_fd(obj, x, direction, 1e-6), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_symmetric_fit_matches_row_layout_gradient_descent_optimum(rng, dtype):
    # L-BFGS runs on the packed parameters; its optimum must be the one of the
    # row-layout objective, which the gradient-descent solver still uses
    X = random_codes(rng, (200, 5), 3).astype(dtype)
    lb = PottsPseudoLikelihoodMemory(0.05, symmetric=True, tol=1e-7, max_iter=500).fit(X)
    assert lb.coupling_.dtype == dtype
    gd = PottsPseudoLikelihoodMemory(0.05, symmetric=True, solver="gd", learning_rate=2.0,
                                     max_iter=3000, tol=1e-7).fit(X.astype(np.float64))
    atol = 1e-4 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose(lb.coupling_, gd.coupling_, atol=atol)
    assert lb.loss_ == pytest.approx(gd.loss_, rel=1e-6 if dtype == np.float64 else 1e-5)


@pytest.mark.parametrize("verbose, every", [(1, 10), (2, 1)])
def test_verbose_symmetric_fit_prints_progress(rng, capsys, verbose, every):
    X = random_codes(rng, (80, 6), 3)
    model = PottsPseudoLikelihoodMemory(0.01, symmetric=True, tol=1e-8, verbose=verbose).fit(X)
    iterations = [int(k) for k in re.findall(r"iteration (\d+): loss", capsys.readouterr().out)]
    assert model.n_iter_ >= 10
    assert iterations == list(range(every, model.n_iter_ + 1, every))
