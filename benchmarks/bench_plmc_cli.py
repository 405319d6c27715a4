"""plmc's command line against the library's, with the same options on the same file.

    python benchmarks/bench_plmc_cli.py --plmc PATH ALIGNMENT [--threads 1,2]
        [--args "-g -f P0ABQ4.1 -le 16 -lh 0.01 -t 0.2"]

What a plmc user types: both programs read the alignment, compute the
sequence weights, fit to their own stopping rule and write a parameter file
(``-o``). Each runs in a fresh process (``-n T``; the library with
``OMP_NUM_THREADS`` and the BLAS threads at ``T``); a row gives its CPU
seconds (user + system), wall seconds and peak resident memory (``VmHWM``,
polled), and the objective of its written parameters evaluated in float64 by
:func:`sklearn_plm.plmc_objective` on the same sequences and plmc's own
weights (``--save-weights``): plmc's float32 build prints an objective summed
in float32, below that of the parameters it writes. Options that change the
model (``-g``, ``-f``, ``-a``) are read from ``--args`` to read the sequences
as both programs do.

Each program stops by its own default rule (plmc: libLBFGS's gradient test,
or, on real families, its float32 line search giving up; the library:
``--epsilon`` or ``--delta``, see the user guide), so their objectives
differ slightly: when the library's ends at or below plmc's, its CPU ratio
is an upper bound on the ratio at equal objective (``bench_potts.py``
measures that one, through the Python API). Extra library options go in
``--lib-args``, e.g. ``--lib-args="--tol 1e-4"`` for the stricter rule (the
``=`` keeps argparse from reading the value as an option).
"""

import argparse
import os
import re
import shlex
import sys
import tempfile

import numpy as np

# the benchmarks folder is on the path of its scripts
from _plmc import find_plmc, plmc_trace, run_polled


def _model_options(args):
    """``focus``, ``gaps`` and ``alphabet`` for read_alignment, from plmc's options."""
    focus, gaps, alphabet = None, "state", "-ACDEFGHIKLMNPQRSTVWY"
    for k, a in enumerate(args):
        if a in ("-f", "--focus"):
            focus = args[k + 1]
        elif a in ("-g", "--gapignore"):
            gaps = "missing"
        elif a in ("-a", "--alphabet"):
            alphabet = args[k + 1]
    return focus, gaps, alphabet


def objectives_of(params_files, alignment, weights_file, args):
    """plmc's objective of each parameter file in float64, on plmc's sequences and
    weights (the alignment is read once)."""
    from sklearn_plm import plmc_objective, read_plmc_params, read_plmc_weights
    from sklearn_plm.datasets import read_alignment

    focus, gaps, alphabet = _model_options(args)
    ali = read_alignment(alignment, alphabet=alphabet, focus=focus, gaps=gaps,
                         ambiguous="drop", as_bunch=True)
    full = read_plmc_weights(weights_file, n_sequences=ali.n_read)
    kept = np.ones(ali.n_read, dtype=bool)
    kept[ali.dropped] = False
    X = ali.data if gaps == "missing" else ali.data.astype(np.float64)
    return [plmc_objective(read_plmc_params(p), X, full[kept]) for p in params_files]


def _iterations(text):
    plmc = plmc_trace(text)
    if plmc:
        return len(plmc)
    found = re.search(r"(\d+) iterations, objective", text)
    return int(found.group(1)) if found else None


def run(cmd, n_threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(n_threads), OPENBLAS_NUM_THREADS=str(n_threads),
               MKL_NUM_THREADS=str(n_threads))
    code, usage, wall, peak_kb, text = run_polled(cmd, env=env)
    if code != 0:
        raise RuntimeError(f"{cmd[0]} failed ({code}):\n{text[-2000:]}")
    return {"cpu": usage.ru_utime + usage.ru_stime, "wall": wall, "rss": peak_kb / 1024,
            "n_iter": _iterations(text)}


def parse_with_plmc(parser, argv):
    """``(args, plmc binary, plmc options)`` of a script comparing plmc with the
    library on one alignment (``parser`` has the script's own arguments); None,
    after saying so, when there is no plmc binary."""
    parser.add_argument("alignment", help="aligned FASTA (plain text: plmc does not read gzip)")
    parser.add_argument("--plmc", default=None, help="plmc binary (default: $PLMC)")
    parser.add_argument("--args", default="-le 16 -lh 0.01 -t 0.2",
                        help="options given to both programs (besides -n, -o, --save-weights)")
    args = parser.parse_args(argv)
    binary = find_plmc(args.plmc)
    if binary is None:
        print("skipped: no plmc binary (--plmc PATH or PLMC=PATH)")
        return None
    print(f"load average at start: {os.getloadavg()}")
    return args, binary, shlex.split(args.args)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib-args", default="",
                        help="options given to the library's command only, e.g. "
                             "--lib-args='--tol 1e-4'")
    parser.add_argument("--threads", default="1", help="comma-separated thread counts")
    parsed = parse_with_plmc(parser, argv)
    if parsed is None:
        return
    args, binary, options = parsed
    print(f"options: {args.args}; library's own: {args.lib_args or 'none'}; "
          f"file: {args.alignment}\n")
    print("| threads | program | iterations | CPU s | wall s | peak RSS MB | objective (float64) "
          "| ours / plmc: CPU, wall, RSS | objective ours / plmc - 1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for t in args.threads.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            p_plmc, p_ours, w = (os.path.join(tmp, n) for n in ("plmc.params", "ours.params",
                                                                  "w.txt"))
            ref = run([binary, *options, "-n", t, "-o", p_plmc, "--save-weights", w,
                       args.alignment], int(t))
            ours = run([sys.executable, "-m", "sklearn_plm.plmc", *options,
                        *shlex.split(args.lib_args), "-n", t, "-o", p_ours, args.alignment],
                       int(t))
            f_ref, f_ours = objectives_of([p_plmc, p_ours], args.alignment, w, options)
        for name, r, f in (("plmc", ref, f_ref), ("sklearn_plm.plmc", ours, f_ours)):
            print(f"| {t} | {name} | {r['n_iter']} | {r['cpu']:.1f} | {r['wall']:.1f} | "
                  f"{r['rss']:.0f} | {f:.1f} | ", end="")
            if r is ours:
                print(f"{ours['cpu'] / ref['cpu']:.2f}, {ours['wall'] / ref['wall']:.2f}, "
                      f"{ours['rss'] / ref['rss']:.2f} | {f_ours / f_ref - 1:+.2e} |", flush=True)
            else:
                print("| |", flush=True)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
