import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory
from sklearn_plm._recall import RecallOptions, complete_spins

from conftest import flip, random_patterns


def run_recall(S, free, J, b, method, max_iter, seed=0, n_threads=1):
    """Zero-temperature recall of spins through the table of dynamics."""
    options = RecallOptions(method, max_iter=max_iter, seed=seed, n_threads=n_threads)
    return complete_spins(S, free, J, b, 1.0, options)


def _tie(J, b, dtype=np.float64):
    # the rule of sklearn_plm._ties, written out: |h_i| <= rtol (||J_i|| + |b_i|)
    rtol = 1e-5 if np.dtype(dtype) == np.float32 else 1e-10
    return rtol * (np.linalg.norm(J, axis=1) + np.abs(b))


def _zero_temperature(h, s, tol):
    return 1.0 if h > tol else (-1.0 if h < -tol else s)


def python_async_reference(S, free, J, b, max_sweeps, seed, dtype=np.float64):
    """Literal sequential sweeps with the kernel's xorshift64* site orders."""
    mask = (1 << 64) - 1
    tie = _tie(J, b, dtype)

    def nxt(state):
        x = state
        x ^= x >> 12
        x ^= (x << 25) & mask
        x ^= x >> 27
        return x, (x * 2685821657736338717) & mask

    def sweeps(s, mu, budget):
        state = seed | 1
        order = list(range(n))
        for sweep in range(budget):
            for k in range(n - 1, 0, -1):
                state, r = nxt(state)
                j = r % (k + 1)
                order[k], order[j] = order[j], order[k]
            flips = 0
            for i in order:
                if not free[mu, i]:
                    continue
                new = _zero_temperature(J[i] @ s + b[i], s[i], tie[i])
                if new != s[i]:
                    s[i] = new
                    flips += 1
            if flips == 0:
                return sweep + 1, True
        return budget, False

    S = S.copy()
    n_samples, n = S.shape
    n_iter = np.zeros(n_samples, int)
    converged = np.zeros(n_samples, bool)
    for mu in range(n_samples):
        n_iter[mu], converged[mu] = sweeps(S[mu], mu, max_sweeps)
        if np.any(S[mu] == 0):  # unknown spins left: set to -1, recall goes on
            S[mu][S[mu] == 0] = -1
            more, converged[mu] = sweeps(S[mu], mu, max_sweeps - n_iter[mu])
            n_iter[mu] += more
    return S, n_iter, converged


