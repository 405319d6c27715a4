"""Potts datafits' reused arrays: the gradient written to the caller's ``out``,
the packed datafit's per-block scratch rows, and the fits they give."""

import copy
import pickle
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sklearn_plm import _potts_objective
from sklearn_plm._penalties import L2Penalty
from sklearn_plm._potts_objective import PackedSymmetricPotts, PottsPseudoLikelihood
from sklearn_plm._solvers import _objective, fit_lbfgs

DATA = Path(__file__).parent / "data"


def _codes(rng, P, N, q):
    codes = rng.integers(0, q, size=(P, N)).astype(np.int32)
    codes[rng.random((P, N)) < 0.05] = -1  # missing values
    return codes


def _packed(rng, N, q, P, dtype):
    rows = PottsPseudoLikelihood(q, 1.2).initialize(_codes(rng, P, N, q), rng.random(P) + 0.5,
                                                    dtype)
    return PackedSymmetricPotts(rows)


@pytest.fixture
def blocks_of_16(monkeypatch):
    # blocks of 16 sites, as for a large model: several scratch uses per
    # evaluation
    monkeypatch.setattr(_potts_objective, "_BLOCK_BYTES", 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reused_arrays_give_fresh_evaluations_bit_for_bit(rng, blocks_of_16, dtype):
    N, q = 70, 3
    packed = _packed(rng, N, q, 50, dtype)
    assert len(packed._blocks_of_sites) == 4
    out = np.full((1, packed.n_params), np.nan)
    points = [0.3 * rng.normal(size=(1, packed.n_params)) for _ in range(3)]
    # consecutive evaluations at different points, then the first one again
    for x in points + points[:1]:
        loss, grad = packed.value_grad(x, out=out)
        assert grad is out
        fresh = PackedSymmetricPotts(packed.datafit)
        loss_ref, grad_ref = fresh.value_grad(x)
        assert loss == loss_ref
        assert_array_equal(grad, grad_ref)


@pytest.mark.parametrize("method", ["gather", "onehot"])
def test_row_layout_gradient_goes_to_out(rng, method):
    N, q = 6, 4
    rows = PottsPseudoLikelihood(q, method=method).initialize(_codes(rng, 40, N, q),
                                                              np.ones(40))
    coef = 0.4 * rng.normal(size=(N, rows.n_params))
    out = np.full((3, rows.n_params), np.nan)
    loss, grad = rows.value_grad(coef[1:4], 1, 4, out=out)
    loss_ref, grad_ref = rows.value_grad(coef[1:4], 1, 4)
    assert grad is out and loss == loss_ref
    assert_array_equal(grad, grad_ref)


@pytest.mark.parametrize("bad", ["shape", "dtype", "layout"])
def test_out_of_the_wrong_kind_is_refused(rng, bad):
    packed = _packed(rng, 3, 2, 10, np.float64)
    n = packed.n_params
    out = {"shape": np.empty((1, n + 1)), "dtype": np.empty((1, n), dtype=np.float32),
           "layout": np.empty((2, n))[:1, ::-1]}[bad]
    with pytest.raises(ValueError, match="out must be a C-contiguous float64 array"):
        packed.value_grad(np.zeros((1, n)), out=out)


def test_scratch_is_not_copied_pickled_or_kept_after_a_fit(rng):
    packed = _packed(rng, 8, 3, 30, np.float32)
    x = np.zeros((1, packed.n_params))
    packed.value_grad(x)
    assert packed._scratch is not None
    assert pickle.loads(pickle.dumps(packed))._scratch is None
    assert copy.copy(packed)._scratch is None
    assert len(pickle.dumps(packed)) < len(pickle.dumps(packed._scratch))
    penalty = L2Penalty(0.01, 0.01).bind(packed.layout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit_lbfgs(packed, penalty, x.copy(), tol=1e-8, max_iter=3, symmetric=True, n_jobs=1)
    assert packed._scratch is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_evaluations_after_the_first_allocate_no_parameter_sized_array(rng, blocks_of_16,
                                                                       dtype):
    # a mid-size model (1.1e6 packed parameters, two blocks of sites): with the
    # solver's gradient array and the datafit's scratch rows, an evaluation
    # allocates only small temporaries (the penalty's slices of 1 MB); it used
    # to allocate the packed gradient and two row-layout blocks every time
    N, q = 72, 21
    packed = _packed(rng, N, q, 30, dtype)
    penalty = L2Penalty(0.01, 0.01).bind(packed.layout)
    fun, _ = _objective(packed, penalty, 0, 1, 1, True)
    n_bytes = 8 * packed.n_params
    out = np.empty(packed.n_params)
    points = [0.1 * rng.normal(size=packed.n_params) for _ in range(3)]
    tracemalloc.start()
    try:
        fun(points[0], out=out)
        grown = []
        for x in points[1:]:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            fun(x, out=out)
            grown.append(tracemalloc.get_traced_memory()[1] - before)
    finally:
        tracemalloc.stop()
    assert max(grown) <= 0.15 * n_bytes, [g / n_bytes for g in grown]


def _reference_fits():
    sys.path.insert(0, str(DATA))
    try:
        import make_potts_lbfgs_reference as ref
    finally:
        sys.path.remove(str(DATA))
    return ref


@pytest.mark.parametrize("name", ["sym64", "asym64", "sym32"])
def test_fits_match_those_saved_before_the_arrays_were_reused(name):
    # tests/data/make_potts_lbfgs_reference.py wrote them with the solver that
    # allocated its arrays afresh; 40 iterations, short of convergence, so that
    # any change to the iterates shows
    ref = _reference_fits()
    saved = np.load(DATA / "potts_lbfgs_reference.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = ref.fit(name)
    J, h = saved[f"{name}_coupling"], saved[f"{name}_fields"]
    if name.endswith("64"):
        assert_allclose(est.coupling_, J, rtol=1e-6, atol=1e-9)
        assert_allclose(est.fields_, h, rtol=1e-6, atol=1e-9)
        assert est.loss_ == pytest.approx(float(saved[f"{name}_loss"]), rel=1e-10)
    else:
        # float32 data: the direction is now stored in float32, so the iterates
        # differ by its rounding; the objective is as low
        scale = np.abs(J).max()
        assert_allclose(est.coupling_, J, atol=1e-4 * scale)
        assert_allclose(est.fields_, h, atol=1e-4 * np.abs(h).max())
        assert est.loss_ <= float(saved[f"{name}_loss"]) * (1 + 1e-6)
