"""Limited-memory BFGS for smooth unconstrained problems.

A compact L-BFGS (Byrd, Nocedal and Schnabel 1994) with a strong-Wolfe line
search, written for the pseudo-likelihood fits: their parameter vectors are
large (N^2 couplings) while one evaluation can be cheap (few samples), so the
optimizer's own work per iteration matters. SciPy's L-BFGS-B spent as much
time as the evaluations themselves on such problems (N=784, P=392: 98 ms in
``setulb`` against 126 ms of evaluations, plus ~25 ms of wrapper copies).
Here one iteration costs three matrix-vector products with the ``(2m, n)``
history and a few vector operations, through BLAS (or, for a float32
history, compiled loops that sum in float64).

The stopping rules are those of L-BFGS-B without bounds (``max|g| <= gtol``,
or another size of the gradient, see :mod:`sklearn_plm._stopping`; a relative
decrease of the objective of at most ``ftol``; ``max_iter``), libLBFGS's test
of the decrease over the last ``past`` iterations (``delta``), plus one for
objectives evaluated in float32: ten iterations in a row without a new lowest
objective mean it is at the floor of its precision.
"""

import collections
import math

import numpy as np

from ._lbfgs_fast import (chunked_dot, difference, history_direction, history_times, max_abs,
                          step_point)

# Wolfe constants: sufficient decrease and curvature (those of L-BFGS-B).
_C1 = 1e-3
_C2 = 0.9
# Approximate Wolfe conditions (Hager and Zhang 2005): near the optimum the
# objective's rounding error hides the decrease that Armijo's test asks for,
# while the directional derivative is still accurate. Float32 evaluations made
# the last line searches of tight fits long without them.
_APPROX_DELTA = 0.1
_APPROX_EPS = 1e-6
_MAX_LS_EVALS = 20
# Iterations in a row that may fail to lower f before the solver gives up.
_MAX_STALLED = 10
# Bounds on an extrapolated trial step, as multiples of the current one.
_EXTRAP_MIN, _EXTRAP_MAX = 1.1, 10.0
# Vectors from this many entries go to the compiled, threaded loops. On short
# ones a call into the loops costs more than it saves (an Ising fit with blocks
# of 4800 parameters was 10 % slower), while from about 1.6e5 entries (5S rRNA,
# WW-domain fits) they were as fast at one thread and 2-6 % faster at two. The
# choice depends on the size only, never on the threads.
_COMPILED_MIN = 1 << 16


def workspace(m, history_dtype=np.float64, grad_out=False, overwrite_x0=False):
    """Arrays of the problem's size (float64 units) alive at once in :func:`minimize_lbfgs`.

    The ``2 m`` history rows (half a unit each in float32) and the direction
    (of the history's dtype), the iterate and the trial point, the gradient
    and the trial's gradient; plus the caller's start when the solver may not
    reuse it (``overwrite_x0=False``), and one more array when ``fun``
    allocates its own gradients (``grad_out=False``: fresh arrays and
    temporaries of ``fun`` that the solver does not see).
    """
    half = np.dtype(history_dtype).itemsize / 8.0
    return (2 * m + 1) * half + 4 + (not overwrite_x0) + (not grad_out)


class LBFGSResult(dict):
    """Outcome of :func:`minimize_lbfgs`; keys are also attributes."""

    __getattr__ = dict.__getitem__


def _cubic_min(t0, f0, d0, t1, f1, d1):
    """Minimizer of the cubic through (t0, f0, d0) and (t1, f1, d1), or None."""
    d_1 = d0 + d1 - 3.0 * (f0 - f1) / (t0 - t1)
    disc = d_1 * d_1 - d0 * d1
    if not disc >= 0.0:  # also catches NaN
        return None
    d_2 = math.copysign(math.sqrt(disc), t1 - t0)
    denom = d1 - d0 + 2.0 * d_2
    if denom == 0.0:
        return None
    t = t1 - (t1 - t0) * (d1 + d_2 - d_1) / denom
    return t if math.isfinite(t) else None


