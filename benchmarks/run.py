"""Benchmark suite of sklearn_plm: one table of side-by-side ratios.

usage: python benchmarks/run.py [--quick | --tiny] [--out PATH] [--only 1a,1b,...]
                                [--threads T] [--repeats R] [--torch-python PY]

Prints the table and writes it as markdown (default ``benchmarks/results.md``)
with the machine (CPU model, cores, load average at start and end), library
versions, BLAS kernel and thread count. See ``benchmarks/README.md`` for what
each row measures; nothing here asserts on timings.
"""

import argparse
import dataclasses
import datetime
import os
import shlex
import sys
import time

from threadpoolctl import threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _harness import (blas_description, cpu_model, library_versions, load_average,  # noqa: E402
                      log, markdown_table)

SECTIONS = ("1a", "1b", "1c", "2", "3", "4")


@dataclasses.dataclass
class Config:
    fit_grid: list           # (N, P/N) of the fit rows
    repeats: int             # paired repeats of every in-process row
    torch_repeats: int       # pl-training runs per fit case (each one is long)
    epochs: int              # pl-training epochs (its training script uses 200)
    lr_sites: int            # LogisticRegression sites timed when N is large
    lr_all_sites_up_to: int  # ... and below this N every site is fitted
    recall_n: int
    recall_probes: int
    recall_fit_max_iter: int
    scale_cases: list        # (N, P, wall-time limit in s or None)
    scale_repeats: int
    scale_max_iter: int
    growth_case: tuple       # (N, P): memory at P and 4P
    parallel_n: int
    parallel_max_iter: int
    min_time: float          # short calls are looped for at least this long
    threads: int = 1
    seed: int = 0
    torch_python: str = ""


FULL = dict(
    fit_grid=[(300, 0.5), (300, 2.0), (784, 0.5), (784, 2.0), (1000, 0.5), (1000, 2.0)],
    repeats=5, torch_repeats=3, epochs=200, lr_sites=100, lr_all_sites_up_to=300,
    recall_n=1000, recall_probes=1000, recall_fit_max_iter=200,
    scale_cases=[(784, 60_000, 180.0), (3000, 20_000, None)], scale_repeats=1,
    scale_max_iter=200, growth_case=(784, 15_000), parallel_n=1000, parallel_max_iter=20,
    min_time=0.2,
)
QUICK = dict(
    fit_grid=[(100, 0.5), (200, 2.0)], repeats=3, torch_repeats=1, epochs=50, lr_sites=20,
    lr_all_sites_up_to=100, recall_n=200, recall_probes=300, recall_fit_max_iter=50,
    scale_cases=[(200, 5000, None), (400, 2000, None)], scale_repeats=1, scale_max_iter=30,
    growth_case=(200, 2000), parallel_n=200, parallel_max_iter=10, min_time=0.05,
)
TINY = dict(
    fit_grid=[(40, 0.5), (64, 2.0)], repeats=2, torch_repeats=1, epochs=20, lr_sites=8,
    lr_all_sites_up_to=40, recall_n=64, recall_probes=50, recall_fit_max_iter=20,
    scale_cases=[(64, 1000, None)], scale_repeats=1, scale_max_iter=10,
    growth_case=(64, 500), parallel_n=64, parallel_max_iter=5, min_time=0.01,
)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes (a smoke test, ~1-2 min)")
    size.add_argument("--tiny", action="store_true", help="tiny sizes (seconds; for the tests)")
    p.add_argument("--out", default=os.path.join(HERE, "results.md"), help="markdown output")
    p.add_argument("--only", default=",".join(SECTIONS),
                   help=f"comma-separated sections among {','.join(SECTIONS)}")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS / torch threads of the side-by-side rows (default 1)")
    p.add_argument("--repeats", type=int, default=None, help="paired repeats per row")
    p.add_argument("--grid", default=None,
                   help="fit cases of section 1 as N:P/N pairs, e.g. 784:2,1000:0.5")
    p.add_argument("--torch-python", default=os.environ.get("SKLEARN_PLM_BENCH_TORCH_PYTHON",
                                                            sys.executable),
                   help="interpreter with torch and pl-training for row 1a "
                        "(default: $SKLEARN_PLM_BENCH_TORCH_PYTHON, else this one)")
    return p.parse_args(argv)


def make_config(args):
    base = TINY if args.tiny else QUICK if args.quick else FULL
    cfg = Config(**base, threads=args.threads, torch_python=args.torch_python)
    if args.repeats:
        cfg.repeats = args.repeats
    if args.grid:
        cfg.fit_grid = [(int(n), float(a)) for n, a in (c.split(":") for c in args.grid.split(","))]
    return cfg


def run_sections(cfg, only):
    from bench_fit import evaluation_rows, logistic_regression_rows, pl_training_rows
    from bench_parallel import parallel_rows
    from bench_recall import recall_rows
    from bench_scale import scale_rows

    runners = {"1a": pl_training_rows, "1b": logistic_regression_rows, "1c": evaluation_rows,
               "2": recall_rows, "3": scale_rows, "4": parallel_rows}
    rows = []
    for name in SECTIONS:
        if name in only:
            t0 = time.perf_counter()
            rows.extend(runners[name](cfg))
            log(f"section {name} done in {time.perf_counter() - t0:.0f} s")
    return rows


def header(args, cfg, load_start, load_end, elapsed):
    versions = ", ".join(f"{k} {v}" for k, v in library_versions().items())
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    lines = [
        "# sklearn_plm benchmark results",
        "",
        f"Command: `{shlex.join(['python', 'benchmarks/run.py'] + sys.argv[1:])}` "
        f"({mode} sizes), {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, "
        f"{elapsed:.0f} s.",
        "",
        f"- Machine: {cpu_model()}, {os.cpu_count()} cores; load average (1, 5, 15 min) "
        f"{load_start} at start, {load_end} at end.",
        f"- Libraries: {versions}.",
        f"- BLAS: {'; '.join(blas_description())}.",
        f"- Threads: side-by-side rows (1a-2) pin BLAS and OpenMP to {cfg.threads} thread(s) and use "
        f"n_jobs=1 / torch.set_num_threads({cfg.threads}); they report process CPU seconds, "
        "which time-sharing with other processes does not inflate. Sections 3-4 use 2 "
        "threads and report wall seconds.",
        f"- Repeats: {cfg.repeats} paired repeats per row (pl-training: {cfg.torch_repeats} "
        "runs); ratio column = median [min-max] of the per-pair ratios.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    cfg = make_config(args)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        sys.exit(f"unknown sections {sorted(unknown)}; choose among {','.join(SECTIONS)}")
    load_start = load_average()
    t0 = time.perf_counter()
    # BLAS *and* OpenMP: scikit-learn's loss functions (LogisticRegression)
    # run OpenMP threads of their own. sklearn_plm's kernels take explicit
    # thread counts, so the 2-thread rows of section 4 are not affected.
    with threadpool_limits(limits=cfg.threads):
        rows = run_sections(cfg, only)
    text = header(args, cfg, load_start, load_average(), time.perf_counter() - t0)
    text += "\n" + markdown_table(rows) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(text)
    log(f"written to {args.out}")


if __name__ == "__main__":
    main()
