"""Equilibrium samples of a 2D Edwards-Anderson spin glass as training data.

Samples of one +/-J instance on an L x L periodic lattice at temperature
T = 0.99 are drawn by parallel tempering
(:func:`sklearn_plm.datasets.make_spin_glass`). For a growing number P of
training samples a pseudo-likelihood memory is trained by gradient descent
(learning rate decaying by 0.999 per epoch), and the zero-temperature dynamics
(100 synchronous steps) is started at the training samples, at held-out
samples and at uniformly random states; the final overlap with the start is
averaged. This is the paper's quantity for all three curves, random starts
included (the authors' EA code: P uniform +/-1 starts, 100 synchronous steps
with the asymmetric couplings, overlap with the own start). The reference is
the same dynamics with the true couplings, started at held-out samples (and,
for the large-P limit of the random-start curve, at the random states). Means
+/- standard errors are over ``n_seeds`` random train/test draws from one pool
of samples of one instance (as in the paper).
D'Amico et al. (2025), spin-glass section.
"""

import time

import numpy as np

from .. import HopfieldMemory, PseudoLikelihoodMemory
from ..datasets import make_spin_glass
from ._common import (Logger, RowWriter, aggregate, child_seeds, claims_table, compute_context,
                      differs, errorbar, finish, format_table, mean_recall_overlaps,
                      recall_overlap, replicate_seeds, resolve_config)

NAME = "spin-glass"
SUMMARY = "train/test/random overlaps vs P/N on 2D Edwards-Anderson samples, vs the true couplings"

QUICK = {
    "L": 10,
    "temperature": 0.99,
    "alphas": [0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 20.0],
    "n_test": 300,
    "epochs": 1000,
    "paper_learning_rate": 100.0,
    "decay": 0.999,
    "n_recall": 100,
    "n_sweeps_between": 50,
    # "binary" (+/-J bonds) or "gaussian"; see make_spin_glass
    "couplings": "binary",
    "n_seeds": 3,
}
FULL = {
    **QUICK,
    "L": 20,
    "alphas": [0.005, 0.01, 0.03, 0.1, 0.3, 0.6, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0],
    "n_test": 500,
}

#: Measured per load, mean +/- standard error over seeds in the tables.
VALUES = ("train", "test", "random", "fit_time")

#: Paper (L = 32, N = 1024, T = 0.99), read off the figure (+/-0.02): alpha -> overlap.
PAPER_TRAIN = {0.1: 1.0, 1.0: 1.0, 1.2: 1.0, 3.0: 0.68, 10.0: 0.84, 20.0: 0.87}
PAPER_TEST = {0.001: 0.08, 0.005: 0.15, 0.01: 0.18, 0.1: 0.50, 1.0: 0.73, 3.0: 0.67}
PAPER_RANDOM = {0.001: 0.02, 0.01: 0.045, 0.1: 0.12, 1.0: 0.21, 5.0: 0.25, 64.0: 0.45}
#: Recall with the true couplings from equilibrium samples (paper's asymptotics file).
PAPER_TRUE_J = 0.8818
#: PL trained on all 131072 samples of the paper's pool.
PAPER_ALL_SAMPLES = 0.8754


def _recall_sign_zero(J, X, n_steps):
    """Final overlap of ``s <- sign(J s)`` with ``sign(0) = 0`` (the paper's code).

    The library keeps the current spin on a zero field; with +/-1 bonds on a
    lattice zero fields are common, so the paper's reference line is
    reproduced with its own tie rule. The overlap ``2 m_EA - 1`` of the paper
    counts a zero spin as half wrong, which is the plain ``(1/N) x.s``.
    """
    S = X.copy()
    for _ in range(n_steps):
        S = np.sign(S @ J.T)
    return float(np.mean(np.einsum("ij,ij->i", S, X) / X.shape[1]))


def _fit(X, config, N, seed):
    """Gradient descent from zero couplings, the learning rate decaying per epoch."""
    est = PseudoLikelihoodMemory(
        alpha=0.0, beta=1.0, solver="gd", init="zeros", tol=0.0,
        learning_rate=config["paper_learning_rate"] / N,  # the paper's loss is divided by N P
        learning_rate_decay=config["decay"], max_iter=config["epochs"],
        max_recall_iter=config["n_recall"], n_jobs=config["n_jobs"], random_state=seed)
    return est.fit(X)


