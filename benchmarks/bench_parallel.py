"""Section 4: what the second core buys (wall clock; needs an idle machine to mean much).

* ``PseudoLikelihoodMemory(n_jobs=2)`` vs ``n_jobs=1``: site blocks on two
  joblib threads, BLAS pinned to one thread per block.
* Single-problem fits, where the second core goes inside the evaluation: a
  symmetric fit (two BLAS threads) and a Potts fit with one site block (two
  OpenMP threads in the gather kernel).
* Synchronous recall through ``complete()`` with ``n_jobs=2`` (rows split
  across two threads) against ``n_jobs=1``.
* The OpenMP kernels with 1 and 2 threads: asynchronous recall and the
  elementwise loss/residual pass of the objective.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_plm import PottsPseudoLikelihoodMemory, PseudoLikelihoodMemory
from sklearn_plm._pseudolikelihood_fast import ising_residual
from sklearn_plm._recall import RecallOptions, complete_spins

from _harness import Row, check, fmt_s, log, median, noisy_probes, paired, random_patterns


def parallel_rows(cfg):
    rows = []
    N = cfg.parallel_n
    P = 2 * N
    X = random_patterns(P, N, seed=cfg.seed)
    log(f"[4] n_jobs=1 vs 2, N={N}, P={P}")

    def fit(n_jobs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return PseudoLikelihoodMemory(max_iter=cfg.parallel_max_iter, n_jobs=n_jobs).fit(X)

    t1, t2 = paired(lambda: fit(1), lambda: fit(2), cfg.repeats, clock="wall")
    same = np.array_equal(fit(1).coupling_, fit(2).coupling_)
    ratios = list(t1 / t2)
    rows.append(Row(
        "4", f"asymmetric fit, N={N}, P={P}, max_iter={cfg.parallel_max_iter}",
        f"{fmt_s(median(t2))} (n_jobs=2)", f"{fmt_s(median(t1))} (n_jobs=1)",
        "n_jobs=1 / n_jobs=2 (wall s)", ratios, ">= 1.6 (idle machine)",
        check(ratios, ">=", 1.6), f"bit-identical couplings: {same}"))

    rows += single_problem_rows(cfg)

    est = fit(2)
    J = est.coupling_
    probes, _ = noisy_probes(X[: N // 2], cfg.recall_probes, 0.1, seed=cfg.seed + 1)
    free = np.ones(probes.shape, dtype=bool)
    b = np.zeros(N, dtype=np.float32)

    def complete(n_jobs):
        return est.set_params(n_jobs=n_jobs, recall="sync").complete(probes)

    t1, t2 = paired(lambda: complete(1), lambda: complete(2), cfg.repeats, clock="wall",
                    min_time=cfg.min_time)
    same = np.array_equal(complete(1).X, complete(2).X)
    ratios = list(t1 / t2)
    rows.append(Row(
        "4", f"sync recall through complete(), {cfg.recall_probes} probes, N={N}",
        f"{fmt_s(median(t2))} (n_jobs=2)", f"{fmt_s(median(t1))} (n_jobs=1)",
        "n_jobs=1 / n_jobs=2 (wall s)", ratios, "", None,
        f"rows split across two threads; identical states: {same}"))

    def recall(n_threads):
        options = RecallOptions("async", max_iter=100, seed=1, n_threads=n_threads)
        return complete_spins(probes.copy(), free, J, b, 1.0, options)

    t1, t2 = paired(lambda: recall(1), lambda: recall(2), cfg.repeats, clock="wall",
                    min_time=cfg.min_time)
    ratios = list(t1 / t2)
    rows.append(Row(
        "4", f"async recall kernel, {cfg.recall_probes} probes, N={N}",
        f"{fmt_s(median(t2))} (2 threads)", f"{fmt_s(median(t1))} (1 thread)",
        "1 thread / 2 threads (wall s)", ratios, "", None, "OpenMP over probes"))

    rows_h = 8 * P
    S = random_patterns(rows_h, N, seed=cfg.seed + 2)
    H0 = (np.random.default_rng(cfg.seed).standard_normal((rows_h, N)) * 3).astype(np.float32)
    w = np.full(rows_h, 1.0 / rows_h)
    loss = np.empty(rows_h)
    H = H0.copy()

    def kernel(n_threads):
        H[...] = H0
        ising_residual(H, S, 0, w, 1.0, loss, n_threads)

    t1, t2 = paired(lambda: kernel(1), lambda: kernel(2), cfg.repeats, clock="wall",
                    min_time=cfg.min_time)
    ratios = list(t1 / t2)
    rows.append(Row(
        "4", f"loss/residual kernel, {rows_h} x {N} float32",
        f"{fmt_s(median(t2))} (2 threads)", f"{fmt_s(median(t1))} (1 thread)",
        "1 thread / 2 threads (wall s)", ratios, "", None, "OpenMP over samples; includes a copy"))
    return rows


def single_problem_rows(cfg):
    """n_jobs=2 against 1 where there is one problem: threads inside the evaluation."""
    rows = []
    N = min(cfg.parallel_n, 600)
    X = random_patterns(2 * N, N, seed=cfg.seed)
    Pq = 4 * cfg.parallel_n
    Xq = np.random.default_rng(cfg.seed).integers(0, 21, size=(Pq, 31)).astype(np.float64)
    cases = [
        (f"symmetric fit, N={N}, P={2 * N}, max_iter={cfg.parallel_max_iter}", X,
         lambda n_jobs: PseudoLikelihoodMemory(symmetric=True, max_iter=cfg.parallel_max_iter,
                                               n_jobs=n_jobs), "two BLAS threads"),
        (f"Potts fit, N=31, P={Pq}, q=21 (one site block), max_iter={cfg.parallel_max_iter}",
         Xq, lambda n_jobs: PottsPseudoLikelihoodMemory(max_iter=cfg.parallel_max_iter,
                                                        n_jobs=n_jobs),
         "two OpenMP threads in the gather kernel"),
    ]
    for name, data, make, how in cases:
        log(f"[4] {name}")

        def fit(n_jobs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return make(n_jobs).fit(data)

        t1, t2 = paired(lambda: fit(1), lambda: fit(2), cfg.repeats, clock="wall")
        ratios = list(t1 / t2)
        rows.append(Row("4", name, f"{fmt_s(median(t2))} (n_jobs=2)",
                        f"{fmt_s(median(t1))} (n_jobs=1)", "n_jobs=1 / n_jobs=2 (wall s)",
                        ratios, "", None, how))
    return rows
