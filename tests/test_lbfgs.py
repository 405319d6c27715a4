import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize, rosen, rosen_der
from scipy.special import log_expit

from sklearn_plm._lbfgs import _History, _line_search, minimize_lbfgs


def two_loop(g, pairs):
    """Textbook L-BFGS two-loop recursion (Nocedal and Wright, Alg. 7.4): -H g."""
    q = g.copy()
    alphas = []
    for s, y in reversed(pairs):
        a = (s @ q) / (s @ y)
        q -= a * y
        alphas.append(a)
    s, y = pairs[-1]
    q *= (s @ y) / (y @ y)
    for (s, y), a in zip(pairs, reversed(alphas)):
        b = (y @ q) / (s @ y)
        q += (a - b) * s
    return -q


@pytest.mark.parametrize("n_pairs", [1, 3, 5, 9])
def test_compact_direction_equals_two_loop_recursion(rng, n_pairs):
    n, m = 40, 5
    A = rng.normal(size=(n, n))
    A = A @ A.T + n * np.eye(n)
    history = _History(m, n)
    pairs = []
    for _ in range(n_pairs):  # 9 pairs wrap the ring buffer
        s = rng.normal(size=n)
        y = A @ s
        history.push(s, y, s @ y, y @ y)
        pairs.append((s, y))
    g = rng.normal(size=n)
    expected = two_loop(g, pairs[-m:])
    assert_allclose(history.direction(g), expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("n_threads", [1, 2])
def test_float32_history_products_are_summed_in_float64(rng, n_threads):
    # 10001 columns: several chunks of the compiled loops and a remainder
    n, m = 10001, 5
    d = rng.uniform(1.0, 10.0, size=n)
    history = _History(m, n, np.float32, n_threads=n_threads)
    pairs = []
    for _ in range(7):
        s = rng.normal(size=n).astype(np.float32)
        y = (d * s).astype(np.float32)
        s_row, y_row = history.rows()
        s_row[:], y_row[:] = s, y
        sy, yy = history.dots(s_row, y_row)
        s64, y64 = s.astype(np.float64), y.astype(np.float64)
        assert sy == pytest.approx(s64 @ y64, rel=1e-13)
        assert yy == pytest.approx(y64 @ y64, rel=1e-13)
        history.commit(sy, yy)
        pairs.append((s64, y64))
    g = rng.normal(size=n)
    expected = two_loop(g, pairs[-m:])
    d = history.direction(g)
    # a float32 direction, summed in float64 and rounded once: within half an
    # ulp of float32 (a float32 sum over the rows is off by several)
    assert d.dtype == np.float32
    assert_allclose(d, expected, rtol=2.0**-24 * 1.01, atol=1e-12 * np.abs(expected).max())


def test_empty_history_is_steepest_descent(rng):
    g = rng.normal(size=7)
    assert_allclose(_History(5, 7).direction(g), -g)


def logistic_problem(rng, n_samples=200, n_features=30, alpha=1e-2):
    X = rng.normal(size=(n_samples, n_features))
    y = np.sign(X @ rng.normal(size=n_features) + 0.5 * rng.normal(size=n_samples))

    def fun(w):
        z = y * (X @ w)
        f = -log_expit(z).mean() + 0.5 * alpha * w @ w
        g = -X.T @ (y * np.exp(log_expit(-z))) / n_samples + alpha * w
        return f, g

    return fun, n_features


def test_matches_scipy_lbfgsb_on_logistic_regression(rng):
    fun, n = logistic_problem(rng)
    ours = minimize_lbfgs(fun, np.zeros(n), gtol=1e-10, ftol=0.0, max_iter=500)
    ref = minimize(fun, np.zeros(n), jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-10, "ftol": 0.0, "maxiter": 500})
    assert ours.status == 0
    assert np.max(np.abs(ours.grad)) <= 1e-10
    # both within gtol / alpha = 1e-8 of the optimum (strong convexity)
    assert_allclose(ours.x, ref.x, atol=2e-7)
    assert ours.fun <= ref.fun + 1e-12
    # not many more evaluations than SciPy's Fortran-derived implementation
    assert ours.nfev <= 1.5 * ref.nfev + 5


def test_rosenbrock_minimum_is_found():
    res = minimize_lbfgs(lambda x: (rosen(x), rosen_der(x)), np.full(10, -1.0),
                         gtol=1e-8, max_iter=2000)
    assert res.status == 0
    assert_allclose(res.x, np.ones(10), atol=1e-5)


def test_quadratic_with_spread_curvatures_meets_gtol(rng):
    d = np.logspace(0, 2, 50)
    b = rng.normal(size=50)
    res = minimize_lbfgs(lambda x: (0.5 * (d * x) @ x - b @ x, d * x - b), np.zeros(50),
                         gtol=1e-7, ftol=0.0, max_iter=1000)
    assert res.status == 0
    assert np.max(np.abs(res.grad)) <= 1e-7
    assert_allclose(res.x, b / d, rtol=1e-6)


