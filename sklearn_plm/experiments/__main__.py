"""Command line: ``python -m sklearn_plm.experiments NAME [--quick | --full]``."""

import argparse
import sys
import time
from pathlib import Path

from . import EXPERIMENTS, get_experiment


def _parser():
    lines = []
    for name in EXPERIMENTS:
        try:
            summary = get_experiment(name).SUMMARY
        except ImportError as exc:  # e.g. an optional estimator is missing
            summary = f"(unavailable: {exc})"
        lines.append(f"  {name:<16} {summary}")
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_plm.experiments",
        description="Reproduce the experiments of D'Amico et al. (2025), 'Pseudo-likelihood "
                    "produces associative memories able to generalize, even for asymmetric "
                    "couplings'. Each writes CSV files, a PNG plot (with matplotlib) and a "
                    "text table to the output folder, and prints the table.",
        epilog="experiments:\n" + "\n".join(lines) + "\n  all              every experiment "
               "in turn (into OUT/NAME)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=EXPERIMENTS + ("all",), metavar="NAME",
                        help="experiment to run (see the list below), or 'all'")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="size", action="store_const", const="quick",
                      help="small sizes, about a minute each on 2 cores (default)")
    size.add_argument("--full", dest="size", action="store_const", const="full",
                      help="sizes at or near the paper's (minutes to tens of minutes each)")
    parser.set_defaults(size="quick")
    parser.add_argument("--out", default=None,
                        help="output folder (default: experiment_results/NAME; with 'all', "
                             "OUT/NAME for each experiment)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="threads for BLAS and the estimators (default: 1)")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    names = EXPERIMENTS if args.name == "all" else (args.name,)
    failed = []
    for name in names:
        module = get_experiment(name)
        if args.name == "all":
            out = Path(args.out or "experiment_results") / name
        else:
            out = Path(args.out) if args.out else Path("experiment_results") / name
        config = dict(module.FULL if args.size == "full" else module.QUICK)
        config.update(seed=args.seed, n_jobs=args.n_jobs)
        print(f"=== {name} ({args.size}) -> {out}", flush=True)
        t0 = time.perf_counter()
        try:
            module.run(config, out=out)
        except (ImportError, FileNotFoundError) as exc:
            # a missing optional dependency skips one experiment, not all of them
            print(f"skipped {name}: {exc}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        print(f"=== {name} done in {time.perf_counter() - t0:.0f} s\n", flush=True)
    return 1 if failed and len(names) == 1 else 0


if __name__ == "__main__":
    sys.exit(main())