def run(config=None, *, out=None):
    """Run the experiment.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`QUICK`, plus ``seed``, ``n_seeds``, ``n_jobs`` and
        ``verbose``.
    out : str or Path, default=None
        Folder for ``spin-glass.csv`` (means and standard errors),
        ``spin-glass_runs.csv`` (per seed, written as produced), the PNG and
        the table.

    Returns
    -------
    results : Bunch
        ``spin-glass`` rows and ``true_couplings`` (overlap of the reference
        dynamics).
    """
    config = resolve_config(QUICK, config)
    log = Logger(NAME, config["verbose"])
    runs = RowWriter(out, "spin-glass_runs.csv")
    L = config["L"]
    N = L * L
    sizes = [max(1, int(round(a * N))) for a in config["alphas"]]
    n_pool = max(sizes) + config["n_test"]
    seed_glass, seed_reps = child_seeds(config["seed"], 2)
    t0 = time.perf_counter()
    glass = make_spin_glass(L, config["temperature"], n_pool,
                            n_sweeps_between=config["n_sweeps_between"],
                            couplings=config["couplings"],
                            n_jobs=config["n_jobs"], random_state=int(seed_glass))
    log(f"{n_pool} parallel-tempering samples of L = {L} in {time.perf_counter() - t0:.1f}s")
    pool = glass.data.astype(np.float64)
    true_j = true_j0 = true_random = true_random0 = None
    with compute_context(config["n_jobs"]):
        for rep, rep_seed in enumerate(replicate_seeds({**config, "seed": int(seed_reps)})):
            seed_perm, seed_random, seed_fit = child_seeds(rep_seed, 3)
            X_all = pool[np.random.RandomState(seed_perm).permutation(n_pool)]
            X_test, X_pool = X_all[:config["n_test"]], X_all[config["n_test"]:]
            X_random = np.where(
                np.random.RandomState(seed_random).random_sample(X_test.shape) < 0.5, -1.0, 1.0)
            if rep == 0:
                reference = HopfieldMemory(max_recall_iter=config["n_recall"]).fit(X_test[:2])
                reference.coupling_ = glass.coupling.astype(np.float64)
                true_j = float(recall_overlap(reference, pool).mean())
                true_j0 = _recall_sign_zero(glass.coupling, pool, config["n_recall"])
                # the large-P limit of the random-start curve: the true couplings' own
                true_random = float(recall_overlap(reference, X_random).mean())
                true_random0 = _recall_sign_zero(glass.coupling, X_random, config["n_recall"])
                log(f"recall with the true couplings from all {n_pool} samples: {true_j:.4f} "
                    f"(sign(0) = 0: {true_j0:.4f}); from random states {true_random:.4f} "
                    f"(sign(0) = 0: {true_random0:.4f})")
            for alpha, P in zip(config["alphas"], sizes):
                X_train = X_pool[:P]
                t1 = time.perf_counter()
                est = _fit(X_train, config, N, int(seed_fit))
                fit_time = time.perf_counter() - t1
                row = runs.add({
                    "alpha": P / N, "alpha_requested": alpha, "seed": rep, "n_train": P,
                    "n_features": N,
                    **mean_recall_overlaps(est, train=X_train, test=X_test, random=X_random),
                    "true_couplings": true_j, "true_couplings_sign0": true_j0,
                    "paper_train": PAPER_TRAIN.get(alpha), "paper_test": PAPER_TEST.get(alpha),
                    "paper_random": PAPER_RANDOM.get(alpha), "fit_time": fit_time})
                log(f"seed {rep} P={P:>5} (alpha={P / N:.3g}) train={row['train']:.3f} "
                    f"test={row['test']:.3f} random={row['random']:.3f} fit {fit_time:.1f}s")
    rows = aggregate(runs.rows, ("alpha_requested",), VALUES)
    columns = [("n_train", "P", "d"), ("alpha", "P/N", ".3g"), ("train", "train", ".3f"),
               ("paper_train", "paper", ".2f"), ("test", "test", ".3f"),
               ("paper_test", "paper", ".2f"), ("random", "random", ".3f"),
               ("paper_random", "paper", ".3f")]
    title = (f"2D EA spin glass, L = {L} (N = {N}), T = {config['temperature']}: mean final "
             f"overlap with the start after {config['n_recall']} sync steps "
             f"({config['epochs']} GD epochs, lr decaying x{config['decay']}/epoch); "
             f"{config['n_test']} held-out samples; mean+-s.e. over {config['n_seeds']} draws")
    tables = [format_table(rows, columns, title),
              f"True couplings, started at all pool samples: {true_j:.4f} with the library's "
              f"tie rule (a zero field keeps the spin), {true_j0:.4f} with sign(0) = 0 as in "
              f"the paper's code\n(paper, L = 32: {PAPER_TRUE_J}; PL on all 131072 samples: "
              f"{PAPER_ALL_SAMPLES})\nTrue couplings, started at the random states: "
              f"{true_random:.4f} (sign(0) = 0: {true_random0:.4f}), the large-P limit of the "
              f"random-start curve",
              claims_table(_claims(rows, true_j, true_random))]
    csvs = {"spin-glass.csv": (rows, None)}
    results = finish(NAME, out, tables, csvs,
                     lambda plt: _plot(plt, rows, true_j, true_j0, config),
                     log, extra={"true_couplings": true_j, "true_couplings_sign0": true_j0,
                                 "true_couplings_random": true_random,
                                 "true_couplings_random_sign0": true_random0})
    results["spin-glass_runs"] = runs.rows
    return results


