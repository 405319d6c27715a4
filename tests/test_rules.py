"""Classical learning rules against literal reference implementations."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_plm import _rules
from sklearn_plm._rules import hebb, perceptron, pseudo_inverse, stabilities, storkey


def _spins(rng, n_samples, n_features, p_unknown=0.0):
    p = [(1 - p_unknown) / 2, p_unknown, (1 - p_unknown) / 2]
    return rng.choice([-1.0, 0.0, 1.0], p=p, size=(n_samples, n_features))


def _hebb_literal(S, w):
    P, N = S.shape
    J = np.zeros((N, N))
    for i in range(N):
        for j in range(N):
            if i != j:
                J[i, j] = sum(w[mu] * S[mu, i] * S[mu, j] for mu in range(P)) / N
    return J


def _storkey_literal(S, repeats):
    """Storkey (1997) written out entry by entry."""
    P, N = S.shape
    W = np.zeros((N, N))
    for mu in range(P):
        for _ in range(int(repeats[mu])):
            x = S[mu]
            new = W.copy()
            for i in range(N):
                for j in range(N):
                    if i == j:
                        continue
                    others = [k for k in range(N) if k not in (i, j)]
                    h_ij = sum(W[i, k] * x[k] for k in others)
                    h_ji = sum(W[j, k] * x[k] for k in others)
                    new[i, j] += (x[i] * x[j] - x[i] * h_ji - h_ij * x[j]) / N
            W = new
    return W


def test_hebb_matches_literal():
    rng = np.random.default_rng(0)
    S = _spins(rng, 6, 9, p_unknown=0.1)
    w = rng.uniform(0.5, 2.0, size=6)
    assert_allclose(hebb(S, w), _hebb_literal(S, w), atol=1e-14)
    assert_allclose(hebb(S), _hebb_literal(S, np.ones(6)), atol=1e-14)


def test_pseudo_inverse_matches_literal_and_stores_every_pattern():
    rng = np.random.default_rng(1)
    P, N = 12, 40
    S = _spins(rng, P, N)
    J = pseudo_inverse(S)
    C = S @ S.T / N
    expected = S.T @ np.linalg.inv(C) @ S / N
    np.fill_diagonal(expected, 0.0)
    assert_allclose(J, expected, atol=1e-12)
    # the projector leaves the patterns fixed; removing its diagonal
    # (< 1 for P < N) shrinks the fields without flipping their sign
    assert_array_equal(np.sign(S @ J.T), S)


def test_pseudo_inverse_weights_only_select_patterns():
    rng = np.random.default_rng(2)
    S = _spins(rng, 10, 30)
    w = np.array([1.0, 0.0, 3.0, 0.5, 1.0, 0.0, 2.0, 1.0, 1.0, 7.0])
    assert_allclose(pseudo_inverse(S, w), pseudo_inverse(S[w > 0]), atol=1e-12)
    # duplicated patterns do not change the projector
    assert_allclose(pseudo_inverse(np.vstack([S, S[:3]])), pseudo_inverse(S), atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_storkey_matches_literal(dtype):
    rng = np.random.default_rng(3)
    S = _spins(rng, 7, 10, p_unknown=0.1)
    repeats = np.array([1, 2, 0, 1, 3, 1, 1])
    J = storkey(S.astype(dtype), repeats)
    assert J.dtype == np.float64
    assert_allclose(J, _storkey_literal(S, repeats), rtol=1e-12, atol=1e-14)
    assert_array_equal(np.diag(J), 0.0)
    assert_array_equal(J, J.T)


def test_storkey_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(4)
    S = _spins(rng, 8, 25)
    w = np.array([0, 2, 1, 3, 0, 1, 4, 1])
    assert_allclose(storkey(S, w), storkey(np.repeat(S, w, axis=0)), rtol=1e-13, atol=1e-15)
    # float weights that are whole numbers are accepted
    assert_array_equal(storkey(S, w.astype(float)), storkey(S, w))
    # the rule is sequential: the order of the patterns matters
    assert not np.allclose(storkey(S), storkey(S[::-1]))


@pytest.mark.parametrize("bad", [0.5, -1.0, np.nan])
def test_storkey_rejects_non_integer_weights(bad):
    S = np.ones((3, 4))
    with pytest.raises(ValueError, match="non-negative integer weights"):
        storkey(S, np.array([1.0, bad, 1.0]))


def test_storkey_threads_give_the_same_couplings():
    # 256 sites is the smallest size at which two threads are actually used
    rng = np.random.default_rng(5)
    S = _spins(rng, 6, 256)
    assert_array_equal(storkey(S, n_threads=2), storkey(S, n_threads=1))


def test_storkey_read_only_input():
    S = _spins(np.random.default_rng(6), 4, 8)
    S.setflags(write=False)
    assert np.isfinite(storkey(S)).all()


def _gardner_step_literal(J, S, w, kappa):
    """One batch Gardner step, row by row and pattern by pattern."""
    P, N = S.shape
    new = J.copy()
    for i in range(N):
        norm = np.sqrt(sum(J[i, j] ** 2 for j in range(N) if j != i))
        for mu in range(P):
            h = sum(J[i, j] * S[mu, j] for j in range(N) if j != i)
            if S[mu, i] != 0 and S[mu, i] * h / norm <= kappa:
                for j in range(N):
                    if j != i:
                        new[i, j] += w[mu] * S[mu, i] * S[mu, j] / N
    return new


def test_gardner_first_step_matches_literal():
    rng = np.random.default_rng(7)
    S = _spins(rng, 12, 10, p_unknown=0.1)
    w = rng.uniform(0.5, 2.0, size=12)
    J, n_iter, converged = perceptron(S, w, margin=0.8, max_iter=1)
    assert n_iter == 1 and not converged
    assert_allclose(J, _gardner_step_literal(hebb(S, w), S, w, 0.8), atol=1e-13)


def test_gardner_converges_below_capacity():
    rng = np.random.default_rng(8)
    N = 200
    S = _spins(rng, int(0.3 * N), N)
    J, n_iter, converged = perceptron(S, margin=0.5, max_iter=1000)
    assert converged
    assert 0 < n_iter < 1000
    assert stabilities(J, S).min() > 0.5
    assert_array_equal(np.diag(J), 0.0)


def test_gardner_does_not_converge_above_capacity():
    rng = np.random.default_rng(9)
    N = 60
    S = _spins(rng, int(2.5 * N), N)
    J, n_iter, converged = perceptron(S, margin=0.0, max_iter=100)
    assert not converged
    assert n_iter == 100
    assert stabilities(J, S).min() < 0


def test_gardner_unknown_spins_put_no_constraint_on_their_row():
    rng = np.random.default_rng(10)
    S = _spins(rng, 20, 60, p_unknown=0.2)
    J, _, converged = perceptron(S, margin=0.5)
    assert converged
    D = stabilities(J, S)
    assert D[S != 0].min() > 0.5
    assert_array_equal(D[S == 0], 0.0)


def test_gardner_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(11)
    S = _spins(rng, 30, 40)
    w = rng.integers(0, 4, size=30)
    J_w, it_w, conv_w = perceptron(S, w, margin=0.5)
    J_r, it_r, conv_r = perceptron(np.repeat(S, w, axis=0), margin=0.5)
    assert (it_w, conv_w) == (it_r, conv_r)
    assert_allclose(J_w, J_r, rtol=1e-10, atol=1e-12)


def test_perceptron_rejects_negative_weights():
    with pytest.raises(ValueError, match="non-negative"):
        perceptron(np.ones((2, 3)), np.array([1.0, -1.0]))


@pytest.fixture(scope="module")
def max_stability_alpha_04():
    rng = np.random.default_rng(12)
    N, P = 400, 160
    S = _spins(rng, P, N)
    J, n_iter, converged = perceptron(S, margin="max", tol=1e-6)
    return S, J, n_iter, converged


def test_max_stability_matches_a_reference_svm(max_stability_alpha_04):
    from sklearn.svm import LinearSVC

    S, J, n_iter, converged = max_stability_alpha_04
    assert converged and 0 < n_iter < 1000
    D = stabilities(J, S)
    for i in (0, 1):
        X, y = np.delete(S, i, axis=1), S[:, i]
        svm = LinearSVC(C=1e6, fit_intercept=False, loss="hinge", tol=1e-8, max_iter=100_000)
        coef = svm.fit(X, y).coef_.ravel()
        kappa_svm = (y * (X @ coef)).min() / np.linalg.norm(coef)
        assert_allclose(D[:, i].min(), kappa_svm, rtol=1e-4)
        # hard-margin scaling: smallest field-times-spin is 1, ||J_i|| = 1 / kappa
        assert_allclose((S[:, i] * (S @ J[i])).min(), 1.0, rtol=1e-4)


def test_max_stability_near_replica_kappa_max(max_stability_alpha_04):
    S, J, _, _ = max_stability_alpha_04
    per_row = stabilities(J, S).min(axis=0)
    # replica value kappa_max(0.4) = 1.242 (Gardner); rows fluctuate at N = 400
    assert abs(np.median(per_row) - 1.242) < 0.04
    # a delta peak at kappa_max holding a fraction Phi(kappa_max) = 0.893 of
    # the patterns (those whose Gaussian stability t would fall below it)
    D = stabilities(J, S)
    assert abs(np.mean(D <= per_row * (1 + 1e-3)) - 0.893) < 0.03


def test_max_stability_beats_a_fixed_margin(max_stability_alpha_04):
    S, J_max, _, _ = max_stability_alpha_04
    J_05, _, converged = perceptron(S, margin=0.5)
    assert converged
    kappa_max = stabilities(J_max, S).min(axis=0)
    kappa_05 = stabilities(J_05, S).min(axis=0)
    assert np.all(kappa_max >= kappa_05 * (1 - 1e-5))
    assert kappa_max.min() > kappa_05.min() + 0.3


def test_max_stability_weights_only_drop_patterns():
    rng = np.random.default_rng(13)
    S = _spins(rng, 20, 50)
    w = rng.integers(0, 4, size=20).astype(float)
    w[w > 0] += rng.uniform(0, 1, size=(w > 0).sum())
    kept = S[w > 0]
    options = dict(margin="max", tol=1e-10, max_iter=5000)
    J_w, _, conv_w = perceptron(S, w, **options)
    J_d, _, conv_d = perceptron(kept, **options)
    J_r, _, conv_r = perceptron(np.vstack([kept, kept[:4]]), **options)
    assert conv_w and conv_d and conv_r
    assert_allclose(J_w, J_d, rtol=1e-8, atol=1e-10)
    # a repeated pattern is the same constraint twice: same solution
    assert_allclose(J_r, J_d, rtol=1e-4, atol=1e-6)


def test_max_stability_unknown_spins():
    rng = np.random.default_rng(14)
    S = _spins(rng, 20, 60, p_unknown=0.2)
    J, _, converged = perceptron(S, margin="max")
    assert converged
    D = stabilities(J, S)
    assert D[S != 0].min() > 1.0
    assert_array_equal(D[S == 0], 0.0)


def test_max_stability_does_not_converge_above_capacity():
    rng = np.random.default_rng(15)
    S = _spins(rng, 75, 30)
    J, n_iter, converged = perceptron(S, margin="max", max_iter=200)
    assert not converged and n_iter == 200
    assert np.isfinite(J).all()


def test_storkey_in_chunks_is_bit_identical_to_one_pass(monkeypatch):
    S = np.random.default_rng(3).choice([-1.0, 1.0], size=(25, 40))
    S[2, :5] = 0.0  # unknown spins
    one_pass = _rules.storkey(S)
    monkeypatch.setattr(_rules, "_STORKEY_CHUNK_UPDATES", 3 * 40 * 40)  # chunks of 3
    assert_array_equal(_rules.storkey(S), one_pass)
    # and continuing from the couplings after a prefix gives the same
    half = _rules.storkey(S[:11])
    assert_array_equal(_rules.storkey(S[11:], coupling=half), one_pass)