class _History:
    """The last ``m`` correction pairs and the small matrices of the compact form.

    Rows ``0..m-1`` of ``SY`` hold the steps ``s``, rows ``m..2m-1`` the
    gradient changes ``y``, in ring order; ``order`` lists the slots from the
    oldest pair to the newest. With ``dtype=float32`` the rows are stored in
    float32 (half the memory of the history, the largest part of the
    solver's) and every product with them is summed in float64 by compiled
    loops over ``n_threads`` threads, so the small matrices keep float64
    accuracy.
    """

    def __init__(self, m, n, dtype=np.float64, n_threads=1):
        self.m = m
        # zeros, not empty: unused rows meet zero weights in the products
        self.SY = np.zeros((2 * m, n), dtype=dtype)
        self.exact = self.SY.dtype == np.float64
        self.n_threads = int(n_threads)
        self.STY = np.zeros((m, m))  # STY[i, j] = s_i . y_j
        self.YTY = np.zeros((m, m))
        self.order = []
        self.gamma = 1.0
        # the direction's array, reused from one iteration to the next; in
        # the history's dtype (a float32 direction with a float32 history)
        self._d = None

    def reset(self):
        """Forget every pair, in place (a restart allocates no new history)."""
        self.SY.fill(0.0)
        self.STY.fill(0.0)
        self.YTY.fill(0.0)
        self.order = []
        self.gamma = 1.0

    def _times(self, v):
        """``SY @ v`` in float64."""
        if self.exact:
            return self.SY @ v
        return history_times(self.SY, v, self.n_threads)

    def dots(self, s, y):
        """``(s . y, y . y)`` of rows just written to :meth:`rows`, in float64."""
        return _dot(s, y, self.n_threads), _dot(y, y, self.n_threads)

    def rows(self):
        """Views of the rows the next pair goes to (the oldest pair's when full)."""
        slot = self.order[0] if len(self.order) == self.m else len(self.order)
        return self.SY[slot], self.SY[self.m + slot]

    def commit(self, sy, yy):
        """Adopt the pair just written to :meth:`rows`; ``sy = s.y``, ``yy = y.y``."""
        m = self.m
        slot = self.order.pop(0) if len(self.order) == m else len(self.order)
        c = self._times(self.SY[m + slot])  # one pass over the history for the new column
        self.STY[:, slot] = c[:m]
        self.YTY[:, slot] = self.YTY[slot, :] = c[m:]
        self.STY[slot, slot], self.YTY[slot, slot] = sy, yy
        self.order.append(slot)
        self.gamma = sy / yy

    def discard(self):
        """Forget the pair whose rows were overwritten by a rejected one."""
        if len(self.order) == self.m:
            self.order.pop(0)

    def push(self, s, y, sy, yy):
        """Copy a pair in and adopt it (for callers without in-place rows)."""
        s_row, y_row = self.rows()
        s_row[:], y_row[:] = s, y
        self.commit(sy, yy)

    def direction(self, g):
        """``-H g`` with ``H = gamma I + [S gamma Y] M [S gamma Y]^T``.

        The direction lives in one array reused by every call (the previous
        direction is dead once its line search is over); with a float32
        history it is float32 too (summed in float64, rounded once).
        """
        # one array for every direction: a fresh one of the problem's size
        # each iteration was page faults and zero-filling for the kernel
        if self._d is None or self._d.shape != g.shape:
            self._d = np.empty(g.shape, dtype=self.SY.dtype)
        d = self._d
        if not self.order:
            return np.negative(g, out=d)
        m, o, gamma = self.m, self.order, self.gamma
        c = self._times(g)
        a, b = c[:m][o], c[m:][o]
        # Only NumPy's BLAS here: calls alternating between NumPy's and SciPy's
        # OpenBLAS (each with its own spinning thread pool) made a direction 6x
        # slower with two BLAS threads (N=600 symmetric fit: 2.1 -> 12 ms).
        R = np.triu(self.STY[np.ix_(o, o)])
        p = np.linalg.solve(R, a)
        rhs = np.diag(R) * p + gamma * (self.YTY[np.ix_(o, o)] @ p) - gamma * b
        top = np.linalg.solve(R.T, rhs)
        w = np.zeros(2 * m)
        w[o] = top
        w[[m + k for k in o]] = -gamma * p
        if not self.exact:
            history_direction(w, self.SY, gamma, g, d, self.n_threads)
            return d
        np.matmul(w, self.SY, out=d)
        # d += gamma * g in slices: no temporary of the problem's size
        for k in range(0, len(d), _COMPILED_MIN):
            d[k:k + _COMPILED_MIN] += gamma * g[k:k + _COMPILED_MIN]
        np.negative(d, out=d)
        return d


