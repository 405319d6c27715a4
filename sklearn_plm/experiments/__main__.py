"""Command line: ``python -m sklearn_plm.experiments NAME [--quick | --full] [options]``.

Every experiment is a subcommand with its own ``--help`` and one option per
key of its configuration (``--n-features 300``, ``--alphas 0.1 0.4``, ...),
which overrides the ``--quick`` or ``--full`` value.
"""

import argparse
import sys
import time
import traceback
from pathlib import Path

from . import EXPERIMENTS, get_experiment
from ._common import VERDICTS, format_table, prepare_out

_DESCRIPTION = ("Reproduce the experiments of D'Amico et al. (2025), 'Pseudo-likelihood "
                "produces associative memories able to generalize, even for asymmetric "
                "couplings'. Each writes CSV files (per-seed rows as they are produced, then "
                "means and standard errors), a PNG plot (with matplotlib) and a text table to "
                "the output folder, and prints the table.")


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {value}")
    return value


def _positive_int(text):
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"must be -1 (all processors) or >= 1, got {value}")
    return value


def _option_type(value):
    """argparse ``type``/``nargs`` for a configuration value like ``value``."""
    if isinstance(value, bool):
        return {"action": argparse.BooleanOptionalAction}
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return {"type": int, "nargs": "+"}
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return {"type": float, "nargs": "+"}
        return {"type": str, "nargs": "+"}
    if isinstance(value, int):
        return {"type": int}
    if isinstance(value, float):
        return {"type": float}
    return {"type": str}


