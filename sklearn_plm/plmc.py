"""Command line: alignment -> sequence weights -> Potts fit -> plmc's output files.

``python -m sklearn_plm.plmc`` (or ``sklearn-plm-plmc``) runs plmc's workflow
with this library, with plmc's option names::

    python -m sklearn_plm.plmc -f YAP1_HUMAN -le 16.2 -lh 0.01 -t 0.2 -n 2 \\
        -c couplings.txt -o model.params alignment.a2m

It fits the symmetric Potts model plmc fits, with plmc's objective
(``penalty_scale="sum"``), in float32 as plmc's recommended build does
(``--float64`` for double precision): the couplings, parameter and weights
files have plmc's formats, so tools that read plmc's output read these, and
plmc reads the weights. Output paths are checked before any work, and every
file is written whole or not at all.
"""

import argparse
import contextlib
import math
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import PottsPseudoLikelihoodMemory
from ._fileio import check_output_path
from ._plmc_format import (
    read_plmc_weights,
    write_plmc_couplings,
    write_plmc_params,
    write_plmc_weights,
)
from ._solvers import OBJECTIVE_WINDOW
from .datasets import PROTEIN_ALPHABET, read_alignment, sequence_weights

# plmc's defaults (src/plm.c), and the libLBFGS tolerance it sets (src/inference.c)
LAMBDA_H, LAMBDA_E, LAMBDA_G, THETA, SCALE = 0.01, 100.0, 0.0, 0.2, 1.0
EPSILON = 1e-3
# The decrease over the last OBJECTIVE_WINDOW iterations (relative) below
# which the command stops by default, about where plmc's float32 build stops
# on real families (its line search fails on the rounding of its objective):
# chosen on four families, where it stopped at or below plmc's objective in
# 0.24-0.53x plmc's fit time (doc/benchmarks.md, benchmarks/tune_plmc_delta.py).
DELTA = 3e-5
UNBOUNDED_ITER = 100_000
# warn when at least this share of the input sequences is skipped
SKIPPED_SHARE_WARNING = 0.1
FAST_REFUSAL = (
    "--fast is not provided: plmc's --fast replaces the weights by those of a random "
    "100-cluster consensus and the fit by minibatch SGD, so its results depend on plmc's "
    "random number generator and differ from the exact fit. The exact weights are compiled "
    "and threaded here (-n N); for a quicker contact map raise --delta (e.g. 1e-4).")


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


def _number(value):
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if math.isnan(x):
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}")
    return x


def _non_negative(value):
    try:
        x = float(value)
    except ValueError:
        x = math.nan
    if not (math.isfinite(x) and x >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite non-negative number, got {value!r}")
    return x


def _positive(value):
    x = _non_negative(value)
    if x == 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}")
    return x


def _iterations(value):
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(
            f"expected a number of iterations (0 for no limit), got {value!r}")
    return n


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m sklearn_plm.plmc", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("alignment", help="alignment: aligned FASTA, A2M, A3M or Stockholm "
                   "(optionally gzip-compressed)")
    out = p.add_argument_group("output (each written whole or not at all)")
    out.add_argument("-c", "--couplings", metavar="FILE",
                     help="save coupling scores (plmc's text format: i focus_i j focus_j 0 score)")
    out.add_argument("-o", "--output", metavar="FILE",
                     help="save the parameters (plmc's binary parameter file)")
    out.add_argument("--save-weights", metavar="FILE",
                     help="save sequence weights as plmc does: one line per input sequence, "
                          "0.0 for skipped ones, full precision")
    ali = p.add_argument_group("alignment processing")
    ali.add_argument("-f", "--focus", metavar="ID",
                     help="keep the columns where the sequence whose name starts with ID holds "
                          "an upper case residue; number them as --numbering says")
    ali.add_argument("--numbering", choices=("plmc", "residue"), default="plmc",
                     help="focus numbering: plmc's (index in the focus row, gaps counted; "
                          "default) or residue (residues of the focus counted: its UniProt "
                          "numbering when the name is ID/start-end)")
    ali.add_argument("-g", "--gapignore", action="store_true",
                     help="leave gaps out of the model (plmc's gap-reduced objective)")
    ali.add_argument("-a", "--alphabet", default=PROTEIN_ALPHABET,
                     help=f"symbols in code order (default {PROTEIN_ALPHABET}; RNA: -ACGU)")
    ali.add_argument("-t", "--theta", type=_number, default=THETA,
                     help="sequence weights: neighbourhood divergence, 0 <= t <= 1; outside "
                          "it every weight is 1 (default %(default)s)")
    ali.add_argument("-s", "--scale", type=_positive, default=SCALE,
                     help="sequence weights: neighbourhood weight s > 0, every weight times s "
                          "(default %(default)s)")
    ali.add_argument("-w", "--weights", metavar="FILE",
                     help="read sequence weights from FILE instead: one line per input "
                          "sequence, as plmc's --save-weights writes them")
    ali.add_argument("--fast", action="store_true", help="not provided (see the user guide)")
    fit = p.add_argument_group("fit (plmc's objective)")
    fit.add_argument("-le", "--lambdae", type=_non_negative, default=LAMBDA_E,
                     help="L2 penalty on the couplings (default %(default)s)")
    fit.add_argument("-lh", "--lambdah", type=_non_negative, default=LAMBDA_H,
                     help="L2 penalty on the fields (default %(default)s)")
    fit.add_argument("-lg", "--lambdag", type=_non_negative, default=LAMBDA_G,
                     help="group L1 penalty on the coupling blocks (default %(default)s)")
    fit.add_argument("-m", "--maxiter", type=_iterations, default=0,
                     help="maximum L-BFGS iterations, 0 for no limit (default)")
    stop = fit.add_mutually_exclusive_group()
    stop.add_argument("--epsilon", type=_positive, default=EPSILON,
                      help="stop when |gradient| / max(1, |parameters|) is at most EPSILON "
                           "(Euclidean norms, objective as plmc prints it): plmc's own rule "
                           "and value (default %(default)s)")
    stop.add_argument("--tol", type=_positive, default=None,
                      help="stop instead when the largest gradient entry of the objective "
                           "divided by the sum of the weights is at most TOL: every "
                           "parameter's own optimality (1e-4 is close to the optimum; "
                           "no --delta test unless given)")
    fit.add_argument("--delta", type=_non_negative, default=None,
                     help="also stop when the objective fell by less than this fraction over "
                          f"the last {OBJECTIVE_WINDOW} iterations, where plmc's float32 line "
                          "search stops on rounding errors; 0 for no such test (default "
                          f"{DELTA:g} with --epsilon, 0 with --tol)")
    precision = fit.add_mutually_exclusive_group()
    precision.add_argument("--float32", dest="float64", action="store_false",
                           help="fit in single precision: the default, as plmc's recommended "
                                "'all-openmp32' build")
    precision.add_argument("--float64", dest="float64", action="store_true",
                           help="fit in double precision (plmc's 'all-openmp' build): more CPU "
                                "and memory (1.39x and 1.14x on PF00014)")
    p.set_defaults(float64=False)
    fit.add_argument("-n", "--ncores", type=_threads, default=1, metavar="N|max",
                     help="threads (default 1)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress output and no warnings; errors still print")
    return p