def python_sync_reference(S, free, J, b, max_steps, dtype=np.float64):
    """Synchronous steps until a fixed point or a 2-cycle; leftover unknowns continue at -1."""
    tie = _tie(J, b, dtype)

    def steps(s, f, budget):
        prev = None
        for t in range(budget):
            h = J @ s + b
            new = np.where(f & (np.abs(h) > tie), np.where(h > 0, 1.0, -1.0), s)
            if np.array_equal(new, s):
                return new, t + 1, True
            if prev is not None and np.array_equal(new, prev):
                return new, t + 1, False
            prev, s = s, new
        return s, budget, False

    out = S.copy()
    n_iter = np.zeros(len(S), int)
    converged = np.zeros(len(S), bool)
    for mu in range(len(S)):
        s, n_iter[mu], converged[mu] = steps(S[mu], free[mu], max_steps)
        if np.any(s == 0):
            s = np.where(s == 0, -1.0, s)
            converged[mu] = False
            if n_iter[mu] < max_steps:
                s, more, converged[mu] = steps(s, free[mu], max_steps - n_iter[mu])
                n_iter[mu] += more
        out[mu] = s
    return out, n_iter, converged


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
        ref = python_async_reference(S, free, J, b, 5, seed, dtype)
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
    ref, ref_iter, ref_converged = python_sync_reference(S, free, J, b, 50)
    assert_array_equal(got, ref)
    assert_array_equal(n_iter, ref_iter)
    assert_array_equal(converged, ref_converged)
    assert np.all(n_iter >= 1)
    assert np.all(got[~free & (S != 0)] == S[~free & (S != 0)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sync_matches_python_reference_on_cycling_networks(dtype, seed):
    # frustrated couplings (many 2-cycles), integer ones for exact ties, fields,
    # unknown and clamped spins, rows finishing at different steps
    rng = np.random.default_rng(seed)
    n = 25
    J = rng.normal(size=(n, n))
    J = -(J + J.T)
    if seed == 1:
        J = np.round(J)
    np.fill_diagonal(J, 0)
    b = rng.normal(scale=0.5, size=n) if seed == 2 else np.zeros(n)
    S = rng.choice([-1.0, 0.0, 1.0], size=(40, n), p=[0.45, 0.1, 0.45])
    free = rng.random(S.shape) < 0.9
    for max_steps in (3, 4, 30, 31):
        got = run_recall(S.astype(dtype), free, J.astype(dtype), b.astype(dtype), "sync",
                         max_steps)
        ref = python_sync_reference(S, free, J.astype(dtype).astype(float),
                                    b.astype(dtype).astype(float), max_steps, dtype)
        for g, r in zip(got, ref):
            assert_array_equal(g, r)
    assert (~ref[2] & (ref[1] < 31)).any()   # some rows stopped at a 2-cycle


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


# ------------------------------------------- ties, cycles, unknown rows


def test_recall_of_a_row_does_not_depend_on_its_batch():
    # Hebb couplings at N = 180, P = 20 give many fields that are 0 in exact
    # arithmetic and +/-1e-17 in floats, with signs that depend on the batch
    X = random_patterns(20, 180, seed=1)
    probes = random_patterns(300, 180, seed=101)
    for recall in ("sync", "async"):
        memory = HopfieldMemory(rule="hebb", recall=recall, random_state=0).fit(X)
        batch = memory.complete(probes)
        for k in range(0, len(probes), 10):
            one = memory.complete(probes[k:k + 1])
            assert_array_equal(one.X[0], batch.X[k])
            assert one.n_iter[0] == batch.n_iter[k]


def test_sync_recall_stops_at_two_cycles():
    J = np.array([[0.0, -1.0], [-1.0, 0.0]])     # antiferromagnetic pair
    S = np.array([[1.0, 1.0], [1.0, -1.0]])       # a 2-cycle and a fixed point
    results = [run_recall(S.copy(), np.ones(S.shape, bool), J, np.zeros(2), "sync", n)
               for n in (10, 11)]
    for got, n_iter, converged in results:
        assert_array_equal(converged, [False, True])
        assert_array_equal(n_iter, [2, 1])         # stopped when the start came back
    assert_array_equal(results[0][0], results[1][0])   # not the parity of max_recall_iter


def test_sync_recall_cycles_on_a_larger_network():
    rng = np.random.default_rng(4)
    n = 60
    J = rng.normal(size=(n, n))
    J = -(J + J.T)                                   # symmetric: only fixed points and 2-cycles
    np.fill_diagonal(J, 0)
    S = rng.choice([-1.0, 1.0], size=(40, n))
    got, n_iter, converged = run_recall(S.copy(), np.ones(S.shape, bool), J, np.zeros(n),
                                        "sync", 1000)
    assert (~converged).any() and n_iter.max() < 1000
    H = got @ J.T
    fixed = np.all(np.where(np.abs(H) > 0, np.sign(H), got) == got, axis=1)
    assert_array_equal(fixed, converged)


def test_unknown_row_is_converged_only_at_a_fixed_point():
    X = random_patterns(10, 50, seed=1)
    memory = HopfieldMemory(rule="hebb").fit(X)     # no fields: an all-unknown row has h = 0
    result = memory.complete(np.full((2, 50), np.nan))
    H = result.X @ memory.coupling_.T
    fixed = np.all(np.where(np.abs(H) > 1e-9, np.sign(H), result.X) == result.X, axis=1)
    assert_array_equal(result.converged, fixed)
    assert result.converged.all() or (result.n_iter == memory.max_recall_iter).any()
