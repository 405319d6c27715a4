import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

from sklearn_plm import _dynamics_dispatch, _potts_dispatch
from sklearn_plm._potts_fast import potts_gather_value_grad as baseline_value_grad
from sklearn_plm._potts_objective import PackedSymmetricPotts, PottsPseudoLikelihood
from sklearn_plm._simd import _cpu_features, select_build


def _avx2_module(name="_potts_fast"):
    if select_build(name, _cpu_features(), {}) != name + "_avx2":
        pytest.skip("the CPU lacks AVX2/FMA")
    try:
        return importlib.import_module(f"sklearn_plm.{name}_avx2")
    except ImportError:
        pytest.skip("the AVX2 build is absent on this platform")


def test_select_build():
    avx2 = {"AVX2": True, "FMA3": True}
    assert select_build("_potts_fast", avx2, {}) == "_potts_fast_avx2"
    assert select_build("_potts_fast", avx2, {"SKLEARN_PLM_NO_SIMD": "0"}) == "_potts_fast_avx2"
    assert select_build("_potts_fast", avx2, {"SKLEARN_PLM_NO_SIMD": "1"}) == "_potts_fast"
    assert select_build("_dynamics_fast", avx2, {}) == "_dynamics_fast_avx2"
    assert select_build("_potts_fast", {"AVX2": False, "FMA3": True}, {}) == "_potts_fast"
    assert select_build("_potts_fast", {}, {}) == "_potts_fast"


@pytest.mark.parametrize("module", ["_potts_dispatch", "_dynamics_dispatch"])
def test_no_simd_env_forces_baseline(module):
    code = f"from sklearn_plm.{module} import kernels; print(kernels.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "SKLEARN_PLM_NO_SIMD": "1"})
    expected = {"_potts_dispatch": "_potts_fast", "_dynamics_dispatch": "_dynamics_fast"}
    assert out.stdout.strip() == "sklearn_plm." + expected[module]


def test_dispatch_uses_avx2_when_available():
    _avx2_module()
    _avx2_module("_dynamics_fast")
    assert _potts_dispatch.kernels.__name__ == "sklearn_plm._potts_fast_avx2"
    assert _dynamics_dispatch.kernels.__name__ == "sklearn_plm._dynamics_fast_avx2"


def test_dynamics_builds_agree():
    # one mechanism for both kernel families: the binary recall is built twice too
    avx2 = _avx2_module("_dynamics_fast")
    from sklearn_plm import _dynamics_fast

    rng = np.random.default_rng(5)
    n, n_samples = 64, 40
    J = rng.normal(size=(n, n)).astype(np.float32)
    J = J + J.T
    np.fill_diagonal(J, 0)
    JT = np.ascontiguousarray(J.T)
    S0 = rng.choice([-1.0, 1.0], size=(n_samples, n)).astype(np.float32)
    free = np.ones((n_samples, n), dtype=np.uint8)
    tie = np.zeros(n, dtype=np.float32)
    out = []
    for mod in (_dynamics_fast, avx2):
        S = S0.copy()
        H = np.ascontiguousarray(S @ JT)
        n_iter = np.empty(n_samples, dtype=np.int32)
        conv = np.empty(n_samples, dtype=np.uint8)
        order = np.empty((1, n), dtype=np.int32)
        mod.async_recall(S, H, JT, free, 50, 7, n_iter, conv, order, 1, tie)
        out.append((S, n_iter, conv))
    np.testing.assert_array_equal(out[1][0], out[0][0])
    np.testing.assert_array_equal(out[1][1], out[0][1])
    assert out[0][2].all()
    # one synchronous step, whose sparse field update is the SIMD loop
    rows = np.arange(n_samples, dtype=np.intp)
    fields = []
    for mod in (_dynamics_fast, avx2):
        S = S0.copy()
        H = np.ascontiguousarray(S @ JT)
        n_flips = np.empty(n_samples, dtype=np.int32)
        delta = np.zeros_like(S)
        cycled = np.empty(n_samples, dtype=np.uint8)
        mod.sync_step(S, H, JT, free, rows, n, n_flips, delta, False, cycled, 1, tie)
        np.testing.assert_allclose(H, S @ JT, atol=1e-4)
        fields.append((S, H))
    np.testing.assert_array_equal(fields[1][0], fields[0][0])
    np.testing.assert_allclose(fields[1][1], fields[0][1], atol=1e-5)


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


