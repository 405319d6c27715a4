import numpy as np

from sklearn_plm import PseudoLikelihoodMemory
from sklearn_plm._ties import TIE_RTOL, field_tolerance, site_tolerance, zero_temperature_sign


def test_tolerance_is_relative_to_the_row_scale():
    rng = np.random.default_rng(0)
    J = rng.normal(size=(5, 5))
    b = rng.normal(size=5)
    for dtype in (np.float32, np.float64):
        tol = field_tolerance(J.T.astype(dtype), b.astype(dtype))
        expected = TIE_RTOL[np.dtype(dtype)] * (np.linalg.norm(J, axis=1) + np.abs(b))
        np.testing.assert_allclose(tol, expected, rtol=1e-6)
        assert tol.dtype == dtype
    # rescaling J and b rescales the thresholds: ties do not depend on units
    np.testing.assert_allclose(field_tolerance(10 * J.T, 10 * b), 10 * field_tolerance(J.T, b))
    np.testing.assert_array_equal(site_tolerance(np.arange(6.0), 3), [2.0, 5.0])


def test_sign_keeps_the_spin_inside_the_tie_band():
    S = np.array([[1.0, -1.0, 1.0, -1.0]])
    H = np.array([[-1e-17, 1e-17, -1.0, 1.0]])
    np.testing.assert_array_equal(zero_temperature_sign(H, S, 1e-12), [[1, -1, -1, 1]])


def test_float32_recall_is_batch_independent():
    X = np.random.default_rng(1).choice([-1.0, 1.0], size=(40, 120)).astype(np.float32)
    memory = PseudoLikelihoodMemory(alpha=1e-2).fit(X)
    probes = np.where(np.random.default_rng(2).random(X.shape) < 0.2, -X, X)
    batch = memory.transform(probes)
    for k in range(0, 40, 8):
        np.testing.assert_array_equal(memory.transform(probes[k:k + 1])[0], batch[k])


def test_tolerance_is_the_same_bits_on_every_path():
    # the float32 C-contiguous kernel and the NumPy fallback (other types,
    # layouts) both give sqrt of numpy's float64 sum of squares
    rng = np.random.default_rng(3)
    J = rng.normal(size=(70, 70)) * 10.0 ** rng.integers(-4, 4, size=(70, 70))
    b = rng.normal(size=70)
    for JT in (np.ascontiguousarray(J.T, np.float32), J.T.astype(np.float32), J.T,
               np.ascontiguousarray(J.T)):
        for dtype in (np.float32, np.float64):
            bd = b.astype(dtype)
            scale = np.linalg.norm(np.asarray(JT, dtype=np.float64), axis=0)
            scale = scale + np.abs(bd.astype(np.float64))
            expected = (TIE_RTOL[np.dtype(dtype)] * scale).astype(dtype)
            np.testing.assert_array_equal(field_tolerance(JT, bd, dtype), expected)
