"""Gibbs samplers: distributions against exact enumeration, seeding, validation."""

import itertools

import numpy as np
import pytest

from sklearn_plm._potts import PottsPseudoLikelihoodMemory
from sklearn_plm._sampling import gibbs_ising, gibbs_potts


def symmetric_potts(N, q, strength=0.8, seed=0):
    rng = np.random.default_rng(seed)
    J = strength * rng.normal(size=(N, N, q, q))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(N), np.arange(N)] = 0.0
    return J, 0.5 * rng.normal(size=(N, q))


def potts_boltzmann(J, h, beta):
    """Exact p(x) ~ exp(beta (sum_i h_i(x_i) + sum_{i<j} J[i, j, x_i, x_j]))."""
    N, q = h.shape
    states = np.array(list(itertools.product(range(q), repeat=N)))
    logp = np.zeros(len(states))
    for k, x in enumerate(states):
        logp[k] = sum(h[i, x[i]] for i in range(N)) + sum(
            J[i, j, x[i], x[j]] for i in range(N) for j in range(i + 1, N))
    p = np.exp(beta * (logp - logp.max()))
    return states, p / p.sum()


def empirical(samples, states):
    index = {tuple(s): k for k, s in enumerate(states)}
    counts = np.zeros(len(states))
    for row in samples.astype(int):
        counts[index[tuple(row)]] += 1
    return counts / len(samples)


def assert_matches(freq, p, n, n_sigma=5.0):
    # binomial noise per state; the bound is loose enough for mildly correlated chains
    sigma = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(freq - p) <= n_sigma * sigma + 2e-3), np.abs(freq - p).max()


@pytest.mark.parametrize("n_chains, burn_in, n_sweeps", [(None, 20, 1), (40, 50, 3)])
def test_potts_sampler_matches_enumeration(n_chains, burn_in, n_sweeps):
    J, h = symmetric_potts(3, 3)
    states, p = potts_boltzmann(J, h, beta=1.3)
    n = 30000
    X = gibbs_potts(J, h, n, beta=1.3, burn_in=burn_in, n_sweeps=n_sweeps, n_chains=n_chains,
                    random_state=0, n_threads=2)
    assert X.dtype == np.int32 and X.shape == (n, 3)
    assert_matches(empirical(X, states), p, n)


def test_ising_sampler_matches_enumeration():
    rng = np.random.default_rng(1)
    N, beta = 4, 0.7
    J = rng.normal(size=(N, N))
    J = 0.5 * (J + J.T)
    np.fill_diagonal(J, 0.0)
    b = 0.4 * rng.normal(size=N)
    states = np.array(list(itertools.product([-1, 1], repeat=N)))
    logp = beta * (0.5 * np.einsum("ki,ij,kj->k", states, J, states) + states @ b)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    n = 30000
    S = gibbs_ising(J, b, n, beta=beta, burn_in=20, random_state=0)
    assert set(np.unique(S)) == {-1.0, 1.0}
    assert_matches(empirical(S, states), p, n)