def test_max_iter_and_gtol_at_start(rng):
    fun, n = logistic_problem(rng)
    res = minimize_lbfgs(fun, np.zeros(n), gtol=1e-12, max_iter=3)
    assert (res.status, res.nit) == (1, 3)
    start = minimize_lbfgs(fun, res.x, gtol=1e3, max_iter=3)
    assert (start.status, start.nit, start.nfev) == (0, 0, 1)
    assert_allclose(start.x, res.x)


def test_iterations_decrease_the_objective(rng):
    fun, n = logistic_problem(rng)
    values = [minimize_lbfgs(fun, np.zeros(n), gtol=0.0, ftol=0.0, max_iter=k).fun
              for k in range(8)]
    assert np.all(np.diff(values) < 0)


def test_wrong_gradient_stops_with_line_search_failure():
    # the "gradient" points uphill: no step along -g decreases f
    res = minimize_lbfgs(lambda x: (float(x @ x), -2.0 * x), np.ones(3), max_iter=10)
    assert res.status == 2
    assert "line search" in res.message
    assert_allclose(res.x, np.ones(3))


def test_line_search_backs_off_from_overflow():
    # f is infinite beyond |x| > 2: the first trial step (t = 10) lands there
    def fun(x):
        if np.abs(x).max() > 2.0:
            return np.inf, np.full_like(x, np.nan)
        return float((x - 1.0) @ (x - 1.0)), 2.0 * (x - 1.0)

    x = np.zeros(2)
    f0, g0 = fun(x)
    d = -g0
    t, x_new, f, g, n = _line_search(fun, x, f0, g0, d, float(g0 @ d), 10.0)
    assert t is not None and np.isfinite(f) and f < f0
    res = minimize_lbfgs(fun, np.full(2, -1.5), gtol=1e-10)
    assert res.status == 0
    assert_allclose(res.x, np.ones(2), atol=1e-8)


def test_line_search_satisfies_strong_wolfe(rng):
    fun, n = logistic_problem(rng)
    x = rng.normal(size=n)
    f0, g0 = fun(x)
    d = -g0
    dg0 = float(g0 @ d)
    for t0 in (1e-4, 1.0, 1e3):
        t, _, f, g, _ = _line_search(fun, x, f0, g0, d, dg0, t0)
        assert f <= f0 + 1e-3 * t * dg0
        assert abs(g @ d) <= 0.9 * abs(dg0)


def test_objective_rounded_to_float32_stops_at_its_precision_floor(rng):
    # f carries float32 rounding, the gradient does not: gtol=1e-14 is out of
    # reach, and the solver must stop instead of wandering until max_iter
    fun64, n = logistic_problem(rng)

    def fun(x):
        f, g = fun64(x)
        return float(np.float32(f)), g

    res = minimize_lbfgs(fun, np.zeros(n), gtol=1e-14, ftol=0.0, max_iter=10_000)
    assert res.status == 2 and res.nit < 500
    assert "no new lowest f" in res.message
    # the exact gradient still led close to the optimum
    assert np.max(np.abs(res.grad)) < 1e-6
    # with the default ftol, a step that leaves the rounded f unchanged stops earlier
    res = minimize_lbfgs(fun, np.zeros(n), gtol=1e-14, max_iter=10_000)
    assert res.status in (0, 2) and res.nit < 500
    assert np.max(np.abs(res.grad)) < 1e-5


def test_float32_history_reaches_the_same_optimum():
    rng = np.random.default_rng(0)
    n = 3000
    A = rng.normal(size=(40, n))
    d = np.linspace(1.0, 50.0, n)
    b = rng.normal(size=n)

    def fun(x):
        r = A @ x
        return 0.5 * (x @ (d * x)) + 0.05 * (r @ r) - b @ x, d * x + 0.1 * (A.T @ r) - b

    r64 = minimize_lbfgs(fun, np.zeros(n), m=5, max_iter=500, gtol=1e-8)
    r32 = minimize_lbfgs(fun, np.zeros(n), m=5, max_iter=500, gtol=1e-8,
                         history_dtype=np.float32)
    assert r64.status == 0 and r32.status == 0
    # both stop on the relative reduction of f (Hessian eigenvalues >= 1)
    assert np.linalg.norm(r32.x - r64.x) <= 1e-5
    assert r32.fun == pytest.approx(r64.fun, rel=1e-12)
    # float32 pairs cost at most a few extra iterations
    assert r32.nit <= 1.2 * r64.nit + 2