def _check_outputs(args):
    """Every output path, before any work (a failure after the fit would waste it)."""
    paths = [(opt, getattr(args, key)) for opt, key in
             (("-o", "output"), ("-c", "couplings"), ("--save-weights", "save_weights"))
             if getattr(args, key)]
    for opt, path in paths:
        check_output_path(path, what=opt)
    seen = {}
    for opt, path in paths:
        real = os.path.realpath(path)
        if real in seen:
            raise ValueError(f"{seen[real]} and {opt} name the same file {path!r}.")
        seen[real] = opt


def _read_alignment(args, log):
    with warnings.catch_warnings(record=True) as caught:
        # the reader's warnings speak Python; the losses are reported below in the CLI's terms
        warnings.simplefilter("always")
        try:
            ali = read_alignment(args.alignment, alphabet=args.alphabet, focus=args.focus,
                                 numbering=args.numbering,
                                 gaps="missing" if args.gapignore else "state",
                                 ambiguous="drop", as_bunch=True)
        except ValueError as exc:
            message = str(exc)
            if "would drop them all" not in message:
                raise
            # "Every one of the N sequences holds an ambiguous residue (counts); ..."
            n = message.split()[4]
            counts = message[message.index("(") + 1:message.index(")")]
            hint = " (RNA: -a -ACGU)" if "'U'" in counts else ""
            raise ValueError(
                f"all {n} sequences hold symbols outside the alphabet {args.alphabet!r} "
                f"({counts}) and were skipped; pass -a with an alphabet that lists them"
                f"{hint}.") from None
    for w in caught:
        if not (issubclass(w.category, UserWarning) and "read_alignment:" in str(w.message)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    n_valid = ali.data.shape[0]
    log(f"{n_valid} valid sequences out of {ali.n_read}")
    if ali.dropped.size:
        symbols = ", ".join(f"{n} {c!r}" for c, n in sorted(ali.ambiguous_counts.items(),
                                                          key=lambda kv: -kv[1]))
        log(f"Skipped {ali.dropped.size} sequences holding symbols outside the alphabet "
            f"{args.alphabet!r} (the file holds {symbols})")
        if ali.dropped.size >= SKIPPED_SHARE_WARNING * ali.n_read:
            hint = (" RNA alignments need -a -ACGU." if "U" in ali.ambiguous_counts
                    and args.alphabet == PROTEIN_ALPHABET else "")
            log(f"warning: {100 * ali.dropped.size / ali.n_read:.0f} % of the sequences were "
                f"skipped; pass -a with an alphabet that lists the symbols to keep.{hint}")
    return ali


def _weights(args, ali, log):
    n_read = ali.n_read
    if args.weights:
        full = read_plmc_weights(args.weights, n_sequences=n_read)
        kept = np.ones(n_read, dtype=bool)
        kept[ali.dropped] = False
        nonzero = np.flatnonzero(~kept & (full > 0))
        if nonzero.size:
            log(f"warning: {args.weights} gives a nonzero weight to {nonzero.size} skipped "
                f"sequences (lines {', '.join(str(k + 1) for k in nonzero[:5])}"
                f"{', ...' if nonzero.size > 5 else ''}); they are ignored, as plmc does")
        w = full[kept]
        if not w.sum() > 0:
            raise ValueError(f"{args.weights} gives the kept sequences weights summing to 0.")
        log(f"Weights loaded from {args.weights}. Effective number of samples: {w.sum():.1f}")
        return w
    if 0 <= args.theta <= 1:
        w = sequence_weights(ali.data, identity=1.0 - args.theta, n_jobs=args.ncores)
    else:
        w = np.ones(ali.data.shape[0])
    w = w * args.scale
    log(f"Effective number of samples: {w.sum():.1f}")
    return w


def _stopping_rule(args, w):
    """``(tol, tol_norm, tol_objective, option)``: the estimator's stopping rules
    for ``--epsilon`` or ``--tol``, and ``--delta``.

    plmc's test is on its summed objective, whose gradient is ``W`` times
    the estimator's (the mean): ``epsilon`` there is ``epsilon / W`` here.
    """
    if args.tol is not None:
        delta = args.delta or 0.0
        tol, tol_norm, option = args.tol, "max", f"--tol {args.tol:g}"
    else:
        delta = DELTA if args.delta is None else args.delta
        tol, tol_norm = args.epsilon / w.sum(), "relative_l2"
        option = f"--epsilon {args.epsilon:g}"
    if delta > 0:
        option += f" or --delta {delta:g}"
    return tol, tol_norm, delta, option


def plmc_model(args, n_states, **params):
    """The estimator of plmc's objective (symmetric, ``penalty_scale="sum"``) with
    the parsed options' penalties, iteration cap and threads; ``params`` (the
    stopping rules, ...) are further estimator parameters or override those."""
    settings = dict(
        alpha=args.lambdae, alpha_fields=args.lambdah, alpha_group=args.lambdag,
        penalty_scale="sum", symmetric=True, n_states=n_states,
        max_iter=args.maxiter if args.maxiter > 0 else UNBOUNDED_ITER,
        n_jobs=args.ncores, verbose=0 if args.quiet else 1)
    return PottsPseudoLikelihoodMemory(**{**settings, **params})


def _fit(model, X, w, args, log, option):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        # the estimator's progress lines go where the log goes (plmc reports on stderr)
        with contextlib.redirect_stdout(sys.stderr):
            model.fit(X, sample_weight=w)
    limit = (f"-m {args.maxiter}" if args.maxiter > 0
             else f"{UNBOUNDED_ITER} (the cap of -m 0)")
    for warning in caught:
        if not issubclass(warning.category, ConvergenceWarning):
            if not args.quiet:
                warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                       warning.lineno)
        elif "max_iter" in str(warning.message):
            log(f"warning: not converged in {limit} iterations (by {option}); raise -m, "
                "or -le")
        else:
            log(f"warning: stopped before {option}: no lower objective was found, "
                "the objective is at the limit of its floating-point precision; use "
                f"--float64 for a tighter optimum, or raise {option.split()[0]}")


