"""Command line: alignment -> sequence weights -> Potts fit -> plmc's output files.

``python -m sklearn_plm.plmc`` (or ``sklearn-plm-plmc``) runs plmc's workflow
with this library, with plmc's option names::

    python -m sklearn_plm.plmc -f YAP1_HUMAN -le 16.2 -lh 0.01 -t 0.2 -n 2 \\
        -c couplings.txt -o model.params alignment.a2m

It fits the symmetric Potts model plmc fits, with plmc's objective
(``penalty_scale="sum"``): the couplings file and the parameter file have
plmc's formats, so tools that read plmc's output read these.
"""

import argparse
import contextlib
import sys
import time

import numpy as np

from . import PottsPseudoLikelihoodMemory
from ._plmc_format import write_plmc_couplings, write_plmc_params
from .datasets import PROTEIN_ALPHABET, read_alignment, sequence_weights

# plmc's defaults (src/plm.c)
LAMBDA_H, LAMBDA_E, LAMBDA_G, THETA = 0.01, 100.0, 0.0, 0.2
UNBOUNDED_ITER = 100_000


def _threads(value):
    if value == "max":
        return -1
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of threads or 'max', got {value!r}")
    if n < 1:
        raise argparse.ArgumentTypeError(f"the number of threads must be at least 1, got {n}")
    return n


def _non_negative(value):
    x = float(value)
    if not x >= 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {value!r}")
    return x


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m sklearn_plm.plmc", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("alignment", help="alignment: aligned FASTA, A2M, A3M or Stockholm "
                   "(optionally gzip-compressed)")
    out = p.add_argument_group("output")
    out.add_argument("-c", "--couplings", metavar="FILE",
                     help="save coupling scores (plmc's text format: i focus_i j focus_j 0 score)")
    out.add_argument("-o", "--output", metavar="FILE",
                     help="save the parameters (plmc's binary parameter file)")
    out.add_argument("--save-weights", metavar="FILE", help="save sequence weights (one a line)")
    ali = p.add_argument_group("alignment processing")
    ali.add_argument("-f", "--focus", metavar="ID",
                     help="keep the columns where the sequence whose name starts with ID holds "
                          "an upper case residue; number them as plmc does")
    ali.add_argument("-g", "--gapignore", action="store_true",
                     help="leave gaps out of the model (plmc's gap-reduced objective)")
    ali.add_argument("-a", "--alphabet", default=PROTEIN_ALPHABET,
                     help=f"symbols in code order (default {PROTEIN_ALPHABET})")
    ali.add_argument("-t", "--theta", type=float, default=THETA,
                     help="sequence weights: neighbourhood divergence, 0 <= t <= 1; outside "
                          "it every weight is 1 (default %(default)s)")
    ali.add_argument("-w", "--weights", metavar="FILE",
                     help="read sequence weights from FILE (one a line) instead")
    fit = p.add_argument_group("fit (plmc's objective)")
    fit.add_argument("-le", "--lambdae", type=_non_negative, default=LAMBDA_E,
                     help="L2 penalty on the couplings (default %(default)s)")
    fit.add_argument("-lh", "--lambdah", type=_non_negative, default=LAMBDA_H,
                     help="L2 penalty on the fields (default %(default)s)")
    fit.add_argument("-lg", "--lambdag", type=_non_negative, default=LAMBDA_G,
                     help="group L1 penalty on the coupling blocks (default %(default)s)")
    fit.add_argument("-m", "--maxiter", type=int, default=0,
                     help="maximum L-BFGS iterations, 0 for no limit (default)")
    fit.add_argument("--tol", type=float, default=1e-4,
                     help="stop when the largest gradient entry of the objective divided by "
                          "the sum of the weights is at most TOL (default %(default)s)")
    fit.add_argument("--float32", action="store_true",
                     help="fit in single precision (faster; plmc's 'all-openmp32' build)")
    fit.add_argument("-n", "--ncores", type=_threads, default=1, metavar="N|max",
                     help="threads (default 1)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return p


def _read_weights(path, n):
    w = np.loadtxt(path, dtype=np.float64, ndmin=1)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"{path} must hold {n} finite non-negative weights, one a line, "
                         f"with a positive sum; got {w.size} values.")
    return w


def run(args, log=print):
    t0 = time.process_time()
    ali = read_alignment(args.alignment, alphabet=args.alphabet, focus=args.focus,
                         gaps="missing" if args.gapignore else "state", ambiguous="drop",
                         as_bunch=True)
    X = ali.data
    log(f"{X.shape[0]} sequences, {X.shape[1]} sites, {len(ali.alphabet)} states"
        + (f"; focus {ali.focus_name!r}, positions {ali.positions[0]}-{ali.positions[-1]}"
           if ali.focus_index is not None else ""))
    if args.weights:
        w = _read_weights(args.weights, X.shape[0])
    elif 0 <= args.theta <= 1:
        w = sequence_weights(X, identity=1.0 - args.theta, n_jobs=args.ncores)
    else:
        w = np.ones(X.shape[0])
    log(f"Effective number of samples: {w.sum():.1f}")
    if args.save_weights:
        np.savetxt(args.save_weights, w, fmt="%.6f")

    model = PottsPseudoLikelihoodMemory(
        alpha=args.lambdae, alpha_fields=args.lambdah, alpha_group=args.lambdag,
        penalty_scale="sum", symmetric=True, n_states=len(ali.alphabet),
        max_iter=args.maxiter if args.maxiter > 0 else UNBOUNDED_ITER, tol=args.tol,
        n_jobs=args.ncores, verbose=0 if args.quiet else 1)
    log(f"Fitting {X.shape[1] * (X.shape[1] - 1) // 2} coupling blocks with L-BFGS ...")
    # the estimator's progress lines go where the log goes (plmc reports on stderr)
    with contextlib.redirect_stdout(sys.stderr):
        model.fit(X.astype(np.float32 if args.float32 else np.float64), sample_weight=w)
    log(f"{model.n_iter_} iterations, objective {model.loss_ * w.sum():.4f}, "
        f"{time.process_time() - t0:.1f} CPU s")

    focus_sequence = ali.focus_sequence if ali.focus_index is not None else None
    if args.couplings:
        write_plmc_couplings(model, args.couplings, positions=ali.positions,
                             focus_sequence=focus_sequence)
        log(f"Coupling scores written to {args.couplings}")
    if args.output:
        write_plmc_params(model, args.output, X, sample_weight=w, alphabet=ali.alphabet,
                          focus_sequence=focus_sequence, positions=ali.positions,
                          theta=args.theta)
        log(f"Parameters written to {args.output}")
    return model


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    log = (lambda *a, **k: None) if args.quiet else (
        lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        run(args, log)
    except (ValueError, OSError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