def _dot(a, b, n_threads):
    """``a . b`` in float64."""
    if a.size >= _COMPILED_MIN:
        return chunked_dot(a, b, n_threads)
    return float(np.dot(a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)))


def _max_abs(a, n_threads):
    """``max |a_k|`` (0 if empty)."""
    if a.size >= _COMPILED_MIN:
        return max_abs(a, n_threads)
    return float(np.max(np.abs(a), initial=0.0))


def max_abs_size(g, x, n_threads=1):
    """``max_k |g_k|`` (0 if empty): the default size of the gradient that
    ``gtol`` bounds (``x`` unused; see :mod:`sklearn_plm._stopping`)."""
    return _max_abs(g, n_threads)


def _difference(a, b, out, n_threads):
    """``out = a - b`` in out's dtype."""
    if a.size >= _COMPILED_MIN:
        difference(a, b, out, n_threads)
    else:
        np.subtract(a, b, out=out)


def _call(fun, x, out=None):
    """``fun(x)`` (``fun(x, out=out)`` with a gradient buffer) with the gradient as
    the contiguous float64 vector the loops take."""
    f, g = fun(x) if out is None else fun(x, out=out)
    g = np.ascontiguousarray(g, dtype=np.float64).reshape(-1)
    if out is not None and g is not out and g.size == out.size and np.shares_memory(g, out):
        g = out  # a view of the whole buffer: the buffer itself, which the solver tracks
    # the compiled loops index every vector by the length of x
    if g.size != x.size:
        raise ValueError(f"The gradient has {g.size} entries; the parameters have {x.size}.")
    return f, g


def _line_search(fun, x, f0, g0, d, dg0, t, n_threads=1, spare=None, grad_spare=None):
    """Strong-Wolfe line search along ``d`` from ``x``; Nocedal and Wright, Alg. 3.5-3.6.

    Returns ``(t, x, f, g, n_evals)`` of the accepted point, or of the best
    point with sufficient decrease when the search runs out of evaluations;
    ``t`` is None when no point decreased the objective. ``spare``, an array
    like ``x`` that nothing else holds, receives the trial points (one trial
    lives at a time); without it each trial gets a new array. ``grad_spare``,
    likewise, is passed to ``fun`` as ``out=`` for the trials' gradients
    (``fun(x)`` without it).

    Only the trial being evaluated has a gradient alive besides ``g0``: the
    best point so far keeps its step, objective and slope only, and is
    evaluated once more in the rare case that the search ends on it (the
    evaluation is deterministic, so the result is the same as if its gradient
    had been kept, at one evaluation instead of a third parameter-sized array
    throughout the search).
    """
    eps_f = _APPROX_EPS * abs(f0)

    def point(t):
        xt = np.empty_like(x) if spare is None else spare
        step_point(x, t, d, xt, n_threads)
        return xt

    def evaluate(t):
        xt = point(t)
        f, g = _call(fun, xt, grad_spare)
        return xt, f, g, _dot(g, d, n_threads)

    def decrease_ok(t, f, dg):
        armijo = f <= f0 + _C1 * t * dg0
        approx = f <= f0 + eps_f and dg <= (1.0 - 2.0 * _APPROX_DELTA) * -dg0
        return armijo or approx, approx

    def curvature_ok(dg):
        return abs(dg) <= -_C2 * dg0

    lo = (0.0, x, f0, g0, dg0)  # best point with sufficient decrease so far
    hi = None
    n = 0
    while n < _MAX_LS_EVALS:
        # drop the last trial before the next one (lo keeps what it needs)
        xt = g = None
        xt, f, g, dg = evaluate(t)
        n += 1
        ok, approx = decrease_ok(t, f, dg)
        if not np.isfinite(f) or not ok or (f >= lo[2] and not approx):
            hi = (t, None, f, None, dg)  # only lo's point can be returned
        else:
            if curvature_ok(dg):
                return t, xt, f, g, n
            if hi is None and dg < 0:
                # still descending and nothing bracketed yet: extrapolate
                t_new = _cubic_min(lo[0], lo[2], lo[4], t, f, dg)
                lo = (t, None, f, None, dg)  # its point and gradient are rebuilt if returned
                if t_new is None:
                    t_new = _EXTRAP_MAX * t
                t = min(max(t_new, _EXTRAP_MIN * t), _EXTRAP_MAX * t)
                continue
            if hi is None or dg * (hi[0] - lo[0]) >= 0:
                hi = (lo[0], None, lo[2], None, lo[4])
            lo = (t, None, f, None, dg)
        # zoom: interpolate inside the bracket [lo, hi], away from its ends
        a, b = sorted((lo[0], hi[0]))
        width = b - a
        if width <= 1e-12 * max(b, 1e-300):
            break
        t = None
        if np.isfinite(hi[2]):
            t = _cubic_min(lo[0], lo[2], lo[4], hi[0], hi[2], hi[4])
        if t is None or not (a + 0.1 * width <= t <= b - 0.1 * width):
            t = 0.5 * (a + b)
    if lo[0] > 0.0:
        # evaluated again (its gradient was not kept): the very point, as
        # evaluate builds it, with its objective and gradient
        xt = g = None
        xt, f, g, _ = evaluate(lo[0])
        return lo[0], xt, f, g, n + 1
    return None, x, f0, g0, n