def _common_options(parser, with_n_seeds):
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="size", action="store_const", const="quick",
                      help="small sizes (default): about a minute each on two free cores "
                           "with --n-jobs 2 (24-66 s; all six in 5 minutes), longer on a "
                           "busy machine; 'all' prints each experiment's time")
    size.add_argument("--full", dest="size", action="store_const", const="full",
                      help="sizes at or near the paper's (minutes to an hour each)")
    parser.set_defaults(size="quick")
    parser.add_argument("--out", default=None,
                        help="output folder (default: experiment_results/NAME; with 'all', "
                             "OUT/NAME for each experiment); checked writable before running")
    parser.add_argument("--seed", type=_non_negative_int, default=0,
                        help="random seed, a non-negative integer (default: 0)")
    parser.add_argument("--n-jobs", type=_n_jobs, default=1,
                        help="threads for BLAS and the estimators (default: 1; -1: all)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    if with_n_seeds:
        parser.add_argument("--n-seeds", type=_positive_int, default=None,
                            help="independent replicates behind each error bar (default: "
                                 "each experiment's, 3)")


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_plm.experiments", description=_DESCRIPTION,
        epilog="Run 'python -m sklearn_plm.experiments NAME --help' for the options of "
               "experiment NAME.", formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="name", metavar="NAME", required=True,
                                title="experiments")
    for name in EXPERIMENTS:
        try:
            module = get_experiment(name)
        except ImportError as exc:  # e.g. an optional estimator is missing
            sub.add_parser(name, help=f"(unavailable: {exc})")
            continue
        p = sub.add_parser(name, help=module.SUMMARY, description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        _common_options(p, with_n_seeds=False)
        options = p.add_argument_group(
            "experiment options (override the --quick / --full configuration)")
        for key, value in module.QUICK.items():
            flag = "--" + key.replace("_", "-")
            if key == "n_seeds":
                options.add_argument(flag, dest=key, type=_positive_int, default=None,
                                     help=f"independent replicates behind each error bar "
                                          f"(quick: {value}, full: {module.FULL[key]})")
                continue
            options.add_argument(flag, dest=key, default=None, **_option_type(value),
                                 help=f"quick: {value}; full: {module.FULL.get(key, value)}")
    p = sub.add_parser("all", help="every experiment in turn (into OUT/NAME), then one summary "
                                   "table of every claim with its verdict, the file with its "
                                   "numbers and each experiment's time (also in OUT/summary.txt); "
                                   "exits non-zero if any experiment failed")
    _common_options(p, with_n_seeds=True)
    return parser


def _config(module, args):
    config = dict(module.FULL if args.size == "full" else module.QUICK)
    for key in module.QUICK:
        value = getattr(args, key, None)
        if value is not None:
            config[key] = value
    config.update(seed=args.seed, n_jobs=args.n_jobs, verbose=not args.quiet)
    return config


def _numbers_file(results, out):
    """The CSV with an experiment's numbers (its main one), else its text table."""
    files = [Path(f) for f in results.get("files", ())]
    for f in files:
        if f.name == f"{results.name}.csv":
            return f
    csvs = [f for f in files if f.suffix == ".csv"]
    return csvs[0] if csvs else out / f"{results.name}.txt"


def summary_rows(name, results, out, seconds, cpu_seconds, error=None):
    """One summary row per claim of an experiment's results (one row if it failed).

    The claims are the results' ``claims`` (see
    :func:`sklearn_plm.experiments._common.claims_table`), so any experiment
    that prints its claims with ``claims_table`` appears in the summary.
    """
    timing = {"experiment": name, "time": f"{seconds:.0f} s ({cpu_seconds:.0f} s CPU)"}
    if error is not None:
        return [{**timing, "verdict": "FAILED", "claim": "(the experiment did not finish)",
                 "evidence": error, "paper": None, "file": "-"}]
    numbers = str(_numbers_file(results, out))
    claims = results.get("claims") or [{"claim": "(no claims reported)", "verdict": "-",
                                         "evidence": "", "paper": None}]
    return [{**timing, "verdict": c["verdict"], "claim": c["claim"],
             "evidence": _shorten(c["evidence"]), "paper": _shorten(c.get("paper")),
             "file": numbers} for c in claims]


#: Longest evidence printed in the summary (each experiment's NAME.txt has all of it).
SUMMARY_WIDTH = 120


def _shorten(text):
    if text is None or len(str(text)) <= SUMMARY_WIDTH:
        return text
    return str(text)[:SUMMARY_WIDTH - 3] + "..."


def summary_table(rows):
    """The text of the summary of ``all``: experiment, verdict, claim, ours, paper, file."""
    columns = [("experiment", "experiment", ""), ("verdict", "verdict", ""),
               ("claim", "claim", ""), ("evidence", "ours", ""), ("paper", "paper", ""),
               ("file", "numbers in", "")]
    counts = {v: sum(r["verdict"] == v for r in rows) for v in
              (*VERDICTS.values(), "FAILED")}
    times = {}
    for r in rows:
        times.setdefault(r["experiment"], r["time"])
    title = ("Summary: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
             + " (claims checked at this run's sizes; 'paper' = the paper's own number; "
             f"evidence cut at {SUMMARY_WIDTH} characters, in full in OUT/NAME/NAME.txt)")
    timing = "Time per experiment (wall, CPU): " + "; ".join(
        f"{name} {t}" for name, t in times.items())
    return format_table(rows, columns, title) + "\n" + timing


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    names = EXPERIMENTS if args.name == "all" else (args.name,)
    base = Path(args.out or "experiment_results")
    outs = {name: base / name if args.name == "all" or args.out is None else Path(args.out)
            for name in names}
    for out in outs.values():  # before any computation: an error at the end loses nothing
        try:
            prepare_out(out)
        except OSError as exc:
            parser.exit(2, f"{parser.prog}: error: {exc}\n")
    failed = {}
    rows = []
    for name in names:
        module = get_experiment(name)
        config = _config(module, args)
        if args.name == "all" and args.n_seeds is not None:
            config["n_seeds"] = args.n_seeds
        print(f"=== {name} ({args.size}) -> {outs[name]}", flush=True)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            results = module.run(config, out=outs[name])
        except Exception as exc:  # noqa: BLE001 - one failure must not stop the others
            if not isinstance(exc, (ImportError, FileNotFoundError)):
                traceback.print_exc()  # an unexpected error: show where it happened
            # e.g. a missing optional data package fails this experiment, loudly, not the others
            print(f"FAILED {name}: {exc}", file=sys.stderr, flush=True)
            failed[name] = str(exc)
            results = None
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        # CPU of an experiment's own worker processes (joblib's reusable
        # workers outlive the experiment, so the OS does not count them for us)
        cpu += (results or {}).get("worker_cpu_time", 0.0)
        rows += summary_rows(name, results, outs[name], seconds, cpu, error=failed.get(name))
        if results is not None:
            print(f"=== {name} done in {seconds:.0f} s ({cpu:.0f} s CPU)\n", flush=True)
    if args.name == "all":
        text = summary_table(rows)
        print(text, flush=True)
        (base / "summary.txt").write_text(text + "\n")
    if failed:
        print(f"{len(failed)} of {len(names)} experiment(s) failed:", file=sys.stderr)
        for name, message in failed.items():
            print(f"  {name}: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
