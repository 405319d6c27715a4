import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_plm._dynamics_dispatch import column_sumsq, sync_step
from sklearn_plm._ties import field_tolerance


def _cycling_network(n, dtype, seed):
    rng = np.random.default_rng(seed)
    J = rng.normal(size=(n, n))
    J = -(J + J.T)                  # symmetric and frustrated: many 2-cycles
    np.fill_diagonal(J, 0)
    return np.ascontiguousarray(J.T, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("max_sparse", [0, 5, 40])
def test_sync_step_flags_the_rows_back_at_their_state_of_two_steps_ago(dtype, max_sparse):
    n, n_samples = 40, 30
    JT = _cycling_network(n, dtype, seed=3)
    rng = np.random.default_rng(4)
    S = rng.choice([-1.0, 0.0, 1.0], size=(n_samples, n), p=[0.45, 0.1, 0.45]).astype(dtype)
    movable = (rng.random(S.shape) < 0.9).astype(np.uint8)
    tie = field_tolerance(JT, 0.0)
    H = S @ JT
    delta = np.zeros_like(S)
    rows = np.arange(0, n_samples, 2, dtype=np.intp)   # the odd rows are left alone
    n_flips = np.empty(rows.size, dtype=np.int32)
    cycled = np.empty(rows.size, dtype=np.uint8)
    history = [S.copy()]
    n_cycled = 0
    for step in range(12):
        sync_step(S, H, JT, movable, rows, max_sparse, n_flips, delta, step > 0, cycled, 1, tie)
        # a row with more than max_sparse flips has stale fields, for the caller
        stale = rows[n_flips > max_sparse]
        H[stale] = S[stale] @ JT
        assert_array_equal(S[1::2], history[0][1::2])
        assert_allclose(H, S @ JT, atol=1e-4 if dtype == np.float32 else 1e-10)
        assert_array_equal(n_flips, np.sum(S[rows] != history[-1][rows], axis=1))
        assert_array_equal(delta[rows], S[rows] - history[-1][rows])
        back = (np.all(S[rows] == history[-2][rows], axis=1) if step > 0
                else np.zeros(rows.size, bool))
        assert_array_equal(cycled.view(bool), back)
        n_cycled += back.sum()
        history.append(S.copy())
    assert n_cycled > 0   # the check was exercised


def test_sync_step_never_flags_a_step_that_set_an_unknown_spin():
    # one self-inhibiting spin with a field: 0 -> +1 -> -1 -> +1 -> -1 flips
    # at every step, but the state of two steps ago is back only from the
    # third step on, since a spin never returns to 0
    JT = np.array([[-1.0]])
    S = np.array([[0.0], [1.0]])
    H = S @ JT + 0.5
    rows = np.arange(2, dtype=np.intp)
    delta = np.zeros_like(S)
    n_flips = np.empty(2, dtype=np.int32)
    cycled = np.empty(2, dtype=np.uint8)
    states, flags = [], []
    for step in range(4):
        sync_step(S, H, JT, np.ones(S.shape, np.uint8), rows, 1, n_flips, delta, step > 0,
                  cycled, 1, np.zeros(1))
        states.append(S[:, 0].tolist())
        flags.append(cycled.tolist())
    assert_array_equal(states, [[1, -1], [-1, 1], [1, -1], [-1, 1]])
    assert_array_equal(flags, [[0, 0], [0, 1], [1, 1], [1, 1]])


@pytest.mark.parametrize("shape", [(0, 3), (1, 5), (7, 1), (257, 33)])
def test_column_sumsq_is_numpys_reduction_bit_for_bit(shape):
    rng = np.random.default_rng(5)
    A = (rng.normal(size=shape) * 10.0 ** rng.integers(-6, 6, size=shape)).astype(np.float32)
    out = np.empty(shape[1])
    column_sumsq(A, out)
    A64 = A.astype(np.float64)
    assert_array_equal(out, np.add.reduce(A64 * A64, axis=0))
    assert_array_equal(np.sqrt(out), np.linalg.norm(A64, axis=0))
