"""Potts (categorical) pseudo-likelihood: evaluation cost and time to convergence.

    python benchmarks/bench_potts.py [--quick] [--repeats R]

Rows:
* one loss+gradient evaluation of all sites (gather kernel, the default, and
  the one-hot GEMM formulation) against two bare GEMMs of the one-hot shapes
  ``(P, N q) @ (N q, N q)`` -- the BLAS floor of the one-hot formulation;
* time to convergence of ``PottsPseudoLikelihoodMemory`` on synthetic data
  (N = 100-200, P = 1000-5000, q = 21) and on the WW domain (N = 31, all
  4025 sequences, needs ``pip install --no-deps logomaker``).

BLAS and the kernels run on one thread (process CPU seconds are reported as
well as wall seconds), so the numbers are comparable on a shared machine.
"""

import argparse
import os
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_plm import PottsPseudoLikelihoodMemory
from sklearn_plm._potts_objective import PottsPseudoLikelihood, onehot


def _timed(fn, repeats):
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), min(walls), max(walls)


def _data(N, P, q, seed=0):
    rng = np.random.default_rng(seed)
    # a few conserved columns and correlated pairs, so the fit is not trivial
    X = rng.integers(0, q, size=(P, N))
    X[:, 1::7] = X[:, 0::7][:, : X[:, 1::7].shape[1]]
    return X


def bench_evaluation(N, P, q, dtype, repeats):
    X = _data(N, P, q)
    rows = []
    coef = np.random.default_rng(1).normal(scale=0.01, size=(N, (N * q + 1) * q))
    for method in ("gather", "onehot"):
        datafit = PottsPseudoLikelihood(q, 1.0, True, method=method).initialize(
            X.astype(np.int32), np.ones(P), dtype)
        med, cpu, lo, hi = _timed(lambda: datafit.value_grad(coef, 0, N, 1), repeats)
        rows.append((method, med, cpu, lo, hi))
    A = onehot(X, q, dtype)
    W = np.asarray(np.random.default_rng(2).normal(size=(N * q, N * q)), dtype=dtype)

    def two_gemms():
        R = A @ W.T
        R.T @ A

    med, cpu, lo, hi = _timed(two_gemms, repeats)
    rows.append(("two one-hot GEMMs", med, cpu, lo, hi))
    return rows


def bench_fit(name, X, sample_weight=None, **params):
    est = PottsPseudoLikelihoodMemory(**params)
    w0, c0 = time.perf_counter(), time.process_time()
    est.fit(X, sample_weight=sample_weight)
    return name, time.perf_counter() - w0, time.process_time() - c0, est.n_iter_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    shapes = [(31, 1000), (100, 1000)] if args.quick else [
        (31, 4025), (100, 1000), (100, 5000), (200, 1000), (200, 5000)]
    q = 21
    print(f"load average at start: {os.getloadavg()}")
    print("BLAS:", [(i.get("internal_api"), i.get("architecture")) for i in threadpool_info()
                    if i.get("user_api") == "blas"])
    with threadpool_limits(limits=1, user_api="blas"):
        print("\n| N | P | dtype | method | wall s (median) | CPU s | min-max wall | vs GEMM floor |")
        print("|---|---|---|---|---|---|---|---|")
        for N, P in shapes:
            for dtype in (np.float32, np.float64):
                rows = bench_evaluation(N, P, q, dtype, args.repeats)
                floor = rows[-1][1]
                for method, med, cpu, lo, hi in rows:
                    print(f"| {N} | {P} | {np.dtype(dtype).name} | {method} | {med:.4f} | "
                          f"{cpu:.4f} | {lo:.4f}-{hi:.4f} | {med / floor:.2f}x |", flush=True)

        print("\n| data | wall s | CPU s | L-BFGS iterations |")
        print("|---|---|---|---|")
        fits = [(N, P) for N, P in shapes if N > 31][:1 if args.quick else 4]
        for N, P in fits:
            X = _data(N, P, q).astype(np.float32)
            name, wall, cpu, n_iter = bench_fit(f"synthetic N={N} P={P} q={q}", X, alpha=1e-2)
            print(f"| {name} | {wall:.2f} | {cpu:.2f} | {n_iter} |", flush=True)
        try:
            from sklearn_plm.datasets import load_ww_domain, sequence_weights

            ww = load_ww_domain()
        except ImportError as exc:
            print(f"| WW domain | skipped: {exc} | | |")
        else:
            X = ww.data.astype(np.float64)
            w = sequence_weights(X, identity=0.8)
            name, wall, cpu, n_iter = bench_fit(
                f"WW domain N={X.shape[1]} P={X.shape[0]} q={len(ww.alphabet)}", X,
                sample_weight=w, alpha=1e-2)
            print(f"| {name} | {wall:.2f} | {cpu:.2f} | {n_iter} |", flush=True)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
