"""Basins of attraction of random patterns: pseudo-likelihood vs the classical rules.

For i.i.d. +/-1 patterns at load alpha = P/N, each rule's network is started
from copies of the patterns with initial overlap m_in and run for 100
synchronous steps; the final overlap m_F(m_in) is averaged over patterns. The
basin size is ``1 - m_in*``, where m_in* is the smallest initial overlap from
which the mean final overlap is at least 0.99 (and stays so for every larger
m_in). D'Amico et al. (2025), section on uncorrelated patterns.
"""

import time

import numpy as np

from .. import HopfieldMemory, PseudoLikelihoodMemory
from ..datasets import make_random_patterns
from ..metrics import asymmetry, basin_size, fixed_point_fraction, stabilities
from ._common import Logger, child_seeds, compute_context, finish, format_table, resolve_config

NAME = "basins"
SUMMARY = "basin size vs load P/N on random patterns, PL vs Hebb/pseudo-inverse/Storkey/perceptron"

RULES = ("PL asym", "PL sym", "Hebb", "pseudo-inverse", "Storkey", "perceptron kmax")
# rules drawn only in the m_F(m_in) panel, as in the paper's left panel
CURVE_ONLY_RULES = ("perceptron k=0",)

QUICK = {
    "n_features": 200,
    "alphas": [0.1, 0.2, 0.3, 0.4, 0.6, 0.8],
    "rules": list(RULES),
    "epochs": 1000,
    "solver": "gd",
    "learning_rate": 1.0,
    "beta": 1.0,
    "l2": 0.0,
    "m_in_step": 0.02,
    "curve_alpha": 0.4,
    "n_recall": 100,
    "success": 0.99,
}
FULL = {
    **QUICK,
    "n_features": 400,
    "alphas": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0],
    "epochs": 2000,
}

#: Basin size read off the paper's figure (+/-15 %): alpha -> (asymmetric PL, symmetric PL).
PAPER_BASINS = {
    0.1: (0.74, 0.77), 0.2: (0.61, 0.64), 0.3: (0.49, 0.51), 0.4: (0.37, 0.38),
    0.5: (0.24, 0.25), 0.6: (0.14, 0.13), 0.7: (0.082, 0.069), 0.8: (0.048, 0.019),
    0.9: (0.027, 0.0), 1.0: (0.017, None), 1.1: (0.011, None), 1.2: (0.008, None),
    1.3: (0.004, None), 1.4: (0.002, None), 1.5: (0.002, None),
}
#: Mean final overlap of PL at alpha = 0.4 (N = 400 re-run of the paper's protocol).
PAPER_CURVE_PL = {0.3: 0.32, 0.42: 0.49, 0.48: 0.63, 0.54: 0.83, 0.6: 0.98, 0.62: 1.0}
#: Smallest m_in reaching m_F = 1 at alpha = 0.4 in the paper's left panel.
PAPER_M_IN_STAR = {"PL asym": 0.63, "perceptron kmax": 0.66, "perceptron k=0": 1.0}


def make_rule(rule, config):
    """A fresh estimator for one of the compared rules."""
    n_recall = config["n_recall"]
    if rule in ("PL asym", "PL sym"):
        gd = config["solver"] == "gd"
        return PseudoLikelihoodMemory(
            alpha=config["l2"], beta=config["beta"], symmetric=rule == "PL sym",
            solver=config["solver"], learning_rate=config["learning_rate"],
            max_iter=config["epochs"], tol=0.0 if gd else 1e-5, init="hebb" if gd else "zeros",
            max_recall_iter=n_recall, n_jobs=config["n_jobs"])
    hopfield = {"Hebb": ("hebb", 0.0), "pseudo-inverse": ("pseudo-inverse", 0.0),
                "Storkey": ("storkey", 0.0), "perceptron kmax": ("perceptron", "max"),
                "perceptron k=0": ("perceptron", 0.0)}
    if rule not in hopfield:
        raise ValueError(f"Unknown rule {rule!r}; choose among {RULES + CURVE_ONLY_RULES}.")
    name, margin = hopfield[rule]
    return HopfieldMemory(rule=name, margin=margin, max_iter=20000, tol=1e-4,
                          max_recall_iter=n_recall, n_jobs=config["n_jobs"])


def population_basin(m_in, mean_final, success=0.99):
    """``1 - m_in*``: smallest m_in from which the mean m_F stays >= ``success``."""
    order = np.argsort(m_in)
    m_in, ok = np.asarray(m_in)[order], np.asarray(mean_final)[order] >= success
    held = np.flip(np.logical_and.accumulate(np.flip(ok)))
    return float(1.0 - m_in[np.argmax(held)]) if held.any() else 0.0