def _fitted_small_model():
    from sklearn_plm import PottsPseudoLikelihoodMemory

    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, size=(40, 6))
    return PottsPseudoLikelihoodMemory(max_iter=30).fit(X), X


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta", [1e-20, 1.0, 1e8, 1e20, 1e300])
def test_log_conditionals_both_builds_at_extreme_beta(dtype, beta):
    # the AVX2 build contracted beta h_a - beta m into an FMA whose rounding error
    # of beta m overflowed exp: [-inf nan nan] at beta = 1e20
    avx2 = _avx2_module()
    from sklearn_plm import _potts_fast

    rng = np.random.default_rng(2)
    X = rng.integers(-1, 21, size=(40, 9)).astype(np.int32)
    H = rng.normal(size=(40, 9 * 21)).astype(dtype)
    out = [np.empty(40) for _ in range(2)]
    _potts_fast.potts_log_conditionals(H, X, beta, out[0], 1)
    avx2.potts_log_conditionals(H, X, beta, out[1], 1)
    assert np.isfinite(out[0]).all() and np.isfinite(out[1]).all()
    assert (out[0] <= 0).all()
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12 if dtype == np.float64 else 1e-6)
    # the literal log-softmax in float64, where it stays finite
    if beta <= 1e8:
        Z = beta * H.astype(np.float64).reshape(40, 9, 21)
        m = Z.max(axis=2, keepdims=True)
        logp = Z - m - np.log(np.exp(Z - m).sum(axis=2, keepdims=True))
        known = X >= 0
        ref = np.where(known, np.take_along_axis(logp, np.maximum(X, 0)[..., None], 2)[..., 0],
                       0).sum(axis=1)
        np.testing.assert_allclose(out[0], ref, rtol=1e-10, atol=1e-10 * max(beta, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta", [1e8, 1e20])
def test_residual_kernels_both_builds_at_extreme_beta(dtype, beta):
    # the training kernels share the softmax: finite loss and residual at any beta
    avx2 = _avx2_module()
    from sklearn_plm import _potts_fast

    rng = np.random.default_rng(3)
    Y = rng.integers(-1, 21, size=(30, 4)).astype(np.int32)
    Z0 = rng.normal(size=(30, 4 * 21)).astype(dtype)
    w = np.full(30, 1 / 30)
    res = []
    for mod in (_potts_fast, avx2):
        Z, loss = Z0.copy(), np.empty(30)
        mod.potts_residual(Z, Y, w, beta, 21, loss, 1)
        assert np.isfinite(loss).all() and np.isfinite(Z).all()
        res.append((Z, loss))
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-6)
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-6, atol=1e-6 * beta / 30)


def test_score_samples_finite_at_large_beta_with_either_build():
    model, X = _fitted_small_model()
    import json
    import pickle

    code = ("import json, pickle, sys; m, X = pickle.load(sys.stdin.buffer); "
            "print(json.dumps(m.set_params(beta=1e20).score_samples(X[:3]).tolist()))")

    outs = []
    for flag in ("0", "1"):
        out = subprocess.run([sys.executable, "-c", code], input=pickle.dumps((model, X)),
                             capture_output=True, check=True,
                             env={**os.environ, "SKLEARN_PLM_NO_SIMD": flag})
        outs.append(np.array(json.loads(out.stdout)))
    for scores in outs:
        assert np.isfinite(scores).all() and (scores <= 0).all()
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)
