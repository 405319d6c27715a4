"""Contact precision against crystal structures: the library beside the DCA tools.

    python benchmarks/bench_contacts.py [--families PF00014,PF13354]
        [--tools lib-recipe,lib-converged,lib-plmc,plmc,ccmpred,pydca,ardca]
        [--data DIR] [--plmc PATH] [--ccmpred PATH] [--peers-python PY]
    python benchmarks/bench_contacts.py --tune [--families ...]   # choice of the defaults
    python benchmarks/bench_contacts.py --shared DIR [--families ...]  # rankings saved by --save

Each tool runs in a fresh process on one thread (``OMP_NUM_THREADS=1`` and the
BLAS variables, plmc ``-n 1``, CCMpred ``-t 1``, pydca ``num_threads=1``,
torch one thread) from the alignment file to a score matrix: reading, sequence
weights, fit and scoring all count. A row gives the process's CPU seconds
(user + system, from ``wait4``), its wall seconds, its peak resident memory
(``VmHWM``, polled) and the precision of its top L/5, L/2, L and 2L pairs with
``|i - j| > 4`` against the family's distance file (contact: d < 8 Angstrom;
pairs the file does not list are left out of the ranking):
:func:`sklearn_plm.metrics.contact_precision`.

Tools (a peer that is not installed is reported as skipped, with why):

* ``lib-recipe``: the library's documented recipe for contacts in a protein
  family (``doc/user_guide/sequences.rst``, "Contact prediction"): float32,
  ``alpha = SCALE (L - 1) / W``, the contact mode ``tol=CONTACT_TOL``;
* ``lib-converged``: the same at the estimator's default ``tol=1e-4``;
* ``lib-plmc``: the library at plmc's settings (the float32 symmetric fit of
  plmc's objective with the same ``le``, ``lh`` and weights, at most 100 iterations,
  plmc's scores: ``gauge="raw"``, APC);
* ``plmc``: ``plmc -t 0.2 -le 0.2 (L-1) -lh 0.01 -m 100 -n 1``, as
  EVcouplings runs it (``lambda_J = 0.01`` times ``(q - 1)(L - 1)``, 100
  iterations), scores from its couplings file (``-c``, APC);
* ``ccmpred``: ``ccmpred -t 1`` on the PSICOV file (one sequence per line),
  defaults (APC);
* ``pydca``: ``pydca.plmdca.PlmDCA(fasta, "protein", num_threads=1)`` at its
  defaults, ``compute_sorted_FN_APC()``; run by ``--peers-python`` (a separate
  virtual environment: ``pip install --no-deps pydca`` plus numpy, scipy,
  biopython, numba);
* ``ardca``: PyPI ``ardca`` (PyTorch) in the same environment: reported as
  skipped, because the package has no contact score (see ``ARDCA_SKIP``).

``--shared DIR`` compares the rankings that ``--save DIR`` kept: for each
tool, the fraction of ``lib-converged``'s top L/5, L/2, L and 2L pairs that
it also ranks in its top L/5, ... (whether a looser tolerance changed the
ranking).

``--tune`` fits the library on a grid of penalties and tolerances in this
process and prints the precision of each scoring (with and without the gap
state, APC, entropy correction, none) from the same fit: the table behind the
defaults.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

from _plmc import run_polled  # the benchmarks folder is on the path of its scripts

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
FAMILIES = {"PF00014": "PF00014_mgap6.fasta.gz", "PF13354": "PF13354_wo_ref_seqs.fasta.gz"}
KS = ("L/5", "L/2", "L", "2L")
PROTEIN = "-ACDEFGHIKLMNPQRSTVWY"

# The library's recipe for contacts on a protein family (doc/user_guide/sequences.rst)
IDENTITY = 0.8


# The penalty's scale: alpha = SCALE (L - 1) / W. CCMpred, pydca and EVcouplings'
# plmc use 0.2. On PF00014 and PF13354 (--tune, doc/benchmarks.md) scales 0.5 and 1
# gave the highest precision at L/5, L/2 and L on both families; 0.2 ranked one pair
# fewer in the top L of PF00014 at 1.6x the CPU, and scale 2 lost two pairs at 2L on
# PF13354. 0.5 is inside that plateau, next to the literature's value.
SCALE = 0.5
# the fits run in float32 (plmc's recommended build; the command line's default)
DTYPE = np.float32


def default_alpha(n_columns, weight_sum):
    """The documented penalty: ``SCALE (L - 1)`` on the sum scale."""
    return SCALE * (n_columns - 1) / weight_sum


DEFAULT_FIT = {"n_states": 21}
# plmc as EVcouplings runs it: lambda_J = 0.01 (q - 1)(L - 1) = 0.2 (L - 1), 100 iterations
PLMC_ITER = 100
DEFAULT_CONTACTS = {"ignore_states": [0]}
CONTACT_TOL = 1e-2


def _data_dir(path=None):
    return pathlib.Path(path) if path else ROOT.parent / "shared" / "data" / "families"


def _alignment_file(data, family):
    return data / family / FAMILIES[family]


def _distances(data, family, n_columns):
    from sklearn_plm.datasets import read_contact_distances

    return read_contact_distances(data / family / f"{family}_struct.dat", n_columns=n_columns)


def one_thread_env():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        env[var] = "1"
    return env


def run_measured(cmd, cwd=None):
    """Run ``cmd``; (CPU s = user + system, wall s, peak RSS MB, output text)."""
    code, usage, wall, peak, text = run_polled(cmd, env=one_thread_env(), cwd=cwd,
                                               interval=0.05)
    if code != 0:
        raise RuntimeError(f"{cmd[0]} failed ({code}):\n{text[-3000:]}")
    return usage.ru_utime + usage.ru_stime, wall, peak / 1024, text


# ----------------------------------------------------------------- the library

def library_scores(tool, path, out):
    """Worker: the library from the alignment file to a score matrix (saved to ``out``)."""
    from sklearn_plm import PottsPseudoLikelihoodMemory
    from sklearn_plm.datasets import read_alignment, sequence_weights

    X, _ = read_alignment(path)
    X = X.astype(DTYPE)
    L = X.shape[1]
    w = sequence_weights(X, identity=IDENTITY)
    W = float(w.sum())
    if tool == "lib-plmc":
        model = PottsPseudoLikelihoodMemory(0.2 * (L - 1), alpha_fields=0.01, penalty_scale="sum",
                                            symmetric=True, n_states=21, max_iter=PLMC_ITER)
        contacts = {"gauge": "raw"}
    else:
        tol = {"lib-converged": None, "lib-recipe": CONTACT_TOL}[tool]
        model = PottsPseudoLikelihoodMemory(default_alpha(L, W), **DEFAULT_FIT)
        if tol is not None:
            model.set_params(tol=tol)
        contacts = DEFAULT_CONTACTS
    model.fit(X, sample_weight=w)
    np.save(out, model.contact_map(**contacts))
    # the other scorings of the same fit, for the corrections table; their CPU
    # time is reported so that the row's CPU s leaves it out
    c0 = time.process_time()
    other = {}
    if tool != "lib-plmc":
        for name, kws in OTHER_SCORINGS.items():
            if kws.get("correction") == "entropy":
                kws = dict(kws, X=X, sample_weight=w)
            other[name] = model.contact_map(**kws)
        np.savez(out + ".other.npz", **other)
    print(json.dumps({"n_iter": int(model.n_iter_), "alpha": model.alpha,
                      "extra_cpu": time.process_time() - c0}))


OTHER_SCORINGS = {
    "APC, gap kept": {},
    "entropy, gap left out": {"ignore_states": [0], "correction": "entropy"},
    "entropy, gap kept": {"correction": "entropy"},
    "none, gap left out": {"ignore_states": [0], "correction": "none"},
}


# ----------------------------------------------------------------------- peers

def _write_fasta(path, X, psicov=False):
    with open(path, "w") as fh:
        for k, row in enumerate(X):
            seq = "".join(PROTEIN[c] for c in row)
            fh.write(f"{seq}\n" if psicov else f">s{k}\n{seq}\n")


def _pairs_to_matrix(L, pairs):
    S = np.zeros((L, L))
    for i, j, s in pairs:
        S[i, j] = S[j, i] = s
    return S


PYDCA_SCRIPT = """
import sys, numpy as np
from pydca.plmdca import plmdca
fasta, L, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
dca = plmdca.PlmDCA(fasta, "protein", num_threads=1)
S = np.zeros((L, L))
for (i, j), s in dca.compute_sorted_FN_APC():
    S[i, j] = S[j, i] = s