def test_callback_sees_every_accepted_iteration(rng):
    fun, n = logistic_problem(rng)
    seen = []
    res = minimize_lbfgs(fun, np.zeros(n), gtol=1e-8, max_iter=30,
                         callback=lambda k, f, g, size: seen.append((k, f, np.max(np.abs(g)),
                                                                     size)))
    assert [k for k, *_ in seen] == list(range(1, res.nit + 1))
    assert seen[-1][1] == res.fun and np.all(np.diff([f for _, f, *_ in seen]) <= 0)
    # the size reported is the one gtol bounds (the default: the largest entry)
    assert all(size == g_max for *_, g_max, size in seen)


def test_compiled_reductions_do_not_depend_on_threads(rng):
    from sklearn_plm._lbfgs_fast import chunked_dot, max_abs

    a, b = rng.normal(size=(2, 20001))
    assert chunked_dot(a, b, 1) == chunked_dot(a, b, 2)
    assert chunked_dot(a, b, 2) == pytest.approx(a @ b, rel=1e-13)
    assert max_abs(a, 2) == np.abs(a).max()
    a[12345] = np.nan
    assert np.isnan(max_abs(a, 1)) and np.isnan(max_abs(a, 2))
    assert max_abs(np.zeros(0), 2) == 0.0


def test_gradient_of_the_wrong_size_raises():
    with pytest.raises(ValueError, match="gradient has 2 entries; the parameters have 3"):
        minimize_lbfgs(lambda x: (float(x @ x), np.zeros(2)), np.ones(3))


@pytest.mark.parametrize("history_dtype", [np.float64, np.float32])
def test_long_vectors_give_the_same_iterates_for_any_thread_count(history_dtype):
    # 2**16 entries and more go through the compiled, threaded loops
    n = 300_000
    d = np.linspace(1.0, 30.0, n)
    b = np.cos(np.arange(n))

    def fun(x):
        return 0.5 * float(x @ (d * x)) - float(b @ x), d * x - b

    runs = [minimize_lbfgs(fun, np.zeros(n), max_iter=15, gtol=0.0, ftol=0.0,
                           history_dtype=history_dtype, n_threads=k) for k in (1, 2)]
    np.testing.assert_array_equal(runs[0].x, runs[1].x)
    assert runs[0].nit == 15 and runs[0].fun < fun(np.zeros(n))[0]
    # and the iterates approach the minimizer b / d
    assert np.linalg.norm(runs[0].x - b / d) < 0.05 * np.linalg.norm(b / d)


@pytest.mark.parametrize("history_dtype", [np.float64, np.float32])
def test_reused_arrays_leave_the_start_and_the_iterates_alone(history_dtype):
    # trial points go to a spare array (the previous iterate) and the direction
    # to one array of the history: x0 must stay untouched, every point handed to
    # fun must be a point of the run, and the iterates must be those of a run
    # whose points are all fresh copies
    n = 1000
    d = np.linspace(1.0, 30.0, n)
    b = np.sin(np.arange(n))
    seen = []

    def fun(x):
        seen.append(x.copy())
        return 0.5 * float(x @ (d * x)) - float(b @ x), d * x - b

    def fun_copy(x):
        x = x.copy()
        return 0.5 * float(x @ (d * x)) - float(b @ x), d * x - b

    x0 = np.full(n, 0.5)
    res = minimize_lbfgs(fun, x0, max_iter=12, gtol=0.0, ftol=0.0, history_dtype=history_dtype)
    ref = minimize_lbfgs(fun_copy, np.full(n, 0.5), max_iter=12, gtol=0.0, ftol=0.0,
                         history_dtype=history_dtype)
    np.testing.assert_array_equal(x0, np.full(n, 0.5))
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.nit == 12 and res.x is not x0
    # the returned iterate is the last point evaluated with its objective
    assert any(np.array_equal(res.x, p) for p in seen)
    assert res.fun == pytest.approx(fun_copy(res.x)[0], rel=1e-12)


def _quadratic_into_out(d, b):
    """``0.5 x.(d x) - b.x`` whose gradient is written into ``out`` (no temporaries)."""

    def fun(x, out=None):
        g = np.empty_like(x) if out is None else out
        np.multiply(d, x, out=g)
        f = 0.5 * float(x @ g) - float(b @ x)
        g -= b
        return f, g

    return fun


