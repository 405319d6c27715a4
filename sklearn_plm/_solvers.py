"""Solvers for pseudo-likelihood fits.

They only use ``datafit.value_grad(coef, start, stop, n_threads)`` and a
penalty's ``value``/``add_grad``, so any datafit/penalty pair plugs in.

Asymmetric fits decompose over sites: each block of sites is an independent
problem, solved by its own L-BFGS and dispatched through joblib, so a user's
``joblib.parallel_config`` (threads, loky, Dask, Ray) decides where it runs.
The block layout depends only on the number of sites, never on ``n_jobs``, so
results do not depend on the degree of parallelism.
"""

import copy
import threading
from concurrent.futures import CancelledError
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.parallel import Parallel, delayed

from ._lbfgs import minimize_lbfgs, workspace
from ._stopping import RULE_LABELS, max_abs_size, stopping_rule
from ._threading import effective_n_threads, limit_blas_threads, parallel_workers

# Fewer, larger blocks keep the GEMMs efficient; enough blocks to feed workers.
_MAX_SITE_BLOCKS = 8
_MIN_SITES_PER_BLOCK = 32
_FTOL = 64 * np.finfo(float).eps
# Iterations over which ``tol_objective`` measures the objective's decrease
# (libLBFGS's ``past``): one iteration's decrease varies tenfold near the
# float32 floor, ten average it out.
OBJECTIVE_WINDOW = 10
# L-BFGS memory (correction pairs). Against 10, 5 pairs took the same number
# of iterations on random patterns (N = 300-1000, P = N/2-2N) and 10-25% less
# time: the optimizer's own work and workspace are O(maxcor * n_params).
LBFGS_MEMORY = 5
# Parameter-sized float64 arrays an L-BFGS block keeps alive (used by the
# estimators' memory check), for any datafit: float64 history, gradients
# allocated by each evaluation; the start is the solver's to reuse.
FIT_ARRAYS = workspace(LBFGS_MEMORY, overwrite_x0=True)
# The L-BFGS workspace of a packed symmetric Potts fit, whose datafit writes
# its gradient into the solver's arrays and whose start the solver reuses;
# float64 history, the worst case (float32 data have float32 pairs).
_PACKED_LBFGS_ARRAYS = workspace(LBFGS_MEMORY, np.float64, grad_out=True, overwrite_x0=True)
# Abort flags of the fits running in this process, by key: an Event cannot be
# pickled to process-based joblib backends, whose workers simply find no flag.
_ABORT_FLAGS = {}


# Parameter-sized float64 arrays alive at the peak of a fit besides the
# L-BFGS workspaces (starting point, stacked result, couplings, gradients).
# Peaks measured with tracemalloc at N=400, P=40, max_iter=10, against (N, N)
# float64: asymmetric L-BFGS 3.3 (n_jobs=1, 8 site blocks) and 5.4
# (n_jobs=2), symmetric L-BFGS 18.2, gradient descent 7.9 (its divergence
# guard keeps the last good couplings); earlier, partial_fit 6.2-7.2 (9.2 on
# the first call, which builds the Adam state).
_LBFGS_BASE_ARRAYS = 2
# The same for the proximal-gradient blocks (see _FISTA_ARRAYS).
_FISTA_BASE_ARRAYS = 3
_SYMMETRIC_BASE_ARRAYS = 4
_GD_ARRAYS = 9
PARTIAL_FIT_ARRAYS = 10
# A symmetric Potts fit solves over the pairs i < j only (plmc's layout), so
# its L-BFGS workspace is half the parameters. Besides it: the row-layout
# start, and the datafit's two scratch blocks of rows (the whole model below
# 64 sites). Peaks measured with tracemalloc at q=21, N=40-200, P=200,
# max_iter=5, against (N q, N q) float64: 8.3-10.1 (float64 data), 5.4-6.3
# (float32 data, whose history and direction are float32).
_PACKED_BASE_ARRAYS = 3.0


def fit_arrays(n_sites, *, symmetric, solver, n_jobs, packed=False):
    """Peak of a fit by the solver named ``solver``, in parameter-sized arrays.

    See :meth:`BaseSolver.fit_arrays`; for Potts models the unit is an (N q, N q) array.
    """
    return SOLVERS[solver]().fit_arrays(n_sites, symmetric=symmetric, n_jobs=n_jobs,
                                        packed=packed)


