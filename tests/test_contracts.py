"""Contract tests: every datafit x penalty x solver that the solver table allows.

The cases are enumerated, not listed: every penalty class of
``sklearn_plm._penalties`` (through its ``examples()``) and every solver of
``sklearn_plm._solvers.SOLVERS``. A new penalty or solver is tested here
without a line of test code: its gradient or proximal operator, the
optimality conditions at the solution, and the same optimum as every other
solver that accepts the same pair, in float32 and float64.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_plm import _penalties
from sklearn_plm._objective import IsingPseudoLikelihood
from sklearn_plm._potts_objective import PackedSymmetricPotts, PottsPseudoLikelihood
from sklearn_plm._solvers import SOLVERS


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


PENALTIES = [p for cls in _all_subclasses(_penalties.BasePenalty) for p in cls.examples()]
PENALTY_IDS = [f"{type(p).__name__}{k}" for k, p in enumerate(PENALTIES)]


def _spins(rng, P, N, dtype):
    S = rng.choice([-1.0, 1.0], size=(P, N))
    S[:, 1] = np.where(rng.random(P) < 0.85, S[:, 0], -S[:, 0])  # one strong pair
    S[rng.random((P, N)) < 0.05] = 0.0  # unknown spins
    return S.astype(dtype)


def make_datafit(name, dtype, seed=0):
    """(datafit, symmetric) of a small problem."""
    rng = np.random.default_rng(seed)
    w = rng.random(60) + 0.5
    if name.startswith("ising"):
        datafit = IsingPseudoLikelihood(1.2, fit_fields=True).initialize(_spins(rng, 60, 7, dtype),
                                                                         w)
        return datafit, name == "ising_symmetric"
    codes = rng.integers(0, 3, size=(60, 5)).astype(np.int32)
    codes[:, 1] = np.where(rng.random(60) < 0.8, codes[:, 0], codes[:, 1])
    codes[rng.random(codes.shape) < 0.05] = -1
    rows = PottsPseudoLikelihood(3, 1.1, fit_fields=True).initialize(codes, w, dtype)
    return (PackedSymmetricPotts(rows) if name == "potts_packed" else rows), False


DATAFITS = ["ising", "ising_symmetric", "potts", "potts_packed"]
DTYPES = [np.float64, np.float32]

# Tight settings, by hyper-parameter name: a solver takes those it has. Float32
# evaluations round at ~1e-7 of the objective, so their gradients cannot reach 1e-9.
SETTINGS = {np.float64: {"tol": 1e-9, "max_iter": 20000, "learning_rate": 0.5},
            np.float32: {"tol": 1e-5, "max_iter": 2000, "learning_rate": 0.5}}


def make_solver(name, dtype=np.float64):
    cls = SOLVERS[name]
    return cls(**{k: v for k, v in SETTINGS[dtype].items() if k in cls._param_names()})


def _allowed(datafit, penalty, solver):
    try:
        solver.check(datafit, penalty)
    except ValueError:
        return False
    return True


def _start(datafit, symmetric, seed=1):
    coef = _off_diagonal(datafit, 0.1 * np.random.default_rng(seed).normal(
        size=(datafit.n_sites, datafit.n_params)))
    if symmetric:
        N = datafit.n_sites
        coef[:, :N] = 0.5 * (coef[:, :N] + coef[:, :N].T)
    return coef


def _data_grad(datafit, coef, symmetric):
    """Gradient of the data term, projected like the solvers project it."""
    _, g = datafit.value_grad(coef.astype(np.float64), 0, datafit.n_sites)
    if symmetric:
        G = g[:, :datafit.n_sites]
        G[...] = 0.5 * (G + G.T)
    return g


def _solve(datafit_name, penalty, solver_name, dtype):
    datafit, symmetric = make_datafit(datafit_name, dtype)
    penalty = penalty.bind(datafit.layout)
    solver = make_solver(solver_name, dtype)
    if not _allowed(datafit, penalty, solver):
        pytest.skip(f"solver {solver_name!r} does not take this datafit and "
                    f"{type(penalty).__name__}")
    coef0 = np.zeros((datafit.n_sites, datafit.n_params))
    with warnings.catch_warnings():
        # float32 evaluations may stop at their precision floor before tol
        warnings.simplefilter("ignore", ConvergenceWarning)
        coef, _, loss = solver.fit(datafit, penalty, coef0, symmetric=symmetric, n_jobs=1)
    return datafit, penalty, symmetric, coef, loss


def _off_diagonal(datafit, d):
    """``d`` with the diagonal blocks ``J[i, i]`` (not parameters) set to zero."""
    layout = datafit.layout
    if layout.diagonal_blocks:
        n = layout.n_couplings // layout.block_size
        blocks = d[:, :layout.n_couplings].reshape(len(d), n, layout.block_size)
        blocks[np.arange(len(d)), np.arange(len(d))] = 0.0
    return d


def _fd_check(fun, grad, x, rng, rel, datafit):
    for _ in range(3):
        d = _off_diagonal(datafit, rng.normal(size=x.shape))
        h = 1e-6 * max(1.0, np.abs(x).max())
        fd = (fun(x + h * d) - fun(x - h * d)) / (2 * h)
        assert np.vdot(grad, d) == pytest.approx(fd, rel=rel, abs=1e-7)


@pytest.mark.parametrize("datafit_name", DATAFITS)
def test_datafit_gradient_matches_finite_differences(datafit_name):
    datafit, symmetric = make_datafit(datafit_name, np.float64)
    x = _start(datafit, False)
    loss, g = datafit.value_grad(x, 0, datafit.n_sites)
    _fd_check(lambda y: datafit.value_grad(y, 0, datafit.n_sites)[0], g, x,
              np.random.default_rng(2), 1e-6, datafit)


@pytest.mark.parametrize("penalty", PENALTIES, ids=PENALTY_IDS)
@pytest.mark.parametrize("datafit_name", DATAFITS)
def test_smooth_penalty_gradient_matches_finite_differences(datafit_name, penalty):
    datafit, _ = make_datafit(datafit_name, np.float64)
    penalty = penalty.bind(datafit.layout)
    if not penalty.smooth:
        pytest.skip("not differentiable")
    x = _start(datafit, False)
    g = penalty.add_grad(x, np.zeros_like(x))
    _fd_check(penalty.value, g, x, np.random.default_rng(3), 1e-6, datafit)


@pytest.mark.parametrize("penalty", PENALTIES, ids=PENALTY_IDS)
@pytest.mark.parametrize("datafit_name", DATAFITS)
def test_prox_solves_its_problem(datafit_name, penalty):
    # x = prox(v, step) iff (v - x) / step is in the subdifferential at x
    datafit, _ = make_datafit(datafit_name, np.float64)
    penalty = penalty.bind(datafit.layout)
    if not penalty.proximal:
        pytest.skip("no proximal operator")
    v = 3 * _start(datafit, False)
    for step in (0.1, 2.0):
        x = penalty.prox(v.copy(), step)
        np.testing.assert_allclose(penalty.subdiff_distance(x, -(v - x) / step), 0, atol=1e-12)
        # and it is the minimizer: no random nearby point does better
        obj = lambda y: penalty.value(y) + np.sum((y - v) ** 2) / (2 * step)  # noqa: E731
        rng = np.random.default_rng(4)
        assert all(obj(x) <= obj(x + 1e-3 * rng.normal(size=x.shape)) for _ in range(5))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver_name", sorted(SOLVERS))
@pytest.mark.parametrize("penalty", PENALTIES, ids=PENALTY_IDS)
@pytest.mark.parametrize("datafit_name", DATAFITS)
def test_solution_satisfies_the_optimality_conditions(datafit_name, penalty, solver_name, dtype):
    datafit, penalty, symmetric, coef, _ = _solve(datafit_name, penalty, solver_name, dtype)
    g = _data_grad(datafit, coef, symmetric)
    # KKT: -grad in the subdifferential (for L1: |g| <= alpha where J = 0)
    violation = penalty.subdiff_distance(coef, g)
    # float32 data: the evaluations round at ~1e-7 of the objective
    assert violation.max() <= (1e-6 if dtype == np.float64 else 2e-3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("penalty", PENALTIES, ids=PENALTY_IDS)
@pytest.mark.parametrize("datafit_name", DATAFITS)
def test_every_solver_of_a_pair_finds_the_same_optimum(datafit_name, penalty, dtype):
    results = {}
    for name in sorted(SOLVERS):
        datafit, bound, _ = make_datafit(datafit_name, dtype) + (None,)
        if _allowed(datafit, penalty.bind(datafit.layout), make_solver(name)):
            results[name] = _solve(datafit_name, penalty, name, dtype)
    if len(results) < 2:
        pytest.skip("fewer than two solvers take this pair")
    (first, ref), *others = results.items()
    atol = 1e-6 if dtype == np.float64 else 3e-3
    for name, res in others:
        np.testing.assert_allclose(res[3], ref[3], atol=atol, err_msg=f"{name} vs {first}")
        assert res[4] == pytest.approx(ref[4], rel=1e-7 if dtype == np.float64 else 1e-4)


@pytest.mark.parametrize("solver_name", sorted(SOLVERS))
@pytest.mark.parametrize("penalty", PENALTIES, ids=PENALTY_IDS)
def test_a_solver_refuses_a_penalty_it_cannot_minimize(penalty, solver_name):
    datafit, _ = make_datafit("ising", np.float64)
    penalty = penalty.bind(datafit.layout)
    solver = make_solver(solver_name)
    able = all(getattr(penalty, need) for need in solver.penalty_needs)
    if able:
        solver.check(datafit, penalty)
    else:
        with pytest.raises(ValueError, match=f"solver='{solver_name}' needs a penalty"):
            solver.check(datafit, penalty)


def test_the_l1_penalty_is_the_elastic_net_at_l1_ratio_one():
    p = _penalties.L1Penalty(0.3, 0.1)
    assert (p.alpha, p.l1_ratio, p.alpha_fields) == (0.3, 1.0, 0.1)
    assert not p.smooth and p.proximal


def test_packed_layout_counts_each_pair_twice():
    # the same symmetric couplings pay the same penalty in the row and packed layouts
    rows, _ = make_datafit("potts", np.float64)
    packed = PackedSymmetricPotts(rows)
    coef = rows.symmetrize(_start(rows, False))
    N, q = rows.n_sites, rows.n_states
    for i in range(N):
        coef.reshape(N, -1, q)[i, i * q:(i + 1) * q] = 0.0
    for penalty in PENALTIES:
        assert penalty.bind(packed.layout).value(packed.pack(coef)) == pytest.approx(
            penalty.bind(rows.layout).value(coef), rel=1e-12)


@pytest.mark.parametrize("solver_name", sorted(SOLVERS))
@pytest.mark.parametrize("datafit_name", DATAFITS)
def test_every_solver_stops_by_the_rule_it_is_given(datafit_name, solver_name):
    # with tol_norm="relative_l2" the result's |grad| / max(1, |coef|) is
    # within tol (FISTA bounds its gradient mapping, a step away from the
    # gradient: some slack), and it is not the tight optimum of the default rule
    penalty = _penalties.L2Penalty(0.05, 0.02)
    datafit, symmetric = make_datafit(datafit_name, np.float64)
    penalty = penalty.bind(datafit.layout)
    settings = {"tol": 1e-3, "max_iter": 20000, "learning_rate": 0.5,
                "tol_norm": "relative_l2"}
    cls = SOLVERS[solver_name]
    solver = cls(**{k: v for k, v in settings.items() if k in cls._param_names()})
    if not _allowed(datafit, penalty, solver):
        pytest.skip(f"solver {solver_name!r} does not take this datafit")
    coef, _, _ = solver.fit(datafit, penalty, np.zeros((datafit.n_sites, datafit.n_params)),
                            symmetric=symmetric, n_jobs=1)
    # the penalty's gradient at symmetric couplings is symmetric: projected as the solvers do
    g = penalty.add_grad(coef, _data_grad(datafit, coef, symmetric))
    size = np.linalg.norm(g) / max(1.0, np.linalg.norm(coef))
    assert size <= (1.5e-3 if solver_name == "fista" else 1e-3)
    assert size > 1e-7