np.save(out, S)
"""



def peer_scores(tool, X, args, tmp):
    """(score matrix, CPU s, wall s, peak MB, note) of one peer, or a skip reason (str)."""
    L = X.shape[1]
    fasta = os.path.join(tmp, "ali.fa")
    _write_fasta(fasta, X)
    if tool == "plmc":
        if not (args.plmc and os.access(args.plmc, os.X_OK)):
            return "no plmc binary (--plmc)"
        le = 0.2 * (L - 1)
        cfile = os.path.join(tmp, "couplings.txt")
        cpu, wall, peak, _ = run_measured([args.plmc, "-c", cfile, "-le", repr(le), "-lh", "0.01",
                                           "-t", "0.2", "-m", str(PLMC_ITER), "-n", "1", fasta])
        from sklearn_plm import read_plmc_couplings

        c = read_plmc_couplings(cfile)
        S = _pairs_to_matrix(L, zip(c.i - 1, c.j - 1, c.score))
        return S, cpu, wall, peak, f"-le {le:g} -lh 0.01 -t 0.2 -m {PLMC_ITER}"
    if tool == "ccmpred":
        if not (args.ccmpred and os.access(args.ccmpred, os.X_OK)):
            return "no CCMpred binary (--ccmpred)"
        aln, mat = os.path.join(tmp, "ali.aln"), os.path.join(tmp, "out.mat")
        _write_fasta(aln, X, psicov=True)
        cpu, wall, peak, _ = run_measured([args.ccmpred, "-t", "1", aln, mat])
        S = np.loadtxt(mat)
        asym = float(np.max(np.abs(S - S.T)))
        # CCMpred's matrix is symmetric up to its own rounding: its mean with
        # its transpose is what it ranks
        return ((S + S.T) / 2, cpu, wall, peak,
                f"defaults (50 iterations at most, APC); largest asymmetry {asym:.1g}")
    python = args.peers_python
    if not (python and os.access(python, os.X_OK)):
        return "no peers interpreter (--peers-python)"
    module = {"pydca": "pydca", "ardca": "arDCA"}[tool]
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"{module} does not import: {probe.stderr.strip().splitlines()[-1]}"
    if tool == "ardca":
        return ARDCA_SKIP
    out = os.path.join(tmp, "scores.npy")
    script = os.path.join(tmp, "run.py")
    with open(script, "w") as fh:
        fh.write(PYDCA_SCRIPT)
    cpu, wall, peak, text = run_measured([python, script, fasta, str(L), out])
    return np.load(out), cpu, wall, peak, "defaults (lambda = 0.2 (L - 1), 100 iterations), num_threads=1"


# The PyPI package (arDCA 0.1.1, PyTorch) trains and samples the autoregressive
# model; the contact score of the arDCA paper (epistatic scores of the model's
# double mutants, ArDCA.jl) is not in it, and the Frobenius norm of its
# autoregressive couplings is not the score the paper reports.
ARDCA_SKIP = ("installs and imports (arDCA 0.1.1), but has no contact score: ArDCA.jl's "
              "epistatic score is not in the Python package")


# ----------------------------------------------------------------------- table

def _precision(S, D):
    from sklearn_plm.metrics import contact_precision

    return contact_precision(S, D, k=list(KS), min_separation=5)


def _shared_top(S, R, D):
    """Fraction of the reference ``R``'s top k pairs that ``S`` also ranks in its
    top k, for k = L/5 .. 2L (the ranking of ``contact_precision``)."""
    from sklearn_plm.metrics._contacts import _rank_count, ranked_pairs

    L = S.shape[0]
    top_s = list(zip(*ranked_pairs(S, D, min_separation=5)))
    top_r = list(zip(*ranked_pairs(R, D, min_separation=5)))
    return [len(set(top_s[:k]) & set(top_r[:k])) / k for k in (_rank_count(c, L) for c in KS)]


def shared_table(folder, families, data=None, reference="lib-converged"):
    """Rankings saved by ``--save``: how much of the reference's top k each tool shares."""
    data = _data_dir(data)
    print(f"\nFraction of {reference}'s top k pairs that each tool also ranks in its top k:\n")
    print("| family | tool | k = L/5 | L/2 | L | 2L |")
    print("|---|---|---|---|---|---|")
    for family in families.split(","):
        ref = pathlib.Path(folder) / f"{family}_{reference}.npy"
        if not ref.exists():
            print(f"| {family} | skipped: no {ref} | | | | |")
            continue
        R = np.load(ref)
        D = _distances(data, family, len(R))
        for path in sorted(pathlib.Path(folder).glob(f"{family}_*.npy")):
            tool = path.stem[len(family) + 1:]
            if tool != reference:
                print(f"| {family} | {tool} | "
                      + " | ".join(f"{v:.2f}" for v in _shared_top(np.load(path), R, D))
                      + " |")