def scan_basin(estimator, X, step, success, seed, chunk=5):
    """Population basin, scanning m_in downwards from 1 and stopping at the first failure.

    Calls :func:`sklearn_plm.metrics.basin_size` on chunks of the grid, so
    narrow basins cost a few recalls instead of the whole grid.
    """
    grid = np.round(np.arange(1.0, -1e-9, -step), 10)
    seeds = child_seeds(seed, len(grid))
    m_seen, mf_seen = [], []
    for k in range(0, len(grid), chunk):
        part = grid[k:k + chunk]
        res = basin_size(estimator, X, m_in=part, random_state=int(seeds[k]))
        mean_final = res.final_overlap.mean(axis=0)
        m_seen.extend(res.m_in)
        mf_seen.extend(mean_final)
        if np.any(mean_final < success):
            break
    return population_basin(m_seen, mf_seen, success)


def run(config=None, *, out=None):
    """Run the experiment.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`QUICK` (see the keys there), plus ``seed``,
        ``n_jobs`` and ``verbose``.
    out : str or Path, default=None
        Folder for ``basins.csv``, ``basins_curves.csv``, ``basins.png`` and
        ``basins.txt``; None writes nothing.

    Returns
    -------
    results : Bunch
        ``basins`` (one dict per load and rule), ``basins_curves`` (one dict
        per rule and m_in at ``curve_alpha``), ``table`` and ``files``.
    """
    config = resolve_config(QUICK, config)
    log = Logger(NAME, config["verbose"])
    N, step = config["n_features"], config["m_in_step"]
    alphas = list(config["alphas"])
    curve_alpha = config["curve_alpha"]
    if curve_alpha is not None and curve_alpha not in alphas:
        alphas.append(curve_alpha)
    alphas = sorted(alphas)
    full_grid = np.round(np.linspace(0.0, 1.0, int(round(1 / step)) + 1), 10)
    seeds = child_seeds(config["seed"], len(alphas))
    rows, curve_rows = [], []
    with compute_context(config["n_jobs"]):
        for alpha, seed in zip(alphas, seeds):
            P = max(1, int(round(alpha * N)))
            X = make_random_patterns(P, N, random_state=int(seed))
            rules = list(config["rules"])
            if alpha == curve_alpha:
                rules += [r for r in CURVE_ONLY_RULES if r not in rules]
            for rule in rules:
                est = make_rule(rule, config)
                t0 = time.perf_counter()
                est.fit(X)
                fit_time = time.perf_counter() - t0
                row = {"alpha": alpha, "rule": rule, "n_features": N, "n_patterns": P,
                       "fixed_points": fixed_point_fraction(est, X),
                       "min_stability": float(np.nanmin(stabilities(est, X))),
                       "asymmetry": asymmetry(est), "fit_time": fit_time}
                if alpha == curve_alpha:
                    res = basin_size(est, X, m_in=full_grid, random_state=int(seed))
                    mean_final = res.final_overlap.mean(axis=0)
                    row["basin"] = population_basin(res.m_in, mean_final, config["success"])
                    row["basin_per_pattern"] = res.basin_size
                    curve_rows.extend({"alpha": alpha, "rule": rule, "m_in": float(m),
                                       "m_final": float(f), "success": float(s)}
                                      for m, f, s in zip(res.m_in, mean_final,
                                                         res.success.mean(axis=0)))
                else:
                    row["basin"] = scan_basin(est, X, step, config["success"], int(seed))
                paper = PAPER_BASINS.get(round(alpha, 3), (None, None))
                row["paper_basin"] = {"PL asym": paper[0], "PL sym": paper[1]}.get(rule)
                rows.append(row)
                log(f"alpha={alpha:.2f} {rule:<16} basin={row['basin']:.3f} "
                    f"fixed={row['fixed_points']:.2f} fit {fit_time:.1f}s")
    tables = _tables(rows, curve_rows, alphas, config)
    csvs = {"basins.csv": (rows, None), "basins_curves.csv": (curve_rows, None)}
    return finish(NAME, out, tables, csvs, lambda plt: _plot(plt, rows, curve_rows, config), log)


