import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory
from sklearn_plm._recall import run_recall

from conftest import flip, random_patterns


def python_async_reference(S, free, J, b, max_sweeps, seed):
    """Literal sequential sweeps with the kernel's xorshift64* site orders."""
    mask = (1 << 64) - 1

    def nxt(state):
        x = state
        x ^= x >> 12
        x ^= (x << 25) & mask
        x ^= x >> 27
        return x, (x * 2685821657736338717) & mask

    S = S.copy()
    n_samples, n = S.shape
    n_iter = np.zeros(n_samples, int)
    converged = np.zeros(n_samples, bool)
    for mu in range(n_samples):
        state = seed | 1
        order = list(range(n))
        for sweep in range(max_sweeps):
            for k in range(n - 1, 0, -1):
                state, r = nxt(state)
                j = r % (k + 1)
                order[k], order[j] = order[j], order[k]
            flips = 0
            for i in order:
                if not free[mu, i]:
                    continue
                h = J[i] @ S[mu] + b[i]
                new = 1.0 if h > 0 else (-1.0 if h < 0 else S[mu, i])
                if new != S[mu, i]:
                    S[mu, i] = new
                    flips += 1
            n_iter[mu] = sweep + 1
            if flips == 0:
                converged[mu] = True
                break
    S[S == 0] = -1
    return S, n_iter, converged


def python_sync_reference(S, free, J, b, max_steps):
    S = S.copy()
    for _ in range(max_steps):
        H = S @ J.T + b
        new = np.where(free, np.where(H > 0, 1.0, np.where(H < 0, -1.0, S)), S)
        if np.array_equal(new, S):
            break
        S = new
    S[S == 0] = -1
    return S


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_async_kernel_matches_python_reference(dtype):
    rng = np.random.default_rng(0)
    n = 12
    J = rng.normal(size=(n, n))
    np.fill_diagonal(J, 0)
    b = rng.normal(scale=0.1, size=n)
    S = rng.choice([-1.0, 0.0, 1.0], size=(7, n))
    free = rng.random(S.shape) < 0.8
    for seed in [1, 12345]:
        ref = python_async_reference(S, free, J, b, 5, seed)
        got = run_recall(S.astype(dtype), free, J.astype(dtype), b.astype(dtype), "async", 5,
                         seed=seed, n_threads=2)
        assert_array_equal(got[0], ref[0])
        assert_array_equal(got[1], ref[1])
        assert_array_equal(got[2], ref[2])


def test_sync_matches_python_reference_with_clamping_and_unknowns():
    rng = np.random.default_rng(1)
    n = 30
    J = rng.normal(size=(n, n))
    J = J + J.T
    np.fill_diagonal(J, 0)
    b = np.zeros(n)
    S = rng.choice([-1.0, 0.0, 1.0], size=(20, n))
    free = rng.random(S.shape) < 0.7
    got, n_iter, converged = run_recall(S.copy(), free, J, b, "sync", 50)
    assert_array_equal(got, python_sync_reference(S, free, J, b, 50))
    assert np.all(n_iter >= 1)
    assert np.all(got[~free & (S != 0)] == S[~free & (S != 0)])


def test_sync_and_async_agree_on_fixed_points():
    X = random_patterns(40, 200, seed=2)
    sync = PseudoLikelihoodMemory(alpha=1e-3).fit(X)
    asyn = PseudoLikelihoodMemory(alpha=1e-3, recall="async", random_state=0).fit(X)
    noisy = flip(X, 0.1, seed=3)
    rs, ra = sync.complete(noisy), asyn.complete(noisy)
    assert rs.converged.all() and ra.converged.all()
    assert_array_equal(rs.X, X)
    assert_array_equal(ra.X, X)
    # a fixed point of one dynamics is a fixed point of the other
    assert_array_equal(sync.transform(ra.X), ra.X)
    assert_array_equal(asyn.transform(rs.X), rs.X)
    assert np.all(asyn.complete(X).n_iter == 1)


def test_async_is_deterministic_given_random_state_and_row_independent():
    X = random_patterns(30, 100, seed=4)
    est = HopfieldMemory(recall="async", random_state=3).fit(X)
    noisy = flip(X, 0.3, seed=5)
    full = est.transform(noisy)
    assert_array_equal(full, est.transform(noisy))
    assert_array_equal(full[5:9], est.transform(noisy[5:9]))
    one = HopfieldMemory(recall="async", random_state=3, n_jobs=1).fit(X).transform(noisy)
    assert_array_equal(full, one)


def test_tie_keeps_current_spin_and_isolated_unknown_becomes_minus_one():
    # Site 2 is coupled to nothing: its field is always exactly 0.
    X = np.array([[1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]])
    est = HopfieldMemory().fit(X)
    est.coupling_[:] = 0
    est.coupling_[0, 1] = est.coupling_[1, 0] = 1.0
    assert_array_equal(est.transform([[1, -1, 1.0]]), [[1, -1, 1.0]])  # ties everywhere: keep
    assert_array_equal(est.transform([[np.nan, 1, np.nan]]), [[1, 1, -1.0]])


def test_nan_completion_and_clamp():
    X = random_patterns(10, 100, seed=6)
    est = PseudoLikelihoodMemory(alpha=1e-3, clamp=True).fit(X)
    half = X.copy()
    half[:, 50:] = np.nan
    assert_array_equal(est.transform(half), X)
    wrong = flip(X, 0.05, seed=7)
    wrong[:, 60:] = np.nan
    out = est.transform(wrong)
    # clamped: the corrupted known entries stay as given
    assert_array_equal(out[:, :60], wrong[:, :60])
    est.set_params(clamp=False)
    assert_array_equal(est.transform(wrong), X)


def test_encoding_01_in_01_out():
    X = random_patterns(10, 64, seed=8)
    X01 = (X + 1) / 2
    est = PseudoLikelihoodMemory(alpha=1e-3).fit(X01)
    assert est.encoding_ == "01"
    out = est.transform(flip(X, 0.05, seed=9) * 0.5 + 0.5)
    assert set(np.unique(out)) <= {0.0, 1.0}
    assert_array_equal(out, X01)


def test_max_recall_iter_reports_non_convergence():
    rng = np.random.default_rng(10)
    J = rng.normal(size=(50, 50))
    J = J - J.T  # antisymmetric couplings cycle under parallel updates
    S = rng.choice([-1.0, 1.0], size=(20, 50))
    _, n_iter, converged = run_recall(S, np.ones(S.shape, bool), J, np.zeros(50), "sync", 7)
    assert not converged.all()
    assert n_iter.max() == 7


@pytest.mark.parametrize("method", ["sync", "async"])
def test_recall_split_across_threads_equals_one_thread(method):
    # 300 rows with n_threads=3: three parts of 100 rows, each in its own thread
    X = random_patterns(60, 120, seed=11)
    J = PseudoLikelihoodMemory(alpha=1e-2).fit(X).coupling_
    S = flip(np.repeat(X, 5, axis=0), 0.2, seed=12)
    S[::7, ::5] = 0.0  # unknown spins too
    free = np.ones(S.shape, dtype=bool)
    b = np.zeros(120)
    one = run_recall(S.copy(), free, J, b, method, 30, seed=5, n_threads=1)
    three = run_recall(S.copy(), free, J, b, method, 30, seed=5, n_threads=3)
    for a, c in zip(one, three):
        assert_array_equal(a, c)
    # not a trivial case: rows took several steps, and some reached a fixed point
    assert one[1].max() > 2 and one[2].any()