@pytest.mark.parametrize("history_dtype", [np.float64, np.float32])
def test_gradient_arrays_of_the_solver_give_the_same_run_and_never_the_held_gradient(
        history_dtype):
    # with grad_out the solver hands fun one of two arrays of its own: never
    # the one holding the accepted point's gradient, which it still needs
    n = 1000
    d = np.linspace(1.0, 30.0, n)
    b = np.sin(np.arange(n))
    fun = _quadratic_into_out(d, b)
    held, outs = [None], []

    def spy(x, out=None):
        assert out is not None and out is not held[0]
        outs.append(out)
        return fun(x, out=out)

    def callback(n_iter, f, g, g_size):
        held[0] = g

    res = minimize_lbfgs(spy, np.full(n, 0.5), max_iter=12, gtol=0.0, ftol=0.0,
                         history_dtype=history_dtype, grad_out=True, callback=callback)
    ref = minimize_lbfgs(lambda x: fun(x), np.full(n, 0.5), max_iter=12, gtol=0.0, ftol=0.0,
                         history_dtype=history_dtype)
    np.testing.assert_array_equal(res.x, ref.x)
    np.testing.assert_array_equal(res.grad, ref.grad)
    assert res.nit == 12 and len(outs) > 12
    assert len({id(o) for o in outs}) == 2
    assert any(res.grad is o for o in outs)


def test_gradient_arrays_tolerate_a_fun_that_returns_its_own():
    # a fun that ignores out= (returns fresh arrays) still works with grad_out
    n = 500
    d = np.linspace(1.0, 10.0, n)
    b = np.cos(np.arange(n))
    fun = _quadratic_into_out(d, b)
    res = minimize_lbfgs(lambda x, out=None: fun(x), np.zeros(n), max_iter=8, gtol=0.0,
                         ftol=0.0, grad_out=True)
    ref = minimize_lbfgs(fun, np.zeros(n), max_iter=8, gtol=0.0, ftol=0.0)
    np.testing.assert_array_equal(res.x, ref.x)


@pytest.mark.parametrize("overwrite_x0", [False, True])
def test_overwrite_x0_lends_the_start_to_the_trial_points(overwrite_x0):
    n = 1000
    d = np.linspace(1.0, 30.0, n)
    b = np.sin(np.arange(n))
    fun = _quadratic_into_out(d, b)
    points = set()

    def spy(x, out=None):
        points.add(x.__array_interface__["data"][0])
        return fun(x, out=out)

    x0 = np.full(n, 0.5)
    res = minimize_lbfgs(spy, x0, max_iter=10, gtol=0.0, ftol=0.0, overwrite_x0=overwrite_x0)
    ref = minimize_lbfgs(fun, np.full(n, 0.5), max_iter=10, gtol=0.0, ftol=0.0)
    np.testing.assert_array_equal(res.x, ref.x)
    # the points live in x0 and one spare, or in two arrays besides x0
    assert len(points) == (2 if overwrite_x0 else 3)
    assert np.array_equal(x0, np.full(n, 0.5)) != overwrite_x0


def test_line_search_ending_on_its_best_point_evaluates_it_again():
    # along a linear objective the curvature condition never holds: the search
    # extrapolates until it runs out of evaluations and returns its best point,
    # whose gradient it did not keep
    n = 10
    calls = []

    def fun(x):
        calls.append(x.copy())
        return -float(x.sum()) + 1e-3 * float(x @ x), -1.0 + 2e-3 * x

    x = np.zeros(n)
    f0, g0 = fun(x)
    t, xt, f, g, n_evals = _line_search(fun, x, f0, g0, -g0, float(g0 @ -g0), 1e-3)
    assert t is not None and n_evals == len(calls) - 1
    np.testing.assert_array_equal(xt, calls[-1])
    f_ref, g_ref = fun(xt.copy())
    assert f == f_ref and np.array_equal(g, g_ref)
    assert np.array_equal(xt, t * -g0)


def test_history_restart_is_in_place(rng):
    n, m = 50, 3
    history = _History(m, n, np.float32)
    for _ in range(4):
        history.push(rng.normal(size=n), rng.normal(size=n), 1.0, 2.0)
    SY = history.SY
    history.reset()
    g = rng.normal(size=n)
    assert history.SY is SY and not SY.any() and history.order == []
    np.testing.assert_array_equal(history.direction(g), (-g).astype(np.float32))


@pytest.mark.parametrize("history_dtype", [np.float64, np.float32])
def test_peak_memory_is_the_documented_workspace(history_dtype):
    # everything the solver allocates, besides the caller's start, at its
    # peak: the workspace of the documented arrays (minus x0, which it reuses)
    import tracemalloc

    from sklearn_plm._lbfgs import workspace

    n = 400_000
    d = np.linspace(1.0, 30.0, n)
    b = np.sin(np.arange(n))
    fun = _quadratic_into_out(d, b)
    x0 = np.full(n, 0.5)
    tracemalloc.start()
    try:
        minimize_lbfgs(fun, x0, m=5, max_iter=12, gtol=0.0, ftol=0.0,
                       history_dtype=history_dtype, grad_out=True, overwrite_x0=True)
        peak = tracemalloc.get_traced_memory()[1] / (8.0 * n)
    finally:
        tracemalloc.stop()
    expected = workspace(5, history_dtype, grad_out=True, overwrite_x0=True) - 1
    # + slices of 2**16 entries (the float64 direction's update)
    assert expected <= peak <= expected + 0.2