def bench(args):
    from sklearn_plm.datasets import read_alignment

    data = _data_dir(args.data)
    corrections = []
    print(f"load average at start: {os.getloadavg()}")
    print("\n| family | L | sequences | tool | P@L/5 | P@L/2 | P@L | P@2L | CPU s | wall s "
          "| peak RSS MB | settings |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for family in args.families.split(","):
        path = _alignment_file(data, family)
        if not path.exists():
            print(f"| {family} | skipped: {path} not found |" + " |" * 10)
            continue
        X, _ = read_alignment(path)
        P, L = X.shape
        D = _distances(data, family, L)
        for tool in args.tools.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                if tool.startswith("lib-"):
                    out = os.path.join(tmp, "scores.npy")
                    try:
                        cpu, wall, peak, text = run_measured(
                            [sys.executable, str(HERE / "bench_contacts.py"), "--worker", tool,
                             str(path), out])
                    except RuntimeError as exc:
                        print(f"| {family} | {L} | {P} | {tool} | failed: "
                              f"{str(exc).splitlines()[0]} |" + " |" * 7, flush=True)
                        continue
                    info = json.loads(text.strip().splitlines()[-1])
                    result = (np.load(out), cpu - info["extra_cpu"], wall, peak,
                              f"alpha={info['alpha']:.3g}, {info['n_iter']} iterations")
                    if os.path.exists(out + ".other.npz"):
                        with np.load(out + ".other.npz") as other:
                            corrections.extend(
                                f"| {family} | {tool} | {name} | "
                                + " | ".join(f"{v:.2f}" for v in _precision(other[name], D))
                                + " |" for name in other.files)
                else:
                    try:
                        result = peer_scores(tool, X, args, tmp)
                    except RuntimeError as exc:
                        result = f"failed: {str(exc).splitlines()[0]}"
            if isinstance(result, str):
                print(f"| {family} | {L} | {P} | {tool} | skipped: {result} |" + " |" * 7,
                      flush=True)
                continue
            S, cpu, wall, peak, note = result
            if args.save:
                np.save(os.path.join(args.save, f"{family}_{tool}.npy"), S)
            p = _precision(S, D)
            print(f"| {family} | {L} | {P} | {tool} | " + " | ".join(f"{v:.2f}" for v in p)
                  + f" | {cpu:.1f} | {wall:.1f} | {peak:.0f} | {note} |", flush=True)
    if corrections:
        print("\nOther scorings of the same library fits:\n")
        print("| family | tool | scoring | P@L/5 | P@L/2 | P@L | P@2L |")
        print("|---|---|---|---|---|---|---|")
        print("\n".join(corrections))
    print(f"\nload average at end: {os.getloadavg()}")


def tune(args):
    """Precision of each scoring over a grid of penalties and tolerances (one thread)."""
    from threadpoolctl import threadpool_limits

    from sklearn_plm import PottsPseudoLikelihoodMemory
    from sklearn_plm.datasets import read_alignment, sequence_weights

    data = _data_dir(args.data)
    print(f"load average at start: {os.getloadavg()}")
    print("\n| family | fit | dtype | tol | iterations | fit CPU s | scoring | P@L/5 | P@L/2 | P@L "
          "| P@2L |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    scales = [float(s) for s in args.scales.split(",")]
    tols = [float(t) for t in args.tols.split(",")]
    for family in args.families.split(","):
        X, _ = read_alignment(_alignment_file(data, family))
        X = X.astype(args.dtype)
        L = X.shape[1]
        D = _distances(data, family, L)
        w = sequence_weights(X, identity=IDENTITY)
        W = float(w.sum())
        for scale in scales:
            alpha = scale * (L - 1) / W
            for tol in tols:
                model = PottsPseudoLikelihoodMemory(alpha, n_states=21, tol=tol)
                with threadpool_limits(1):
                    c0 = time.process_time()
                    model.fit(X, sample_weight=w)
                    cpu = time.process_time() - c0
                scorings = {
                    "APC, gap left out": model.contact_map(ignore_states=[0]),
                    "APC, gap kept": model.contact_map(),
                    "entropy, gap left out": model.contact_map(
                        ignore_states=[0], correction="entropy", X=X, sample_weight=w),
                    "entropy, gap kept": model.contact_map(correction="entropy", X=X,
                                                           sample_weight=w),
                    "none, gap left out": model.contact_map(ignore_states=[0], apc=False),
                }
                for name, S in scorings.items():
                    p = _precision(S, D)
                    print(f"| {family} | alpha={scale:g} (L-1)/W | {args.dtype} | {tol:g} | "
                          f"{model.n_iter_} | "
                          f"{cpu:.1f} | {name} | " + " | ".join(f"{v:.2f}" for v in p) + " |",
                          flush=True)
    print(f"\nload average at end: {os.getloadavg()}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="PF00014,PF13354")
    parser.add_argument("--tools", default="lib-recipe,lib-converged,lib-plmc,plmc,ccmpred,pydca,ardca")
    parser.add_argument("--data", default=None, help="folder of the families (default: "
                        "<repo>/../shared/data/families)")
    parser.add_argument("--plmc", default=os.environ.get("PLMC"))
    parser.add_argument("--ccmpred", default=os.environ.get("CCMPRED"))
    parser.add_argument("--peers-python", default=os.environ.get("PEERS_PYTHON"),
                        help="interpreter of the virtual environment with pydca and ardca")
    parser.add_argument("--save", default=None, help="folder for each tool's score matrix")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--shared", default=None, metavar="DIR",
                        help="print how much of lib-converged's top k each tool saved in DIR "
                             "(by --save) shares, without fitting")
    parser.add_argument("--scales", default=str(SCALE),
                        help="--tune: alpha = SCALE (L - 1) / W, comma-separated")
    parser.add_argument("--tols", default="1e-4", help="--tune: tolerances")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                        help="--tune: precision of the fits")
    parser.add_argument("--worker", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return library_scores(*args.worker)
    if args.shared:
        return shared_table(args.shared, args.families, args.data)
    return tune(args) if args.tune else bench(args)


if __name__ == "__main__":
    main()