def _sweep_stationary(n_states_per_site, N, conditional):
    """Stationary law of one sweep (sites 0..N-1 in order) of an arbitrary chain."""
    states = np.array(list(itertools.product(range(n_states_per_site), repeat=N)))
    index = {tuple(s): k for k, s in enumerate(states)}
    T = np.eye(len(states))
    for i in range(N):
        K = np.zeros_like(T)
        for k, x in enumerate(states):
            probs = conditional(x, i)
            for a, pa in enumerate(probs):
                y = x.copy()
                y[i] = a
                K[k, index[tuple(y)]] += pa
        T = T @ K
    w, v = np.linalg.eig(T.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    return states, pi / pi.sum()


def test_asymmetric_ising_samples_the_sweep_chain():
    rng = np.random.default_rng(2)
    N = 3
    J = 1.5 * rng.normal(size=(N, N))
    np.fill_diagonal(J, 0.0)
    b = 0.3 * rng.normal(size=N)

    def conditional(x, i):
        s = 2 * x - 1
        h = b[i] + J[i] @ s - J[i, i] * s[i]
        up = 1 / (1 + np.exp(-2 * h))
        return [1 - up, up]

    states, pi = _sweep_stationary(2, N, conditional)
    n = 30000
    S = gibbs_ising(J, b, n, burn_in=30, random_state=3)
    assert_matches(empirical((S + 1) / 2, states), pi, n)


def test_asymmetric_potts_samples_the_sweep_chain():
    rng = np.random.default_rng(4)
    N, q = 2, 3
    J = 1.5 * rng.normal(size=(N, N, q, q))
    J[np.arange(N), np.arange(N)] = 0.0
    h = 0.3 * rng.normal(size=(N, q))

    def conditional(x, i):
        z = h[i] + sum(J[i, j, :, x[j]] for j in range(N) if j != i)
        e = np.exp(z - z.max())
        return e / e.sum()

    states, pi = _sweep_stationary(q, N, conditional)
    n = 30000
    X = gibbs_potts(J, h, n, burn_in=30, random_state=5)
    assert_matches(empirical(X, states), pi, n)


def test_seeding_and_thread_independence():
    J, h = symmetric_potts(5, 4)
    a = gibbs_potts(J, h, 200, n_chains=7, burn_in=5, random_state=0, n_threads=1)
    b = gibbs_potts(J, h, 200, n_chains=7, burn_in=5, random_state=0, n_threads=2)
    np.testing.assert_array_equal(a, b)
    c = gibbs_potts(J, h, 200, n_chains=7, burn_in=5, random_state=1)
    assert not np.array_equal(a, c)
    Ji = J[:, :, 0, 0]
    np.testing.assert_array_equal(
        gibbs_ising(Ji, None, 50, random_state=0, n_threads=1),
        gibbs_ising(Ji, None, 50, random_state=0, n_threads=2))


def test_zero_temperature_limit_and_zero_beta():
    # beta = 0: every state equally likely
    J, h = symmetric_potts(2, 3, strength=5.0)
    X = gibbs_potts(J, h, 9000, beta=0.0, burn_in=1, random_state=0)
    np.testing.assert_allclose(np.bincount(X[:, 0], minlength=3) / 9000, 1 / 3, atol=0.03)


def test_estimator_sample_matches_its_boltzmann_distribution():
    rng = np.random.default_rng(6)
    X = rng.integers(0, 3, size=(40, 3)).astype(float)
    X[:, 1] = X[:, 0]  # a strong coupling to learn
    memory = PottsPseudoLikelihoodMemory(alpha=0.05, symmetric=True, beta=1.0).fit(X)
    for temperature in (1.0, 2.0):
        states, p = potts_boltzmann(memory.coupling_, memory.fields_, beta=1.0 / temperature)
        # the energy method agrees with the enumeration
        E = memory.energy(states.astype(float))
        q = np.exp(-(E - E.min()) / temperature)
        np.testing.assert_allclose(q / q.sum(), p, rtol=1e-8)
        n = 30000
        samples = memory.sample(n, temperature=temperature, burn_in=20, random_state=7)
        assert_matches(empirical(samples, states), p, n)


def test_bad_parameters_raise():
    J, h = symmetric_potts(3, 2)
    with pytest.raises(ValueError, match="n_sites, n_sites, n_states, n_states"):
        gibbs_potts(J[0], h, 5)
    with pytest.raises(ValueError, match=r"h must have shape \(3, 2\)"):
        gibbs_potts(J, h[:2], 5)
    with pytest.raises(ValueError, match="NaN or infinity"):
        gibbs_potts(np.where(J > 0, np.nan, J), h, 5)
    with pytest.raises(ValueError, match="square"):
        gibbs_ising(np.zeros((3, 2)), None, 5)
    with pytest.raises(ValueError, match=r"b must have shape \(3,\)"):
        gibbs_ising(np.zeros((3, 3)), np.zeros(2), 5)
    with pytest.raises(ValueError, match="n_samples"):
        gibbs_ising(np.zeros((3, 3)), None, 0)


def test_chunked_sweeps_give_the_same_samples(monkeypatch):
    import sklearn_plm._sampling as sampling

    J, h = symmetric_potts(4, 3)
    Ji = J[:, :, 0, 0]
    args = dict(n_chains=3, burn_in=7, n_sweeps=3, random_state=2)
    a, pa = gibbs_ising(Ji, None, 10, **args), gibbs_potts(J, h, 10, **args)
    monkeypatch.setattr(sampling, "_WORK_PER_CALL", 1)  # one chain and one sweep per call
    np.testing.assert_array_equal(gibbs_ising(Ji, None, 10, **args), a)
    np.testing.assert_array_equal(gibbs_potts(J, h, 10, **args), pa)


@pytest.mark.parametrize("potts", [False, True])
@pytest.mark.slow
def test_ctrl_c_during_long_sampling_stops_promptly(potts):
    import time

    from test_reliability import _interrupt_after

    rng = np.random.default_rng(0)
    if potts:
        memory = PottsPseudoLikelihoodMemory(max_iter=2).fit(rng.integers(0, 4, (50, 100)))
    else:
        from sklearn_plm import PseudoLikelihoodMemory
        memory = PseudoLikelihoodMemory(max_iter=2).fit(rng.choice([-1.0, 1.0], (50, 400)))
    t0 = time.perf_counter()
    # hours of work in one compiled call before the sweeps were chunked
    with pytest.raises(KeyboardInterrupt), _interrupt_after(0.3):
        memory.sample(20000, burn_in=2000)
    assert time.perf_counter() - t0 < 3.0
