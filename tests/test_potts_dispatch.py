import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

from sklearn_plm import _potts_dispatch
from sklearn_plm._potts_dispatch import _cpu_features, select_kernels
from sklearn_plm._potts_fast import potts_gather_value_grad as baseline_value_grad
from sklearn_plm._potts_objective import PackedSymmetricPotts, PottsPseudoLikelihood


def _avx2_module():
    if select_kernels(_cpu_features(), {}) != "_potts_fast_avx2":
        pytest.skip("the CPU lacks AVX2/FMA")
    try:
        return importlib.import_module("sklearn_plm._potts_fast_avx2")
    except ImportError:
        pytest.skip("the AVX2 build is absent on this platform")


def test_select_kernels():
    assert select_kernels({"AVX2": True, "FMA3": True}, {}) == "_potts_fast_avx2"
    assert select_kernels({"AVX2": True, "FMA3": True},
                          {"SKLEARN_PLM_NO_SIMD": "0"}) == "_potts_fast_avx2"
    assert select_kernels({"AVX2": True, "FMA3": True},
                          {"SKLEARN_PLM_NO_SIMD": "1"}) == "_potts_fast"
    assert select_kernels({"AVX2": False, "FMA3": True}, {}) == "_potts_fast"
    assert select_kernels({}, {}) == "_potts_fast"


def test_no_simd_env_forces_baseline():
    code = "from sklearn_plm._potts_dispatch import kernels; print(kernels.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "SKLEARN_PLM_NO_SIMD": "1"})
    assert out.stdout.strip() == "sklearn_plm._potts_fast"


def test_dispatch_uses_avx2_when_available():
    _avx2_module()
    assert _potts_dispatch.kernels.__name__ == "sklearn_plm._potts_fast_avx2"


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-6), (np.float64, 1e-12)])
def test_avx2_matches_baseline(dtype, rtol, monkeypatch):
    avx2 = _avx2_module()
    rng = np.random.default_rng(0)
    # q = 21 and 300 samples: vector bodies, remainders and more than two sample tiles
    codes = rng.integers(-1, 21, size=(300, 9)).astype(np.int32)
    d = PottsPseudoLikelihood(21).initialize(codes, rng.random(300) + 0.5, dtype)
    sym = PackedSymmetricPotts(d)
    x = rng.normal(scale=0.3, size=(1, sym.n_params))
    results = []
    for kernel in (baseline_value_grad, avx2.potts_gather_value_grad):
        monkeypatch.setattr("sklearn_plm._potts_objective.potts_gather_value_grad", kernel)
        results.append(sym.value_grad(x, 0, 1, 1))
    (l0, g0), (l1, g1) = results
    assert l0 > 0
    np.testing.assert_allclose(l1, l0, rtol=rtol)
    np.testing.assert_allclose(g1, g0, rtol=rtol, atol=rtol * np.abs(g0).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avx2_local_fields_match_baseline(dtype):
    avx2 = _avx2_module()
    from sklearn_plm import _potts_fast
    rng = np.random.default_rng(1)
    X = rng.integers(-1, 5, size=(50, 7)).astype(np.int32)
    W = rng.normal(size=(7, 7 * 5 + 1, 5)).astype(dtype)
    H = [np.empty((50, 35), dtype=dtype) for _ in range(2)]
    _potts_fast.potts_local_fields(X, W, True, H[0], 1)
    avx2.potts_local_fields(X, W, True, H[1], 1)
    np.testing.assert_allclose(H[1], H[0], rtol=1e-6 if dtype == np.float32 else 1e-12)