def minimize_lbfgs(fun, x0, *, m=5, max_iter=200, gtol=1e-5, ftol=64 * np.finfo(float).eps,
                   history_dtype=np.float64, n_threads=1, callback=None, grad_out=False,
                   overwrite_x0=False, gnorm=None, delta=0.0, past=10):
    """Minimize ``fun`` from ``x0`` with L-BFGS.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (f, g)``: the objective (float) and its gradient (1-d
        float64 array, which may be a fresh array at each call).
    x0 : ndarray of shape (n,)
        Starting point (float64).
    m : int, default=5
        Number of correction pairs kept.
    max_iter : int, default=200
        Iterations (accepted steps).
    gtol : float, default=1e-5
        Converged when the gradient's size (``gnorm``) is at most ``gtol``.
    ftol : float, default=64 * machine epsilon
        Converged when ``0 <= (f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol``
        (0 disables this rule).
    history_dtype : {float64, float32}, default=float64
        Storage of the ``2 m`` correction vectors. float32 halves the largest
        part of the solver's memory; products with them are still summed in
        float64. Meant for objectives evaluated in float32 anyway. The
        search direction is then float32 too (summed in float64, rounded
        once); the iterate and the gradient stay float64.
    n_threads : int, default=1
        Threads of the compiled vector loops: dot products, updates and the
        products with a float32 history (those with a float64 history go
        through NumPy's BLAS, with its own thread setting). The result does
        not depend on it.
    callback : callable, default=None
        ``callback(n_iter, f, g, g_size)`` after each accepted step (progress
        output), with ``g_size`` the size that ``gtol`` bounds.
    grad_out : bool, default=False
        Call ``fun(x, out=buf)``: ``buf`` is a float64 array like ``x`` that
        the solver owns and nothing else holds, which ``fun`` may fill with
        the gradient and return. The solver keeps two such arrays, the
        accepted point's gradient and the one for the trials, and swaps them
        when a trial is accepted, so no evaluation allocates a gradient. The
        arrays are the solver's: a gradient that ``fun`` returns in ``buf``
        is overwritten by a later call, and the callback must not keep it.
    overwrite_x0 : bool, default=False
        Whether the solver may write into ``x0`` (once the first step has
        left it) instead of allocating a new array for the trial points:
        for callers that do not use ``x0`` afterwards.
    gnorm : callable, default=None
        ``gnorm(g, x, n_threads) -> float``, the size of the gradient ``g``
        at ``x`` that ``gtol`` bounds (:data:`sklearn_plm._stopping.STOPPING_RULES`);
        None for the largest absolute entry.
    delta : float, default=0.0
        Converged when ``(f_{k-past} - f_k) / max(|f_k|, 1) < delta``: the
        objective fell by less than this fraction over the last ``past``
        iterations (libLBFGS's ``delta`` test). 0 disables it.
    past : int, default=10
        The window of the ``delta`` test, in iterations.

    Returns
    -------
    result : LBFGSResult
        ``x``, ``fun``, ``grad``, ``nit``, ``nfev``, ``status`` (0 converged,
        1 ``max_iter`` reached, 2 no lower ``f`` found: the line search failed, or
        10 iterations in a row found no lower ``f`` than before) and ``message``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm._lbfgs import minimize_lbfgs
    >>> A = np.diag([1.0, 10.0, 100.0]); b = np.ones(3)
    >>> res = minimize_lbfgs(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(3),
    ...                      gtol=1e-10)
    >>> np.allclose(res.x, [1.0, 0.1, 0.01]), res.status
    (True, 0)
    """
    # x is never written in place: no copy of x0. Trial points go to a spare
    # array, and the iterate a step leaves becomes the next spare (x0 only
    # with overwrite_x0), so the iterations allocate no new arrays of the
    # problem's size for x. Gradients likewise, with grad_out.
    x = np.ascontiguousarray(x0, dtype=np.float64)
    # the start's array takes trial points once left if it is the solver's:
    # a converted copy of x0, or x0 itself with overwrite_x0
    start, start_free = x, ((overwrite_x0 and x.flags.writeable)
                            or not np.shares_memory(x, np.asarray(x0)))
    spare = np.empty_like(x)
    ours = [np.empty_like(x), np.empty_like(x)] if grad_out else [None, None]
    f, g = _call(fun, x, ours[0])
    grad_spare = ours[1]
    n_evals = 1
    history = _History(m, x.size, history_dtype, n_threads)
    status, message = 1, "max_iter reached"
    n_iter = n_stalled = 0
    f_best = f
    # objectives of the last ``past`` iterations and the start, for the delta test
    f_window = collections.deque([f], maxlen=past + 1) if delta > 0 else None
    size = max_abs_size if gnorm is None else gnorm
    g_size = size(g, x, n_threads)
    while True:
        if g_size <= gtol:
            status, message = 0, "gradient size <= gtol"
            break
        if n_iter >= max_iter:
            break
        d = history.direction(g)
        dg = _dot(g, d, n_threads)
        if not dg < 0.0:
            # rounding made the quasi-Newton direction useless: restart (in
            # place: a new history next to the old one was twice its memory)
            history.reset()
            d = history.direction(g)  # -g
            dg = _dot(g, d, n_threads)
        # first step (or after a restart): move no parameter by more than 1
        t = 1.0 if history.order else min(1.0, 1.0 / _max_abs(g, n_threads))
        t, x_new, f_new, g_new, n = _line_search(fun, x, f, g, d, dg, t, n_threads, spare,
                                                 grad_spare)
        n_evals += n
        if t is None:
            status, message = 2, "line search found no decrease"
            break
        n_iter += 1
        g_size = size(g_new, x_new, n_threads)
        if callback is not None:
            callback(n_iter, f_new, g_new, g_size)
        s, y = history.rows()  # written in place: no temporaries of size n
        _difference(x_new, x, s, n_threads)
        _difference(g_new, g, y, n_threads)
        sy, yy = history.dots(s, y)
        decrease = f - f_new
        # the old iterate is free unless it is the caller's x0 (or a view of it)
        spare = x if (x is not start or start_free) else np.empty_like(x)
        if grad_out and g_new is grad_spare:
            # the old gradient's array takes the next trials' (unless fun
            # returned an array of its own, which is left to it)
            grad_spare = g if any(g is b for b in ours) else np.empty_like(x)
            ours = [g_new, grad_spare]
        x, f, g = x_new, f_new, g_new
        # skip pairs without positive curvature (they would break H > 0)
        if sy > np.finfo(float).eps * yy and yy > 0.0:
            history.commit(sy, yy)
        else:
            history.discard()
        if ftol > 0 and 0.0 <= decrease <= ftol * max(abs(f + decrease), abs(f), 1.0):
            status, message = 0, "relative reduction of f <= ftol"
            break
        if f_window is not None:
            f_window.append(f)
            if (len(f_window) > past
                    and (f_window[0] - f) / max(abs(f), 1.0) < delta):
                status, message = 0, f"relative decrease of f over {past} iterations < delta"
                break
        # An approximate-Wolfe step may leave f where it was, or raise it
        # within its rounding error: f is at the floor of its precision. The
        # gradient may still be accurate enough to make progress, so only a
        # run of steps without a new lowest f stops.
        if f < f_best:
            f_best, n_stalled = f, 0
        else:
            n_stalled += 1
            if n_stalled >= _MAX_STALLED:
                status, message = 2, f"no new lowest f in {_MAX_STALLED} iterations"
                break
    return LBFGSResult(x=x, fun=float(f), grad=g, nit=n_iter, nfev=n_evals,
                       status=status, message=message)
