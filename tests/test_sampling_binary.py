import itertools

import numpy as np
import pytest

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory


def exact_distribution(J, b, beta):
    states = np.array(list(itertools.product([-1.0, 1.0], repeat=len(b))))
    logp = beta * (0.5 * np.einsum("ki,ij,kj->k", states, J, states) + states @ b)
    p = np.exp(logp - logp.max())
    return states, p / p.sum()


def test_sample_matches_exact_distribution_of_a_symmetric_fit():
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(60, 4))
    X[:, 1] = X[:, 0]  # a strong correlation to learn
    est = PseudoLikelihoodMemory(alpha=0.1, symmetric=True, fit_fields=True, beta=0.8,
                                 random_state=0).fit(X)
    S = est.sample(20000, burn_in=50)
    states, p = exact_distribution(est.coupling_, est.fields_, 0.8)
    idx = ((S + 1) / 2) @ (2 ** np.arange(4)[::-1])
    emp = np.bincount(idx.astype(int), minlength=16) / len(S)
    assert 0.5 * np.abs(emp - p).sum() < 0.02
    # hotter is more disordered
    hot = est.sample(5000, temperature=50.0, burn_in=20)
    assert abs(np.mean(hot[:, 0] * hot[:, 1])) < np.mean(S[:, 0] * S[:, 1])


def test_sample_encoding_determinism_and_errors():
    X01 = np.random.default_rng(1).integers(0, 2, size=(30, 8)).astype(float)
    est = HopfieldMemory(random_state=3).fit(X01)
    a = est.sample(10)
    assert set(np.unique(a)) <= {0.0, 1.0} and a.shape == (10, 8)
    np.testing.assert_array_equal(a, est.sample(10))
    with pytest.raises(ValueError, match="temperature"):
        est.sample(3, temperature=0.0)
