"""Section 3: large fits, wall time and peak memory, each in a fresh process.

``run.py`` starts this file as a worker (``--worker N P N_JOBS MAX_ITER SEED``)
so that the peak resident set size (``ru_maxrss``) belongs to that fit alone.

Memory budget of a fit: X as float32, plus J (N x N float64), plus the
L-BFGS history (2 * maxcor vectors of the parameters) of the site blocks that
run at the same time.
"""

import json
import os
import resource
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
from sklearn_plm._solvers import LBFGS_MEMORY as MAXCOR  # noqa: E402  L-BFGS memory of the solver


def _rss_peak_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(N, P, n_jobs, max_iter, seed):
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_plm import PseudoLikelihoodMemory
    from sklearn_plm._solvers import site_blocks

    from _harness import random_patterns

    imports = _rss_peak_bytes()
    X = random_patterns(P, N, seed=seed)
    before = _rss_peak_bytes()
    w0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = PseudoLikelihoodMemory(n_jobs=n_jobs, max_iter=max_iter).fit(X)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    blocks = site_blocks(N)
    widest = max(b - a for a, b in blocks)
    alive = min(n_jobs, len(blocks))
    history = 2 * MAXCOR * widest * N * 8 * alive
    print(json.dumps({
        "N": N, "P": P, "n_jobs": n_jobs, "wall": wall, "cpu": cpu, "n_iter": int(est.n_iter_),
        "loss": est.loss_, "peak": _rss_peak_bytes(), "imports": imports, "before_fit": before,
        "x_bytes": int(X.nbytes), "j_bytes": N * N * 8, "history_bytes": history,
        "n_blocks": len(blocks), "stable": float(np.mean(est.transform(X[:2000]) == X[:2000])),
    }))


def run_worker(N, P, n_jobs, max_iter, seed):
    cmd = [sys.executable, os.path.join(HERE, "bench_scale.py"), "--worker",
           str(N), str(P), str(n_jobs), str(max_iter), str(seed)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
    if res.returncode != 0:
        raise RuntimeError(f"scale worker failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def scale_rows(cfg):
    from _harness import Row, fmt_bytes, fmt_s, log, median

    rows = []
    for N, P, limit in cfg.scale_cases:
        log(f"[3] fit N={N}, P={P}, float32, n_jobs=2 (subprocess) x{cfg.scale_repeats}")
        runs = [run_worker(N, P, 2, cfg.scale_max_iter, cfg.seed) for _ in range(cfg.scale_repeats)]
        r = runs[0]
        budget = r["x_bytes"] + r["j_bytes"] + r["history_bytes"]
        walls = [run["wall"] for run in runs]
        if limit is not None:
            target, met = f"< {limit:.0f} s on 2 cores", median(walls) < limit
        else:
            target, met = "", None
        rows.append(Row(
            "3", f"fit to tol, N={N}, P={P}, float32, n_jobs=2", fmt_s(median(walls)),
            f"CPU {fmt_s(median([run['cpu'] for run in runs]))}", "wall s", walls, target, met,
            f"{r['n_iter']} L-BFGS iterations (largest block); loss {r['loss']:.4g}; "
            f"training bits stable {r['stable']:.1%}"))
        # the interpreter and its imports are not the fit's: measured before X exists
        peaks = [(run["peak"] - run["imports"]) / budget for run in runs]
        rows.append(Row(
            "3", f"peak memory, N={N}, P={P}", f"{fmt_bytes(r['peak'] - r['imports'])} "
            f"(RSS {fmt_bytes(r['peak'])} - {fmt_bytes(r['imports'])} after imports)",
            f"budget {fmt_bytes(budget)} (X {fmt_bytes(r['x_bytes'])} + J "
            f"{fmt_bytes(r['j_bytes'])} + history {fmt_bytes(r['history_bytes'])})",
            "(peak RSS - imports) / budget", peaks, "< 2.5", median(peaks) < 2.5,
            f"RSS with X, before fit: {fmt_bytes(r['before_fit'])}"))
    # memory must not grow with P beyond X itself: same N, P and 4 P, few iterations
    N, P = cfg.growth_case
    small, large = (run_worker(N, p, 2, 3, cfg.seed) for p in (P, 4 * P))
    def beyond_x(run):
        return run["peak"] - run["imports"] - run["x_bytes"]

    measurable = beyond_x(small) > 16 * 2**20  # below that, allocator noise dominates
    rows.append(Row(
        "3", f"memory beyond X as P grows, N={N}, P={P} -> {4 * P}",
        f"{fmt_bytes(beyond_x(large))} at {4 * P}", f"{fmt_bytes(beyond_x(small))} at {P}",
        "(peak - imports - X) at 4P / at P",
        [beyond_x(large) / beyond_x(small)] if measurable else [],
        "~1 (P axis chunked)", None,
        "3 iterations each" + ("" if measurable else "; too small to measure")))
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--worker":
        worker(*(int(v) for v in sys.argv[2:]))
    else:
        sys.exit("usage: python bench_scale.py --worker N P N_JOBS MAX_ITER SEED")