def _tables(rows, curve_rows, alphas, config):
    rules = list(dict.fromkeys(r["rule"] for r in rows if r["rule"] not in CURVE_ONLY_RULES))
    pivot = []
    for alpha in alphas:
        line = {"alpha": alpha}
        for r in rows:
            if r["alpha"] == alpha:
                line[r["rule"]] = r["basin"]
        paper = PAPER_BASINS.get(round(alpha, 3), (None, None))
        line["paper asym"], line["paper sym"] = paper
        pivot.append(line)
    columns = [("alpha", "P/N", ".2f")] + [(r, r, ".3f") for r in rules] + [
        ("paper asym", "paper asym", ".3f"), ("paper sym", "paper sym", ".3f")]
    title = (f"Basin size 1 - m_in* (mean m_F >= {config['success']} over patterns; N = "
             f"{config['n_features']}, PL: solver={config['solver']}, "
             f"{config['epochs']} epochs)")
    tables = [format_table(pivot, columns, title)]
    if curve_rows:
        alpha = curve_rows[0]["alpha"]
        curve_rules = list(dict.fromkeys(r["rule"] for r in curve_rows))
        picks = [0.2, 0.3, 0.4, 0.42, 0.48, 0.54, 0.6, 0.62, 0.66, 0.72, 0.8, 1.0]
        table = []
        for m in picks:
            line = {"m_in": m, "paper PL": PAPER_CURVE_PL.get(m)}
            for r in curve_rows:
                if abs(r["m_in"] - m) < 1e-9:
                    line[r["rule"]] = r["m_final"]
            table.append(line)
        columns = [("m_in", "m_in", ".2f")] + [(r, r, ".3f") for r in curve_rules] + [
            ("paper PL", "paper PL", ".2f")]
        tables.append(format_table(table, columns, f"Mean final overlap m_F(m_in) at P/N = "
                                                    f"{alpha}"))
    return tables


def _plot(plt, rows, curve_rows, config):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), gridspec_kw={"width_ratios": [1, 1.2, 0.8]})
    colors = {rule: f"C{k}" for k, rule in enumerate(RULES + CURVE_ONLY_RULES)}
    ax = axes[0]
    if curve_rows:
        for rule in dict.fromkeys(r["rule"] for r in curve_rows):
            pts = [(r["m_in"], r["m_final"]) for r in curve_rows if r["rule"] == rule]
            m, f = np.array(pts).T
            ax.plot(m, f, "-", color=colors[rule], label=rule, lw=1.6)
        m, f = np.array(sorted(PAPER_CURVE_PL.items())).T
        ax.plot(m, f, "ko", mfc="none", label="paper, PL")
        ax.plot([0, 1], [0, 1], ":", color="grey", lw=1)
        ax.set_title(f"(a) recall at P/N = {curve_rows[0]['alpha']}, N = {config['n_features']}")
    ax.set_xlabel("initial overlap $m_{IN}$")
    ax.set_ylabel("final overlap $m_F$ (mean over patterns)")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)

    ax = axes[1]
    floor = 0.5 / config["n_features"]
    for rule in dict.fromkeys(r["rule"] for r in rows if r["rule"] not in CURVE_ONLY_RULES):
        pts = np.array([(r["alpha"], r["basin"]) for r in rows if r["rule"] == rule])
        ax.plot(pts[:, 0], np.maximum(pts[:, 1], floor), "o-", color=colors[rule], label=rule,
                ms=4, lw=1.4)
    for k, (label, marker) in enumerate((("paper, PL asym", "ks"), ("paper, PL sym", "k^"))):
        pts = np.array([(a, v[k]) for a, v in PAPER_BASINS.items() if v[k]])
        ax.plot(pts[:, 0], pts[:, 1], marker, mfc="none", ms=7, label=label)
    ax.axhline(floor, color="grey", lw=0.8, ls=":")
    ax.text(0.98, floor * 1.15, "basin 0 drawn here", ha="right", fontsize=7, color="grey",
            transform=ax.get_yaxis_transform())
    ax.set_yscale("log")
    ax.set_xlabel("load $\\alpha = P/N$")
    ax.set_ylabel("basin size $1 - m_{IN}^*$")
    ax.set_title("(b) basin size vs load")
    ax.legend(fontsize=8, ncol=2, loc="upper right")
    ax.grid(alpha=0.3, which="both")

    ax = axes[2]
    for rule in ("PL asym", "PL sym", "perceptron kmax"):
        pts = np.array([(r["alpha"], r["asymmetry"]) for r in rows if r["rule"] == rule])
        if len(pts):
            ax.plot(pts[:, 0], pts[:, 1], "o-", color=colors[rule], label=rule, ms=4)
    ax.set_xlabel("load $\\alpha = P/N$")
    ax.set_ylabel("asymmetry (sklearn_plm.metrics.asymmetry)")
    ax.set_title("(c) asymmetry of the couplings")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