def site_blocks(n_sites):
    """Contiguous, ``n_jobs``-independent partition of the sites."""
    n_blocks = int(np.clip(n_sites // _MIN_SITES_PER_BLOCK, 1, _MAX_SITE_BLOCKS))
    edges = np.linspace(0, n_sites, n_blocks + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def _symmetrize(grad, n_sites):
    # J = (A + A.T)/2: the gradient in A is the symmetric part of the gradient in J.
    G = grad[:, :n_sites]
    G += G.T
    G *= 0.5
    return grad


def thread_split(datafit, n_threads):
    """BLAS threads and compiled-kernel threads of an evaluation with ``n_threads``.

    Only one of the two pools runs multithreaded: the one doing the datafit's
    heavy work (``datafit.threads_in_kernel``; BLAS otherwise). Idle OpenMP
    threads spinning after a kernel and OpenBLAS threads spinning after a
    product take each other's cores: on 2 cores a symmetric fit (N=600,
    P=2000) was 1.45x slower with n_jobs=2 than with n_jobs=1, and a Potts
    fit of the WW domain 1.3x slower.
    """
    if n_threads <= 1:
        return 1, 1
    return (1, n_threads) if datafit.threads_in_kernel else (n_threads, 1)


def _blas_limit(datafit, n_threads):
    """Context capping BLAS at the threads :func:`thread_split` gives it."""
    return limit_blas_threads(thread_split(datafit, n_threads)[0])


class FitInterrupted(Exception):
    """Raised inside a worker when the fit that owns it was interrupted."""


def _objective(datafit, penalty, start, stop, n_threads, symmetric, abort=None):
    """``fun(x) -> (loss, grad)`` of datafit + penalty (datafit only if ``penalty`` is None)."""
    shape = (stop - start, datafit.n_params)
    counter = {"n_evals": 0}
    _, kernel_threads = thread_split(datafit, n_threads)

    def fun(x, out=None):
        # out: the solver's gradient array, for datafits with ``grad_out``
        if abort is not None and abort.is_set():
            raise FitInterrupted
        coef = x.reshape(shape)
        if out is None:
            loss, grad = datafit.value_grad(coef, start, stop, kernel_threads)
        else:
            loss, grad = datafit.value_grad(coef, start, stop, kernel_threads,
                                            out=out.reshape(shape))
        if penalty is not None:
            loss += penalty.value(coef, start)
            penalty.add_grad(coef, grad, start)
        if symmetric:
            # a datafit with its own parameter layout (Potts) brings its own projection
            if hasattr(datafit, "symmetrize"):
                datafit.symmetrize(grad)
            else:
                _symmetrize(grad, datafit.n_sites)
        counter["n_evals"] += 1
        return loss, grad.ravel()

    return fun, counter


def lbfgs_block(datafit, penalty, coef0, start, stop, *, tol, max_iter, n_threads=1,
                symmetric=False, maxcor=LBFGS_MEMORY, abort=None, callback=None,
                tol_norm="max", tol_objective=0.0):
    """Minimize datafit + penalty over the parameters of sites ``start:stop``.

    Stops when the gradient's size by the rule ``tol_norm``
    (:data:`~sklearn_plm._stopping.STOPPING_RULES`) is at most ``tol``, or
    (``tol_objective > 0``) when the objective fell by less than that
    fraction over the last ``OBJECTIVE_WINDOW`` iterations.

    Returns
    -------
    coef : ndarray of shape (stop - start, n_params)
    info : dict
        ``n_iter``, ``n_evals``, ``loss``, ``converged``, ``status`` (of
        :func:`~sklearn_plm._lbfgs.minimize_lbfgs`), ``grad_max`` and ``message``.
    """
    fun, counter = _objective(datafit, penalty, start, stop, n_threads, symmetric, abort)
    # a datafit may ask for float32 correction pairs (it evaluates in float32);
    # one that writes its gradient to out= gets the solver's two arrays. coef0
    # is the solver's (see BaseSolver.fit): its array takes trial points.
    res = minimize_lbfgs(fun, np.asarray(coef0, dtype=np.float64).ravel(), m=maxcor,
                         max_iter=max_iter, gtol=tol, ftol=_FTOL,
                         history_dtype=getattr(datafit, "history_dtype", np.float64),
                         n_threads=n_threads, callback=callback,
                         grad_out=getattr(datafit, "grad_out", False), overwrite_x0=True,
                         gnorm=stopping_rule(tol_norm), delta=tol_objective,
                         past=OBJECTIVE_WINDOW)
    info = {
        "n_iter": int(res.nit),
        "n_evals": counter["n_evals"],
        "loss": float(res.fun),
        "converged": res.status == 0,
        "status": res.status,
        "grad_max": float(np.max(np.abs(res.grad), initial=0.0)),
        "message": res.message,
        "sites": (start, stop),
    }
    return res.x.reshape(coef0.shape), info


def _release(datafit):
    """Drop the datafit's scratch arrays at the end of a fit (see the datafit interface)."""
    release = getattr(datafit, "release_buffers", None)
    if release is not None:
        release()


def _split_arrays(datafit):
    """Datafit without its arrays, plus the arrays.

    Arrays passed as top-level task arguments are shipped to a Dask cluster
    once per fit (joblib scatters large arguments), not once per block.
    """
    names = tuple(k for k, v in vars(datafit).items() if isinstance(v, np.ndarray))
    light = copy.copy(datafit)
    for name in names:
        setattr(light, name, None)
    return light, names, [getattr(datafit, name) for name in names]


def _block_task(block_fn, light, names, penalty, coef0, block, kwargs, *arrays):
    t0 = time.perf_counter()
    datafit = copy.copy(light)
    datafit.__dict__.update(zip(names, arrays))
    kwargs = dict(kwargs)
    kwargs["abort"] = _ABORT_FLAGS.get(kwargs.pop("abort_key"))
    coef, info = block_fn(datafit, penalty, coef0, *block, **kwargs)
    info["time"] = time.perf_counter() - t0
    return coef, info


def _worker_died(exc):
    # A Dask worker that dies takes the data scattered to it along: its
    # tasks are then cancelled (distributed's FutureCancelledError is a
    # concurrent.futures.CancelledError) or, after repeated deaths, KilledWorker.
    return isinstance(exc, CancelledError) or type(exc).__name__ == "KilledWorker"


def _run_blocks(run):
    """``run()``, once more if a worker of the parallel backend died meanwhile.

    The site blocks are deterministic, so running them again gives the same
    result; the joblib call scatters the data again to the workers alive.
    """
    try:
        return run()
    except Exception as exc:
        if not _worker_died(exc):
            raise
        warnings.warn(f"A parallel worker died during the fit ({type(exc).__name__}: "
                      f"{exc}); running the site blocks again.", RuntimeWarning)
    try:
        return run()
    except Exception as exc:
        if not _worker_died(exc):
            raise
        raise RuntimeError(
            "A parallel worker died during the fit, twice (the second time "
            f"{type(exc).__name__}: {exc}). The estimator is unchanged. Check the "
            "workers' logs and memory limits (a worker killed for using too much memory "
            "needs fewer features per worker or more memory), then fit again."
        ) from exc


def fit_lbfgs(datafit, penalty, coef0, *, tol, max_iter, symmetric, n_jobs, callback=None,
              **options):
    """L-BFGS over all sites: one joint problem if symmetric, else site blocks.

    ``callback(n_iter, f, g, g_size)`` is called after each iteration of a
    single problem (site blocks run in parallel report only when they end).
    ``options`` go to :func:`lbfgs_block` (``tol_norm``, ``tol_objective``).
    Returns the parameters (n_sites, n_params) and one info dict per block.
    """
    return fit_blocks(lbfgs_block, datafit, penalty, coef0, tol=tol, max_iter=max_iter,
                      symmetric=symmetric, n_jobs=n_jobs, callback=callback, **options)


def fit_blocks(block_fn, datafit, penalty, coef0, *, tol, max_iter, symmetric, n_jobs,
               callback=None, **options):
    """Run ``block_fn`` on one joint problem if symmetric, else on the site blocks.

    ``block_fn(datafit, penalty, coef0, start, stop, *, tol, max_iter,
    n_threads, symmetric, abort, callback, **options) -> (coef, info)`` solves
    one block (:func:`lbfgs_block`, :func:`fista_block`); ``options`` are the
    block solver's own stopping options (``tol_norm``, ...).
    """
    n_sites = datafit.n_sites
    blocks = site_blocks(n_sites)
    if symmetric or len(blocks) == 1:
        # One problem: solved in this thread, with the threads inside its
        # evaluations. Through a joblib worker thread, two BLAS threads made a
        # one-block fit (N=60, P=20000) 1.6x slower instead of faster.
        n_threads = effective_n_threads(n_jobs)
        try:
            with _blas_limit(datafit, n_threads):
                coef, info = block_fn(datafit, penalty, coef0, 0, n_sites, tol=tol,
                                      max_iter=max_iter, n_threads=n_threads,
                                      symmetric=symmetric, callback=callback, **options)
        finally:
            _release(datafit)
        return coef, [info]
    # Thread workers cannot be killed: on Ctrl-C they see this flag at their
    # next evaluation and stop, so an interrupted fit returns promptly.
    abort = threading.Event()
    key = id(abort)
    _ABORT_FLAGS[key] = abort
    # Spare workers (fewer blocks than n_jobs) go to the blocks' kernels.
    n_threads = max(1, effective_n_threads(n_jobs) // len(blocks))
    kwargs = {"tol": tol, "max_iter": max_iter, "n_threads": n_threads, "abort_key": key,
              **options}
    light, names, arrays = _split_arrays(datafit)
    # BLAS threads per block capped at n_jobs / n_blocks: OpenBLAS threads
    # spin-waiting against joblib workers (or any other load on the machine)
    # cost 3-50x on small problems.
    try:
        with _blas_limit(datafit, n_threads):
            workers = parallel_workers(n_jobs, len(blocks))
            results = _run_blocks(
                lambda: Parallel(n_jobs=workers, prefer="threads")(
                    delayed(_block_task)(block_fn, light, names, penalty, coef0[a:b], (a, b),
                                         kwargs, *arrays)
                    for a, b in blocks))
    except BaseException:
        abort.set()
        raise
    finally:
        _ABORT_FLAGS.pop(key, None)
    coef = np.vstack([c for c, _ in results])
    return coef, [info for _, info in results]


# Gradient descent counts as diverging when its objective exceeds this many
# times the larger of its starting value and 1, or stops being finite.
_DIVERGENCE_FACTOR = 1e3
# On divergence the step goes back to the last good parameters with the
# learning rate divided by this (the paper's code used 10); after
# _MAX_BACKOFFS such restarts the fit gives up with an error.
_BACKOFF = 10.0
_MAX_BACKOFFS = 5


class GradientDescentDiverged(FloatingPointError):
    """Gradient descent kept diverging after reducing its learning rate."""


def _minibatches(n_samples, batch_size, rng):
    """Index arrays of one epoch: all samples once, shuffled (one batch if batch_size is None)."""
    if batch_size is None or batch_size >= n_samples:
        return [slice(None)]
    order = rng.permutation(n_samples)
    return [np.sort(order[k:k + batch_size]) for k in range(0, n_samples, batch_size)]


def fit_gradient_descent(datafit, penalty, coef0, *, learning_rate, max_iter, tol, clip,
                         symmetric, n_jobs, callback=None, batch_size=None,
                         learning_rate_decay=1.0, random_state=None, tol_norm="max"):
    """Gradient descent, the protocol of the paper: full batch or shuffled mini-batches.

    Epoch ``e`` (from 0) visits all samples once, in mini-batches of
    ``batch_size`` drawn without replacement from a fresh permutation
    (``datafit.batch``), each taking one step
    ``coef -= learning_rate * learning_rate_decay**e * grad`` on the batch's
    objective (the mean over its samples plus the penalty, an unbiased
    estimate of the full one). The gradient of all sites is rescaled to norm
    ``clip`` when it is longer. Full batch stops early when the gradient's
    size by the rule ``tol_norm`` is at most ``tol``.

    When the objective stops being finite or exceeds ``_DIVERGENCE_FACTOR``
    times the starting one, the last step is undone and the epoch restarts
    from the last good parameters with the learning rate divided by
    ``_BACKOFF``, with a
    ConvergenceWarning; after ``_MAX_BACKOFFS`` restarts a
    :class:`GradientDescentDiverged` error says which learning rate to use.
    """
    n_sites = datafit.n_sites
    coef = np.array(coef0, dtype=np.float64)
    n_threads = effective_n_threads(n_jobs)
    rng = check_random_state(random_state)
    size = stopping_rule(tol_norm)
    full, counter = _objective(datafit, penalty, 0, n_sites, n_threads, symmetric)
    loss, converged, epoch, backoffs, limit = np.nan, False, 0, 0, None
    # Two parameter buffers: each step writes the new point into the other one,
    # so the last point that passed the divergence check ("good") is kept
    # without a copy per step (a copy, a temporary for step * g and an abs of
    # g were 40 % of an epoch of a 202-column Potts fit on few sequences).
    good = coef.copy()
    n_evals = 0
    with _blas_limit(datafit, n_threads):
        while epoch < max_iter:
            step = learning_rate * learning_rate_decay**epoch / _BACKOFF**backoffs
            diverged = False
            for rows in _minibatches(datafit.n_samples, batch_size, rng):
                if isinstance(rows, slice):
                    fun = full
                else:
                    part = datafit.batch(rows)
                    fun, _ = _objective(part, penalty, 0, n_sites, n_threads, symmetric)
                    n_evals += 1
                loss, g = fun(coef.ravel())
                if limit is None:
                    limit = _DIVERGENCE_FACTOR * max(abs(loss), 1.0)
                # max and min propagate NaN, and are inf when g holds one
                g_max = max(float(g.max()), -float(g.min())) if g.size else 0.0
                if not (np.isfinite(loss) and loss <= limit and np.isfinite(g_max)):
                    diverged = True
                    break
                good, coef = coef, good  # its objective passed the check
                if isinstance(rows, slice) and (
                        g_max if size is max_abs_size else size(g, good.ravel(), n_threads)
                ) <= tol:
                    coef = good
                    converged = True
                    break
                if clip is not None:
                    norm = np.linalg.norm(g)
                    if norm > clip:
                        g *= clip / norm
                g *= step
                np.subtract(good, g.reshape(coef.shape), out=coef)
            if diverged:
                backoffs += 1
                if backoffs > _MAX_BACKOFFS:
                    raise GradientDescentDiverged(
                        f"Gradient descent diverged at epoch {epoch + 1} (objective {loss:.3g}) "
                        f"even with the learning rate reduced to {step:.3g}. Use a smaller "
                        f"learning_rate (the L2 term alone needs learning_rate * alpha < 2), "
                        f"a gradient clip (clip=...), or solver='lbfgs'.")
                warnings.warn(
                    f"Gradient descent diverged at epoch {epoch + 1} (objective {loss:.3g}); "
                    f"restarting the epoch from the last finite couplings with the learning "
                    f"rate divided by {_BACKOFF:g} (now {step / _BACKOFF:.3g}). Use a smaller "
                    "learning_rate to avoid this.", ConvergenceWarning)
                coef = good.copy()
                continue
            if converged:
                break
            epoch += 1
            if callback is not None:
                callback(epoch, coef, loss)
    _release(datafit)
    info = {"n_iter": epoch, "n_evals": counter["n_evals"] + n_evals, "loss": float(loss),
            "converged": converged, "message": "", "sites": (0, n_sites),
            "learning_rate_reductions": backoffs}
    return coef, [info]


# Proximal gradient: the Lipschitz estimate is multiplied by this when the
# sufficient-decrease test fails (datafits without a ``lipschitz`` bound).
_BACKTRACK = 2.0


def fista_block(datafit, penalty, coef0, start, stop, *, tol, max_iter, n_threads=1,
                symmetric=False, abort=None, callback=None, tol_norm="max"):
    """Accelerated proximal gradient (FISTA) on datafit + penalty over sites ``start:stop``.

    The datafit is the smooth part; the whole penalty enters through its
    ``prox``. The step is ``1 / L`` with ``L = datafit.lipschitz()``, a
    bound on the curvature of the data term, when the datafit has one, else
    found by backtracking (Beck and Teboulle 2009). The momentum restarts
    when it points uphill (O'Donoghue and Candes 2015). The fit stops when
    the size (by the rule ``tol_norm``: by default its largest entry) of the
    gradient mapping ``L (y - prox(y - g / L))``, which is zero exactly at
    an optimum, is at most ``tol``.

    Returns
    -------
    coef : ndarray of shape (stop - start, n_params)
    info : dict
        As :func:`lbfgs_block`; ``grad_max`` is the largest distance of the
        final gradient to the penalty's subdifferential.
    """
    fun, counter = _objective(datafit, None, start, stop, n_threads, symmetric, abort)
    shape = (stop - start, datafit.n_params)
    x = np.array(coef0, dtype=np.float64).reshape(shape)
    lipschitz = getattr(datafit, "lipschitz", None)
    fixed = lipschitz is not None
    size = stopping_rule(tol_norm)
    L = float(lipschitz()) if fixed else 1.0
    y, t, n_iter, converged, status = x.copy(), 1.0, 0, False, 1
    f_y, g_y = fun(y.ravel())
    # Few parameter-sized temporaries: the step and the momentum reuse the
    # gradient's and the difference's buffers.
    while n_iter < max_iter:
        n_iter += 1
        while True:
            x_new = g_y.reshape(shape) if fixed else g_y.reshape(shape).copy()
            x_new *= -1.0 / L
            x_new += y
            penalty.prox(x_new, 1.0 / L, start)
            d = np.subtract(x_new, y, out=y if fixed else None)  # y is not needed again
            if fixed:
                break
            f_new, g_new = fun(x_new.ravel())
            if f_new <= f_y + float(np.vdot(g_y, d)) + 0.5 * L * float(np.vdot(d, d)):
                break
            L *= _BACKTRACK
        mapping = L * size(d.ravel(), x_new.ravel(), n_threads)
        if callback is not None:
            callback(n_iter, f_y, d * L, mapping)
        if mapping <= tol:
            x, converged, status = x_new, True, 0
            break
        diff = np.subtract(x_new, x, out=x)
        # restart when the momentum step goes against the proximal step
        if float(np.vdot(d, diff)) < 0:
            t = 1.0
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        momentum = (t - 1.0) / t_next
        diff *= momentum
        diff += x_new
        y, x, t = diff, x_new, t_next
        if not fixed and momentum == 0.0:
            f_y, g_y = f_new, g_new  # y is x_new: its evaluation is at hand
        else:
            f_y, g_y = fun(y.ravel())
    f_x, g_x = fun(x.ravel())
    g_x = g_x.reshape(shape)
    # in row chunks: the distances' temporaries stay small
    step = max(1, -(-len(x) // 8))
    grad_max = max((float(np.max(penalty.subdiff_distance(x[r:r + step], g_x[r:r + step],
                                                          start + r), initial=0.0))
                    for r in range(0, len(x), step)), default=0.0)
    info = {
        "n_iter": n_iter, "n_evals": counter["n_evals"],
        "loss": float(f_x + penalty.value(x, start)), "converged": converged,
        "status": status, "grad_max": grad_max, "message": "", "sites": (start, stop),
    }
    return x, info


class BaseSolver:
    """A solver: its hyper-parameters, what it needs, its memory and its start.

    Subclasses set

    ``name``
        The estimator's ``solver=`` string, the key of :data:`SOLVERS`.
    ``penalty_needs``, ``datafit_needs``
        Attributes that must be true (capabilities such as ``"smooth"`` or
        ``"proximal"``) or present (methods) on the penalty and the
        datafit; :meth:`check` refuses any other pair before solving.
    ``start``
        The starting point asked of the datafit (``datafit.initial_coef``).
    ``flat_parameters``
        Whether it works on any flat vector, so a datafit may hand it a
        packed layout (``datafit.for_solver``).

    and implement :meth:`fit` and :meth:`fit_arrays`. ``__init__`` takes the
    hyper-parameters by name; :meth:`from_estimator` reads those an estimator has.
    """

    name = None
    penalty_needs = ()
    datafit_needs = ("value_grad",)
    start = "optimum"
    flat_parameters = True

    @classmethod
    def _param_names(cls):
        import inspect

        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    @classmethod
    def from_estimator(cls, estimator):
        """This solver with the hyper-parameters the estimator has."""
        return cls(**{k: getattr(estimator, k) for k in cls._param_names()
                      if hasattr(estimator, k)})

    def check(self, datafit, penalty, owner="the estimator"):
        """Raise ValueError unless this solver can minimize ``datafit + penalty``."""
        for what, obj, needs in (("penalty", penalty, self.penalty_needs),
                                 ("datafit", datafit, self.datafit_needs)):
            missing = [n for n in needs if not getattr(obj, n, False)]
            if missing:
                able = sorted(name for name, cls in SOLVERS.items()
                              if all(getattr(penalty, n, False) for n in cls.penalty_needs)
                              and all(getattr(datafit, n, False) for n in cls.datafit_needs))
                raise ValueError(
                    f"solver={self.name!r} needs a {what} with {', '.join(missing)}, "
                    f"which the {what} of {owner} ({type(obj).__name__}) does not have. "
                    f"Use solver={' or '.join(map(repr, able)) or 'none'} "
                    "for this penalty.")

    def fit_arrays(self, n_sites, *, symmetric, n_jobs, packed=False):
        """Peak of a fit, in parameter-sized (n_sites, n_sites) float64 arrays."""
        raise NotImplementedError

    def fit(self, datafit, penalty, coef0, *, symmetric, n_jobs, owner="Estimator"):
        """Minimize; returns ``(coef, n_iter, loss)``.

        ``coef0`` is the solver's: it may write into it (L-BFGS puts its
        trial points there once the first step has left it), so callers pass
        an array they do not use afterwards.
        """
        raise NotImplementedError


def _progress(owner, verbose, tol, t0, tol_norm="max"):
    """Callback printing every 10th iteration (every one with ``verbose >= 2``)."""
    every = 1 if verbose >= 2 else 10
    label = RULE_LABELS[tol_norm]

    def callback(n_iter, f, g, g_size):
        if n_iter % every == 0:
            print(f"[{owner}] iteration {n_iter}: loss = {f:.6f}, "
                  f"{label} = {g_size:.2e} (tol {tol:g}), "
                  f"time = {time.perf_counter() - t0:.2f}s", flush=True)

    return callback


class _BlockSolver(BaseSolver):
    """Solvers of site blocks (or one symmetric problem) through :func:`fit_blocks`."""

    label = None
    # Parameter-sized arrays of one block's workspace, and of a packed
    # symmetric fit (None: half the packed base plus the workspace).
    _block_arrays = FIT_ARRAYS
    _base_arrays = _LBFGS_BASE_ARRAYS
    _packed_arrays = None

    def __init__(self, tol=1e-5, max_iter=200, verbose=0, tol_norm="max"):
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose
        self.tol_norm = tol_norm

    def fit_arrays(self, n_sites, *, symmetric, n_jobs, packed=False):
        # Asymmetric fits run ``min(n_jobs, n_blocks)`` site blocks at a
        # time, each with the workspace of its own share of the sites; a
        # symmetric fit is one problem over all of them, ``packed`` over the
        # free half of the parameters.
        if packed:
            return (_PACKED_BASE_ARRAYS + self._block_arrays / 2 if self._packed_arrays is None
                    else self._packed_arrays)
        n_blocks = len(site_blocks(n_sites))
        if symmetric or n_blocks == 1:
            return _SYMMETRIC_BASE_ARRAYS + self._block_arrays
        concurrent = parallel_workers(n_jobs, n_blocks)
        return self._base_arrays + self._block_arrays * concurrent / n_blocks

    def _run(self, datafit, penalty, coef0, symmetric, n_jobs, callback):
        raise NotImplementedError

    def fit(self, datafit, penalty, coef0, *, symmetric, n_jobs, owner="Estimator"):
        t0 = time.perf_counter()
        coef, infos = self._run(datafit, penalty, coef0, symmetric, n_jobs,
                                _progress(owner, self.verbose, self.tol, t0, self.tol_norm)
                                if self.verbose else None)
        if self.verbose:
            for k, info in enumerate(infos):
                a, b = info["sites"]
                where = (f"block {k + 1}/{len(infos)} (sites {a}-{b - 1})" if len(infos) > 1
                         else "all sites")
                print(f"[{owner}] {where}: "
                      f"{info['n_iter']} iterations, loss = {info['loss']:.6f}, "
                      f"time = {info.get('time', time.perf_counter() - t0):.2f}s")
        n_capped = sum(info["status"] == 1 for info in infos)
        stuck = [info for info in infos if info["status"] == 2]
        if n_capped:
            warnings.warn(
                f"{self.label} did not converge in max_iter={self.max_iter} iterations for "
                f"{n_capped} of {len(infos)} site blocks. Increase max_iter or alpha.",
                ConvergenceWarning,
            )
        if stuck:
            worst = max(info["grad_max"] for info in stuck)
            warnings.warn(
                f"{self.label} stopped before tol={self.tol} for {len(stuck)} of {len(infos)} "
                f"site blocks: no lower objective was found (largest gradient entry "
                f"{worst:.2g}), so the objective is at the limit of its floating-point "
                "precision there. Fit float64 data for a tighter optimum, or increase tol.",
                ConvergenceWarning,
            )
        n_iter = max(1, max(info["n_iter"] for info in infos))
        return coef, n_iter, float(sum(info["loss"] for info in infos))


class LBFGS(_BlockSolver):
    """L-BFGS (:func:`~sklearn_plm._lbfgs.minimize_lbfgs`) for smooth penalties.

    Stops when the gradient's size by the rule ``tol_norm`` (by default its
    largest entry) is at most ``tol``, when the objective fell by less than
    the fraction ``tol_objective`` (if positive) over the last
    ``OBJECTIVE_WINDOW`` iterations, or after ``max_iter`` iterations per
    site block.
    """

    name = "lbfgs"
    label = "L-BFGS"
    penalty_needs = ("smooth",)
    _packed_arrays = _PACKED_BASE_ARRAYS + _PACKED_LBFGS_ARRAYS / 2

    def __init__(self, tol=1e-5, max_iter=200, verbose=0, tol_norm="max", tol_objective=0.0):
        super().__init__(tol=tol, max_iter=max_iter, verbose=verbose, tol_norm=tol_norm)
        self.tol_objective = tol_objective

    def _run(self, datafit, penalty, coef0, symmetric, n_jobs, callback):
        return fit_lbfgs(datafit, penalty, coef0, tol=self.tol, max_iter=self.max_iter,
                         symmetric=symmetric, n_jobs=n_jobs, callback=callback,
                         tol_norm=self.tol_norm, tol_objective=self.tol_objective)


# Parameter-sized arrays of a proximal-gradient block: the iterate, the
# extrapolated point, the trial point and its step, the gradient and the
# final optimality check. Peaks measured with tracemalloc against (N, N)
# float64 (Ising N=400, P=40, max_iter=10, L1): 3.6 with 8 site blocks at
# n_jobs=1, 4.0 at n_jobs=2, 9.3 symmetric; Potts q=21, N=40: 9.0 (one
# block), 5.9 packed symmetric.
_FISTA_ARRAYS = 7
_FISTA_PACKED_ARRAYS = 6.5


class FISTA(_BlockSolver):
    """Accelerated proximal gradient (:func:`fista_block`) for penalties with a ``prox``.

    The solver of non-smooth penalties (L1, elastic net): couplings reach
    exact zeros. Stops when the gradient mapping's size by the rule
    ``tol_norm`` (by default its largest entry) is at most ``tol`` or after
    ``max_iter`` iterations per site block.
    """

    name = "fista"
    label = "FISTA"
    penalty_needs = ("proximal",)
    _block_arrays = _FISTA_ARRAYS
    _base_arrays = _FISTA_BASE_ARRAYS
    _packed_arrays = _FISTA_PACKED_ARRAYS

    def _run(self, datafit, penalty, coef0, symmetric, n_jobs, callback):
        if hasattr(datafit, "lipschitz"):
            datafit.lipschitz()  # once, before the site blocks copy the datafit
        return fit_blocks(fista_block, datafit, penalty, coef0, tol=self.tol,
                          max_iter=self.max_iter, symmetric=symmetric, n_jobs=n_jobs,
                          callback=callback, tol_norm=self.tol_norm)


class GradientDescent(BaseSolver):
    """The paper's gradient descent (:func:`fit_gradient_descent`), full batch or mini-batches.

    Starts from the datafit's training-path start (the Hebb rule for binary
    models) and works in the one-row-per-site layout.
    """

    name = "gd"
    penalty_needs = ("smooth",)
    # epochs and mini-batches count the samples
    datafit_needs = ("value_grad", "n_samples")
    start = "path"
    flat_parameters = False

    def __init__(self, learning_rate=1.0, max_iter=200, tol=1e-5, clip=None, batch_size=None,
                 learning_rate_decay=1.0, random_state=None, verbose=0, tol_norm="max"):
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.clip = clip
        self.batch_size = batch_size
        self.learning_rate_decay = learning_rate_decay
        self.random_state = random_state
        self.verbose = verbose
        self.tol_norm = tol_norm

    def fit_arrays(self, n_sites, *, symmetric, n_jobs, packed=False):
        return _GD_ARRAYS

    def fit(self, datafit, penalty, coef0, *, symmetric, n_jobs, owner="Estimator"):
        t0 = time.perf_counter()
        callback = None
        if self.verbose:
            def callback(epoch, coef, loss):
                if epoch % 10 == 0:
                    print(f"[{owner}] epoch {epoch}, loss = {loss:.6f}, "
                          f"time = {time.perf_counter() - t0:.2f}s")
        coef, infos = fit_gradient_descent(
            datafit, penalty, coef0, learning_rate=self.learning_rate,
            max_iter=self.max_iter, tol=self.tol, clip=self.clip,
            symmetric=symmetric, n_jobs=n_jobs, callback=callback,
            batch_size=self.batch_size, learning_rate_decay=self.learning_rate_decay,
            random_state=self.random_state, tol_norm=self.tol_norm)
        n_iter = max(1, max(info["n_iter"] for info in infos))
        return coef, n_iter, float(sum(info["loss"] for info in infos))


#: The solvers, by the estimators' ``solver=`` name: the one table to extend.
SOLVERS = {cls.name: cls for cls in (LBFGS, GradientDescent, FISTA)}


def make_solver(estimator):
    """The solver object named by ``estimator.solver``, with the estimator's settings."""
    return SOLVERS[estimator.solver].from_estimator(estimator)


def solve(estimator, datafit, penalty, coef0):
    """Minimize ``datafit + penalty`` by the estimator's solver, after checking the pair.

    ``penalty`` is bound to the datafit's layout here; ``coef0`` is the
    solver's to overwrite (see :meth:`BaseSolver.fit`). Returns the
    parameters, the largest iteration count over site blocks, and the final
    objective summed over blocks.
    """
    solver = make_solver(estimator)
    penalty = penalty.bind(datafit.layout) if penalty.n_couplings is None else penalty
    owner = type(estimator).__name__
    solver.check(datafit, penalty, owner)
    return solver.fit(datafit, penalty, coef0, symmetric=estimator.symmetric,
                      n_jobs=estimator.n_jobs, owner=owner)