def run(args, log=print):
    t0 = time.process_time()
    if args.fast:
        raise ValueError(FAST_REFUSAL)
    _check_outputs(args)
    ali = _read_alignment(args, log)
    X = ali.data
    log(f"{X.shape[0]} sequences, {X.shape[1]} sites, {len(ali.alphabet)} states"
        + (f"; focus {ali.focus_name!r}, positions {ali.positions[0]}-{ali.positions[-1]}"
           f" ({args.numbering} numbering)" if ali.focus_index is not None else ""))
    w = _weights(args, ali, log)
    if args.save_weights:
        write_plmc_weights(args.save_weights, w, skipped=ali.dropped)

    tol, tol_norm, tol_objective, option = _stopping_rule(args, w)
    model = plmc_model(args, len(ali.alphabet), tol=tol, tol_norm=tol_norm,
                       tol_objective=tol_objective)
    log(f"Fitting {X.shape[1] * (X.shape[1] - 1) // 2} coupling blocks with L-BFGS "
        f"({'float64' if args.float64 else 'float32'}, stopping at {option}) ...")
    _fit(model, X.astype(np.float64 if args.float64 else np.float32), w, args, log, option)
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
                          theta=args.theta, skipped=ali.dropped,
                          scale=args.scale)
        log(f"Parameters written to {args.output}")
    return model


def _alphabet_values(argv):
    """``-a -ACGU`` as plmc takes it: argparse would read ``-ACGU`` as an option."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out, k = [], 0
    while k < len(argv):
        if argv[k] in ("-a", "--alphabet") and k + 1 < len(argv):
            out.append(f"--alphabet={argv[k + 1]}")
            k += 2
        else:
            out.append(argv[k])
            k += 1
    return out


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(_alphabet_values(argv))
    log = (lambda *a, **k: None) if args.quiet else (
        lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        with warnings.catch_warnings():
            if args.quiet:
                warnings.simplefilter("ignore")
            run(args, log)
    except (ValueError, OSError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