def _claims(rows, true_j, true_random=None):
    """The paper's memorization -> generalization claims, checked on these rows."""
    rows = sorted(rows, key=lambda r: r["alpha"])
    small = [r for r in rows if r["alpha"] <= 0.3]
    large = [r for r in rows if r["alpha"] >= 10]
    claims = []
    claims.append((
        "training samples are fixed points at small load (memorization)",
        all(r["train"] >= 0.99 for r in small) if small else None,
        ", ".join(f"P/N={r['alpha']:.3g}: {r['train']:.3f}" for r in small) or "no P/N <= 0.3"))
    test = [r["test"] for r in rows]
    peak = int(np.argmax(test))
    claims.append((
        "test overlap grows with the load up to P/N ~ 1",
        bool(peak > 0 and differs(rows[peak], rows[0], "test") > 2),
        f"{rows[0]['test']:.3f} at P/N={rows[0]['alpha']:.3g} -> max {test[peak]:.3f} at "
        f"P/N={rows[peak]['alpha']:.3g}"))
    if large and small:
        gap_small = small[-1]["train"] - small[-1]["test"]
        gap = abs(large[-1]["train"] - large[-1]["test"])
        claims.append((
            "at large load train and test overlaps come together (generalization)",
            bool(gap < 0.5 * gap_small),
            f"train - test: {gap_small:.3f} at P/N={small[-1]['alpha']:.3g}, {gap:.3f} at "
            f"P/N={large[-1]['alpha']:.3g} (train {large[-1]['train']:.3f}; true couplings "
            f"{true_j:.3f})"))
    else:
        claims.append(("at large load train and test overlaps come together (generalization)",
                       None, "needs loads P/N <= 0.3 and >= 10"))
    below = [r for r in rows if r["random"] < r["test"] - 0.05]
    claims.append((
        "random states end far from where they start (few spurious fixed points)",
        len(below) == len(rows),
        f"random-start overlap {min(r['random'] for r in rows):.3f}-"
        f"{max(r['random'] for r in rows):.3f}"))
    claims.append(_random_rises(rows, true_random))
    return claims


def _random_rises(rows, true_random):
    """The paper's random-start curve rises with the load; does ours (2 s.e.)?"""
    drops = [(a, b) for a, b in zip(rows, rows[1:]) if differs(b, a, "random") < -2]
    ours = ", ".join(f"{r['alpha']:.3g}: {r['random']:.3f}" for r in rows)
    if true_random is not None:
        ours += f" (true couplings: {true_random:.3f})"
    if drops:
        a, b = drops[0]
        ours += f"; falls from P/N = {a['alpha']:.3g} to {b['alpha']:.3g}"
    paper = ", ".join(f"{a:g}: {v:g}" for a, v in PAPER_RANDOM.items())
    return ("the random-start overlap rises with the load (no fall beyond 2 s.e.)",
            not drops, ours, paper)


def _plot(plt, rows, true_j, true_j0, config):
    fig, ax = plt.subplots(figsize=(7.5, 5))
    a = [r["alpha"] for r in rows]
    for key, style, color, paper in (("train", "o-", "C0", PAPER_TRAIN),
                                     ("test", "s-", "C1", PAPER_TEST),
                                     ("random", "^-", "C2", PAPER_RANDOM)):
        errorbar(ax, a, rows, key, style, color=color, label=key)
        pa, pv = zip(*sorted(paper.items()))
        ax.plot(pa, pv, style[0], color=color, mfc="none", ms=9, alpha=0.8,
                label=f"paper (L = 32), {key}")
    ax.axhline(true_j, color="k", ls="--", lw=1.2, label=f"true couplings ({true_j:.3f})")
    ax.axhline(true_j0, color="k", ls="-.", lw=1.0,
               label=f"true couplings, sign(0)=0 ({true_j0:.3f})")
    ax.axhline(PAPER_TRUE_J, color="grey", ls=":", lw=1.2,
               label=f"paper, true couplings ({PAPER_TRUE_J})")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("load $\\alpha = P/N$")
    ax.set_ylabel(f"mean final overlap ({config['n_recall']} sync steps)")
    ax.set_title(f"2D Edwards-Anderson, L = {config['L']}, T = {config['temperature']}",
                 fontsize=10)
    ax.legend(fontsize=7.5, ncol=2, loc="lower right")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig
