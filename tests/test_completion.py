"""Finite-temperature completion: marginals against exact enumeration, clamping, recall options."""

import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import DataConversionWarning

from sklearn_plm import HopfieldMemory, PottsPseudoLikelihoodMemory, PseudoLikelihoodMemory
from sklearn_plm._recall import (RecallOptions, code_marginals, free_sites, ising_samples,
                                 spin_marginals)

from conftest import flip, random_patterns
from test_sampling import potts_boltzmann, symmetric_potts


def ising_marginals(S, free, J, b, beta, method, **options):
    return spin_marginals(S, free, J, b, beta, RecallOptions(method, **options))


def potts_marginals(codes, free, J, h, beta, method, **options):
    return code_marginals(codes, free, J, h, beta, RecallOptions(method, **options))


def _symmetric_ising(N, strength, seed=0):
    rng = np.random.default_rng(seed)
    J = strength * rng.normal(size=(N, N))
    J = 0.5 * (J + J.T)
    np.fill_diagonal(J, 0.0)
    return J, 0.3 * rng.normal(size=N)


def _exact_ising_marginals(J, b, beta, row):
    """P(s_i = +1 | the known entries of row) under p(s) ~ exp(beta (s.J.s/2 + b.s))."""
    N = len(b)
    states = np.array(list(itertools.product([-1.0, 1.0], repeat=N)))
    known = row != 0
    states = states[np.all(states[:, known] == row[known], axis=1)]
    logp = beta * (0.5 * np.einsum("ki,ij,kj->k", states, J, states) + states @ b)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    return p @ (states > 0)


def _conditioned_potts_marginals(J, h, beta, row):
    states, p = potts_boltzmann(J, h, beta)
    known = row >= 0
    keep = np.all(states[:, known] == row[known], axis=1)
    states, p = states[keep], p[keep] / p[keep].sum()
    q = h.shape[1]
    return np.stack([[p[states[:, i] == a].sum() for a in range(q)] for i in range(len(row))])


def test_clamped_gibbs_matches_exact_ising_marginals():
    J, b = _symmetric_ising(7, strength=0.6)
    S = np.array([[1.0, 0, 0, -1, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]])
    S_before = S.copy()
    P, n_iter, converged = ising_marginals(S, S == 0, J, b, 1.3, "gibbs", burn_in=50,
                                           n_sweeps=20000, seed=1)
    assert_array_equal(S, S_before)  # the chains run on a copy
    for row, p in zip(S, P):
        assert_allclose(p, _exact_ising_marginals(J, b, 1.3, row), atol=0.015)
    assert_array_equal(P[0, [0, 3]], [1.0, 0.0])  # held entries are certain
    assert np.all(n_iter == 20050) and converged.all()


def test_mean_field_is_exact_without_couplings_and_close_for_weak_ones():
    b = np.array([0.5, -1.0, 0.0, 2.0])
    S = np.zeros((1, 4))
    P, _, converged = ising_marginals(S, S == 0, np.zeros((4, 4)), b, 1.0, "mean-field")
    assert_allclose(P[0], 1 / (1 + np.exp(-2 * b)), atol=1e-4)
    assert converged.all()
    J, b = _symmetric_ising(7, strength=0.08, seed=2)
    S = np.array([[1.0, 0, 0, -1, 0, 0, 0]])
    P, _, _ = ising_marginals(S, S == 0, J, b, 1.0, "mean-field")
    assert_allclose(P[0], _exact_ising_marginals(J, b, 1.0, S[0]), atol=0.01)


def test_clamped_gibbs_and_mean_field_match_exact_potts_marginals():
    J, h = symmetric_potts(5, 3, strength=0.5, seed=1)
    codes = np.array([[2, -1, -1, 0, -1], [-1, -1, -1, -1, -1]], dtype=np.int32)
    P, _, _ = potts_marginals(codes, codes < 0, J, h, 1.0, "gibbs", burn_in=50,
                              n_sweeps=20000, seed=3)
    for row, p in zip(codes, P):
        assert_allclose(p, _conditioned_potts_marginals(J, h, 1.0, row), atol=0.015)
    assert_allclose(P.sum(axis=2), 1.0)
    assert_array_equal(P[0, 0], [0, 0, 1])
    # weak couplings: mean-field is close
    J, h = symmetric_potts(5, 3, strength=0.05, seed=2)
    M, _, converged = potts_marginals(codes[:1], codes[:1] < 0, J, h, 1.0, "mean-field")
    assert converged.all()
    assert_allclose(M[0], _conditioned_potts_marginals(J, h, 1.0, codes[0]), atol=0.01)


def test_free_sites_auto_holds_known_entries_of_incomplete_rows_only():
    unknown = np.array([[True, False, False], [False, False, False]])
    assert_array_equal(free_sites(unknown, "auto"), [[True, False, False], [True, True, True]])
    assert_array_equal(free_sites(unknown, True), unknown)
    assert free_sites(unknown, False).all()


def test_default_clamp_completes_masked_rows_and_still_denoises_complete_rows():
    X = random_patterns(20, 100, seed=0)
    memory = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    assert memory.clamp == "auto"
    noisy = flip(X[:5], 0.1, seed=1)
    assert_array_equal(memory.transform(noisy), X[:5])  # denoising: every entry may move
    # a wrong observed entry next to unknown ones is kept: completion never changes it
    masked = noisy.copy()
    masked[:, :30] = np.nan
    out = memory.transform(masked)
    known = ~np.isnan(masked)
    assert_array_equal(out[known], masked[known])
    memory.set_params(clamp=False)
    assert not np.array_equal(memory.transform(masked)[known], masked[known])


@pytest.mark.parametrize("recall", ["mean-field", "gibbs"])
@pytest.mark.parametrize("cls", [PseudoLikelihoodMemory, HopfieldMemory])
def test_finite_temperature_recall_completes_binary_rows(cls, recall):
    X = random_patterns(5, 80, seed=3)
    params = {"alpha": 1e-3} if cls is PseudoLikelihoodMemory else {}
    memory = cls(recall=recall, random_state=0, **params).fit(X)
    masked = X.copy()
    masked[:, ::3] = np.nan
    result = memory.complete(masked)
    assert_array_equal(result.X, X)
    P = memory.predict_proba(masked)
    assert P.shape == X.shape and np.all((P >= 0) & (P <= 1))
    assert_array_equal(P > 0.5, X > 0)
    assert_array_equal(P[~np.isnan(masked)], (X > 0)[~np.isnan(masked)])


def test_predict_proba_is_in_the_fit_encoding_and_deterministic():
    rng = np.random.default_rng(0)
    X = (rng.random((300, 6)) < 0.3).astype(float)
    X[:, 1] = X[:, 0]
    memory = PseudoLikelihoodMemory(fit_fields=True, recall="gibbs", random_state=4).fit(X)
    probe = X[:20].copy()
    probe[:, 1] = np.nan
    P = memory.predict_proba(probe)
    assert_array_equal(P, memory.predict_proba(probe))
    # a row's marginals do not depend on the other rows of the batch
    assert_array_equal(P[3:7], memory.predict_proba(probe[3:7]))
    assert np.all(np.abs(P[:, 1] - X[:20, 0]) < 0.1)
    assert set(np.unique(memory.transform(probe))) <= {0.0, 1.0}


@pytest.mark.parametrize("recall", ["mean-field", "gibbs"])
def test_potts_finite_temperature_recall(recall):
    rng = np.random.default_rng(1)
    X = rng.integers(0, 3, size=(600, 4)).astype(float)
    X[:, 2] = X[:, 0]
    memory = PottsPseudoLikelihoodMemory(alpha=1e-3, recall=recall, random_state=0).fit(X)
    probe = X[:30].copy()
    probe[:, 2] = np.nan
    P = memory.predict_proba(probe)
    assert P.shape == (30, 4, 3)
    assert_allclose(P.sum(axis=2), 1.0)
    assert_array_equal(P[:, 2].argmax(axis=1), X[:30, 0])
    result = memory.complete(probe)
    assert_array_equal(result.X, X[:30])


def test_binary_estimators_warn_on_non_binary_input_and_name_binarizer():
    X = np.random.default_rng(0).integers(0, 17, size=(30, 8)).astype(float)
    with pytest.warns(DataConversionWarning, match="Binarizer"):
        memory = PseudoLikelihoodMemory().fit(X)
    with pytest.warns(DataConversionWarning, match="PseudoLikelihoodMemory"):
        memory.transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PseudoLikelihoodMemory().fit((X > 7).astype(float))
        HopfieldMemory().fit(np.where(X > 7, 1.0, -1.0))
        memory.transform(np.where(X > 7, 1.0, np.nan))


def test_gibbs_params_are_validated():
    X = random_patterns(5, 10)
    with pytest.raises(ValueError, match="n_sweeps"):
        PseudoLikelihoodMemory(recall="gibbs", n_sweeps=0).fit(X)
    with pytest.raises(ValueError, match="clamp"):
        PseudoLikelihoodMemory(clamp="yes").fit(X)


def test_clamped_samples_keep_held_entries_and_follow_the_marginals():
    J, b = _symmetric_ising(6, strength=0.5, seed=4)
    S = np.array([[1.0, 0, 0, -1, 0, 0]])
    draws = ising_samples(S, S == 0, J, b, 1.0, 4000, RecallOptions(burn_in=30, seed=2))
    assert draws.shape == (4000, 6) and set(np.unique(draws)) == {-1.0, 1.0}
    assert np.all(draws[:, 0] == 1) and np.all(draws[:, 3] == -1)
    assert_allclose(np.mean(draws > 0, axis=0), _exact_ising_marginals(J, b, 1.0, S[0]),
                    atol=0.03)
