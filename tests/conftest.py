import numpy as np
import pytest
from threadpoolctl import threadpool_limits


def pytest_configure(config):
    # A complex value silently cast to real is a bug. numpy.exceptions is new in
    # numpy 1.25; older numpy has the class at the top level.
    name = "numpy.exceptions" if hasattr(np, "exceptions") else "numpy"
    config.addinivalue_line("filterwarnings", f"error::{name}.ComplexWarning")


@pytest.fixture(autouse=True, scope="session")
def _pin_blas_threads():
    # Shared 2-core machines: a starved second BLAS thread halves throughput.
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def random_patterns(n_samples, n_features, seed=0):
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_samples, n_features))


def flip(X, fraction, seed=0):
    """Flip exactly round(fraction * n_features) random spins in each row."""
    rng = np.random.default_rng(seed)
    X = X.copy()
    k = int(round(fraction * X.shape[1]))
    for row in X:
        idx = rng.choice(X.shape[1], size=k, replace=False)
        row[idx] *= -1
    return X


def gibbs_ising(J, n_samples, n_sweeps, seed=0):
    """Slow, literal Gibbs sampler: p(s_i=+1 | rest) = sigmoid(2 h_i), h = J s.

    Runs ``n_samples`` independent chains in parallel (vectorized over chains).
    """
    rng = np.random.default_rng(seed)
    n = J.shape[0]
    S = rng.choice([-1.0, 1.0], size=(n_samples, n))
    for _ in range(n_sweeps):
        for i in range(n):
            h = S @ J[i]
            p = 1.0 / (1.0 + np.exp(-2.0 * h))
            S[:, i] = np.where(rng.random(n_samples) < p, 1.0, -1.0)
    return S
