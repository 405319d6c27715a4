"""Where plmc stops, and where the command line's ``--delta`` test would stop.

    python benchmarks/tune_plmc_delta.py --plmc PATH ALIGNMENT \\
        [--args "-le 16 -lh 0.01 -t 0.2"] [--deltas 1e-5,2e-5,3e-5,4e-5,6e-5]

plmc's float32 build ends most fits of real families on its line search's
``ROUNDING_ERROR``, long before its gradient test (``epsilon = 1e-3``). The
command line (``python -m sklearn_plm.plmc``) stops instead when the objective
fell by less than the fraction ``--delta`` over the last 10 iterations. This
script runs plmc once (one thread: its iterations, fit time and its written
parameters' objective in float64) and the library's fit once, with the same
sequences, weights and options, past plmc's objective (1.5 plmc's iterations
plus 20, one thread, objective recorded at every iteration), and prints for
each ``delta`` the iteration and fit time at which the window test would have
stopped it, and its objective against plmc's. Fit times are from the start of
the optimization in both programs (plmc's own ``time`` column; the library's
progress lines), so reading the file and the weights are not counted.
"""

import argparse
import contextlib
import io
import os
import re
import sys
import tempfile
import warnings

import numpy as np

# the benchmarks folder is on the path of its scripts
from _plmc import plmc_trace, run_polled
from bench_plmc_cli import objectives_of, parse_with_plmc


def library_trajectory(alignment, options, max_iter):
    """``[(iteration, objective on plmc's scale, fit seconds)]`` of the command
    line's model, fitted one thread to ``max_iter`` iterations."""
    from sklearn_plm.plmc import _read_alignment, _weights, build_parser, plmc_model

    args = build_parser().parse_args([*options, alignment])
    ali = _read_alignment(args, lambda msg: None)
    w = _weights(args, ali, lambda msg: None)
    model = plmc_model(args, len(ali.alphabet), max_iter=max_iter, tol=0.0, n_jobs=1,
                       verbose=2)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is reached on purpose
        model.fit(ali.data.astype(np.float32), sample_weight=w)
    W = float(w.sum())
    return [(int(k), float(f) * W, float(t)) for k, f, t in re.findall(
        r"iteration (\d+): loss = ([-+.0-9eE]+), .*time = ([.0-9]+)s", out.getvalue())]


def window_stop(trajectory, delta, past=10):
    """The first ``(iteration, objective, seconds)`` at which the objective fell by
    less than ``delta`` (relative) over the last ``past`` iterations, or None."""
    for i in range(past, len(trajectory)):
        f_then, f = trajectory[i - past][1], trajectory[i][1]
        if (f_then - f) / max(abs(f), 1.0) < delta:
            return trajectory[i]
    return None


def _ratio(a, b):
    return f"{a / b:.2f}" if b > 0 else "-"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", default="1e-5,2e-5,3e-5,4e-5,6e-5")
    parsed = parse_with_plmc(parser, argv)
    if parsed is None:
        return
    args, binary, options = parsed
    with tempfile.TemporaryDirectory() as tmp:
        params, weights = os.path.join(tmp, "plmc.params"), os.path.join(tmp, "w.txt")
        env = dict(os.environ, OMP_NUM_THREADS="1")
        code, _, _, _, text = run_polled([binary, *options, "-n", "1", "-o", params,
                                          "--save-weights", weights, args.alignment], env=env)
        if code != 0:
            raise RuntimeError(f"plmc failed ({code}):\n{text[-2000:]}")
        trace = plmc_trace(text)
        f_plmc, = objectives_of([params], args.alignment, weights, options)
    ended = re.findall(r"Gradient optimization: (.*)", text)
    t_plmc = trace[-1][0]
    ours = library_trajectory(args.alignment, options, int(1.5 * len(trace)) + 20)
    reached = next(((k, t) for k, f, t in ours if f <= f_plmc), None)
    print(f"{args.alignment} ({args.args}): plmc {len(trace)} iterations, {t_plmc:.1f} s, "
          f"ended on {ended[-1] if ended else '?'}, objective {f_plmc:.2f} (float64); "
          "the library reaches it at "
          + (f"iteration {reached[0]}, {reached[1]:.1f} s ({_ratio(reached[1], t_plmc)}x)"
             if reached else f"no iteration of {len(ours)}") + "\n")
    print("| delta | stops at iteration | fit s | / plmc's | objective / plmc's - 1 |")
    print("|---|---|---|---|---|")
    for delta in (float(d) for d in args.deltas.split(",")):
        stop = window_stop(ours, delta)
        if stop is None:
            print(f"| {delta:g} | not within {len(ours)} | | | |")
        else:
            k, f, t = stop
            print(f"| {delta:g} | {k} | {t:.1f} | {_ratio(t, t_plmc)} | {f / f_plmc - 1:+.1e} |")
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
