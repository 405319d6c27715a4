"""The library's L-BFGS against SciPy's L-BFGS-B on the library's own fits.

usage: python benchmarks/bench_solvers.py

Each fit runs twice through the public estimators, once with
``sklearn_plm._lbfgs.minimize_lbfgs`` (the default) and once with SciPy's
L-BFGS-B swapped in behind the same interface, and prints the final
objective, the iterations (largest over site blocks) and the process CPU
seconds of both. Same data, tolerances and L-BFGS memory; BLAS on one thread.
The objectives must agree to the fits' tolerance: this is a check of the
solver as much as a timing. The WW-domain rows need
``pip install --no-deps logomaker`` and are skipped without it.
"""

import os
import time
import warnings

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

import sklearn_plm._solvers as solvers
from sklearn_plm import PottsPseudoLikelihoodMemory, PseudoLikelihoodMemory
from sklearn_plm._lbfgs import LBFGSResult
from sklearn_plm.datasets import load_binarized_digits, load_ww_domain, sequence_weights


def scipy_lbfgsb(fun, x0, *, m, max_iter, gtol, ftol, history_dtype=np.float64):
    """SciPy's L-BFGS-B behind the interface of ``minimize_lbfgs`` (float64 history)."""
    res = minimize(fun, x0, jac=True, method="L-BFGS-B",
                   options={"maxiter": max_iter, "gtol": gtol, "ftol": ftol, "maxcor": m})
    status = {0: 0, 1: 1}.get(int(res.status), 2)
    return LBFGSResult(x=res.x, fun=float(res.fun), grad=res.jac, nit=int(res.nit),
                       nfev=int(res.nfev), status=status, message=str(res.message))


def cases():
    digits = load_binarized_digits().data
    rng = np.random.default_rng(0)
    random32 = rng.choice([-1.0, 1.0], size=(600, 300)).astype(np.float32)
    yield "digits, asymmetric, alpha=1e-2", PseudoLikelihoodMemory(alpha=1e-2), digits, None
    yield ("digits, symmetric with fields, alpha=1e-3",
           PseudoLikelihoodMemory(alpha=1e-3, symmetric=True, fit_fields=True), digits, None)
    yield ("random N=300 P=600 float32, alpha=1e-4",
           PseudoLikelihoodMemory(alpha=1e-4, max_iter=1000), random32, None)
    try:
        ww = load_ww_domain()
    except ImportError as exc:
        print(f"WW domain skipped: {exc}")
        return
    X = ww.data.astype(np.float64)
    w = sequence_weights(X, identity=0.8)
    yield "WW domain Potts, alpha=1e-2", PottsPseudoLikelihoodMemory(alpha=1e-2), X, w
    yield ("WW domain Potts, symmetric, alpha=1e-2",
           PottsPseudoLikelihoodMemory(alpha=1e-2, symmetric=True), X, w)


def fit(estimator, X, sample_weight, minimizer):
    solvers.minimize_lbfgs = minimizer
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.process_time()
            estimator.fit(X, sample_weight=sample_weight)
            return estimator.loss_, estimator.n_iter_, time.process_time() - t0
    finally:
        solvers.minimize_lbfgs = OWN


OWN = solvers.minimize_lbfgs


def main():
    print(f"load average at start: {os.getloadavg()}")
    print("\n| fit | ours: loss, iterations, CPU s | L-BFGS-B: loss, iterations, CPU s "
          "| relative loss difference | CPU ratio (L-BFGS-B / ours) |")
    print("|---|---|---|---|---|")
    with threadpool_limits(limits=1):
        for name, estimator, X, w in cases():
            lo, io, to = fit(estimator, X, w, OWN)
            ls, is_, ts = fit(estimator, X, w, scipy_lbfgsb)
            print(f"| {name} | {lo:.8g}, {io}, {to:.2f} | {ls:.8g}, {is_}, {ts:.2f} | "
                  f"{(lo - ls) / abs(ls):+.1e} | {ts / to:.2f} |", flush=True)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
