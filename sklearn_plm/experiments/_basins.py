"""Basins of attraction of random patterns: pseudo-likelihood vs the classical rules.

For i.i.d. +/-1 patterns at load alpha = P/N, each rule's network is started
from copies of the patterns with initial overlap m_in and run for 100
synchronous steps. The basin size is ``1 - m_in*``
(:func:`sklearn_plm.metrics.basin_size`), by two criteria on the same
corruptions. The paper's figure is built from population curves, the mean
final overlap m_F against m_in (sampled every 0.002, one spin at N = 1000),
and its basin is read where such a curve reaches 1: that is the population
criterion (``criterion="population"``: m_in* where the mean m_F over the
patterns is >= 0.99), the one compared with the paper's numbers. The
per-pattern criterion (``criterion="pattern"``: each pattern's m_in* is the
smallest initial overlap from which recall ends on it, m_F >= 0.999, and the
basin is their mean) is reported beside it; it resolves small basins better
and ranks the rules.
Every number is a mean +/- standard error over ``n_seeds`` independent sets of
patterns. D'Amico et al. (2025), section on uncorrelated patterns.
"""

import time

import numpy as np

from .. import HopfieldMemory, PseudoLikelihoodMemory
from ..datasets import make_random_patterns
from ..metrics import asymmetry, basin_size, fixed_point_fraction, stabilities
from ._common import (Logger, RowWriter, aggregate, child_seeds, claims_table, compute_context,
                      differs, errorbar, finish, format_table, replicate_seeds, resolve_config)

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
    "n_seeds": 3,
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


#: Differences within this many combined standard errors count as ties (with a few
#: seeds the standard errors themselves are rough, hence more than 2).
TIE_SIGMA = 3.0
#: Measured per load and rule (mean +/- standard error over seeds in the tables).
VALUES = ("basin", "basin_population", "fixed_points", "min_stability", "asymmetry", "fit_time")


def measure_basins(estimator, X, grid, seed, full_curve=False):
    """Basin by the per-pattern and the population (paper's figure) criterion, same corruptions.

    Both calls of :func:`sklearn_plm.metrics.basin_size` draw the same
    corruptions (same ``random_state``) and scan the grid downwards, stopping
    once their basin is known, unless ``full_curve`` asks for every m_in.
    """
    pattern = basin_size(estimator, X, m_in=grid, criterion="pattern",
                         stop_early=not full_curve, random_state=seed)
    population = basin_size(estimator, X, m_in=grid, criterion="population",
                            stop_early=True, random_state=seed)
    return pattern, population.basin_size


def run(config=None, *, out=None):
    """Run the experiment.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`QUICK` (see the keys there), plus ``seed``,
        ``n_seeds``, ``n_jobs`` and ``verbose``.
    out : str or Path, default=None
        Folder for ``basins.csv`` (means and standard errors),
        ``basins_runs.csv`` (one row per seed, written as produced),
        ``basins_curves.csv``, ``basins.png`` and ``basins.txt``; None writes
        nothing.

    Returns
    -------
    results : Bunch
        ``basins`` (one dict per load and rule, means with ``*_sem``),
        ``basins_runs``, ``basins_curves`` (one dict per rule and m_in at
        ``curve_alpha``), ``table`` and ``files``.
    """
    config = resolve_config(QUICK, config)
    log = Logger(NAME, config["verbose"])
    runs = RowWriter(out, "basins_runs.csv")
    curve_runs = RowWriter(out, "basins_curves_runs.csv")
    N, step = config["n_features"], config["m_in_step"]
    alphas = list(config["alphas"])
    curve_alpha = config["curve_alpha"]
    if curve_alpha is not None and curve_alpha not in alphas:
        alphas.append(curve_alpha)
    alphas = sorted(alphas)
    grid = np.round(np.linspace(0.0, 1.0, int(round(1 / step)) + 1), 10)
    with compute_context(config["n_jobs"]):
        for rep, rep_seed in enumerate(replicate_seeds(config)):
            for alpha, seed in zip(alphas, child_seeds(rep_seed, len(alphas))):
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
                    res, population = measure_basins(est, X, grid, int(seed),
                                                     full_curve=alpha == curve_alpha)
                    paper = PAPER_BASINS.get(round(alpha, 3), (None, None))
                    row = runs.add({
                        "alpha": alpha, "rule": rule, "seed": rep, "n_features": N,
                        "n_patterns": P, "basin": res.basin_size, "basin_population": population,
                        "fixed_points": fixed_point_fraction(est, X),
                        "min_stability": float(np.nanmin(stabilities(est, X))),
                        "asymmetry": asymmetry(est), "fit_time": fit_time,
                        "paper_basin": {"PL asym": paper[0], "PL sym": paper[1]}.get(rule)})
                    if alpha == curve_alpha:
                        for m, f, ok in zip(res.m_in, res.final_overlap.mean(axis=0),
                                            res.success.mean(axis=0)):
                            curve_runs.add({"alpha": alpha, "rule": rule, "seed": rep,
                                            "m_in": float(m), "m_final": float(f),
                                            "success": float(ok)})
                    log(f"seed {rep} alpha={alpha:.2f} {rule:<16} basin={row['basin']:.3f} "
                        f"(population {population:.3f}) fixed={row['fixed_points']:.2f} "
                        f"fit {fit_time:.1f}s")
    rows = aggregate(runs.rows, ("alpha", "rule"), VALUES)
    curve_rows = aggregate(curve_runs.rows, ("alpha", "rule", "m_in"), ("m_final", "success"))
    tables = _tables(rows, curve_rows, alphas, config) + [claims_table(_claims(rows, alphas))]
    csvs = {"basins.csv": (rows, None), "basins_curves.csv": (curve_rows, None)}
    results = finish(NAME, out, tables, csvs,
                     lambda plt: _plot(plt, rows, curve_rows, config), log)
    results.update(basins_runs=runs.rows, basins_curves_runs=curve_runs.rows)
    return results


def _claims(rows, alphas):
    """The paper's claims on basins, checked on these rows (2 standard errors)."""
    by = {(r["alpha"], r["rule"]): r for r in rows}
    classical = [r for r in ("Hebb", "pseudo-inverse", "Storkey", "perceptron kmax")
                 if any(k[1] == r for k in by)]
    claims = []
    if ("PL asym" in {k[1] for k in by}) and classical:
        above, strictly, tied = [], [], []
        for alpha in alphas:
            pl = by[(alpha, "PL asym")]
            z = {r: differs(pl, by[(alpha, r)], "basin") for r in classical
                 if (alpha, r) in by}
            above += [f"{r} at {alpha:g}" for r, v in z.items() if v < -TIE_SIGMA]
            if all(v > TIE_SIGMA for v in z.values()):
                strictly.append(alpha)
            else:
                close = ", ".join(r for r, v in z.items() if v <= TIE_SIGMA)
                tied.append(f"{alpha:g} ({close})")
        claims.append((f"no classical rule has a larger basin than PL ({TIE_SIGMA:g} s.e., "
                       "per-pattern criterion)",
                       not above,
                       "larger: " + ", ".join(above) if above else "none larger at any load"))
        claims.append(("PL has the largest basin beyond the error bars at P/N >= 0.3 "
                       "(per-pattern criterion)",
                       bool(strictly) and all(a in strictly for a in alphas if a >= 0.3),
                       f"strictly largest at P/N = {', '.join(f'{a:g}' for a in strictly) or '-'}"
                       f"; ties within {TIE_SIGMA:g} s.e. at P/N = {'; '.join(tied) or '-'}"))
    hebb = [by[(a, "Hebb")] for a in alphas if a >= 0.2 and (a, "Hebb") in by]
    if hebb:
        claims.append(("Hebb patterns are not retrieved for P/N >= 0.2 (no basin)",
                       all(r["basin"] < 0.1 for r in hebb),
                       ", ".join(f"{r['alpha']:g}: basin {r['basin']:.3f}, fixed points "
                                 f"{r['fixed_points']:.2f}" for r in hebb)))
    if (0.4, "PL asym") in by:
        # the figure's basin is where its mean m_F(m_in) curve reaches 1: population criterion
        r = by[(0.4, "PL asym")]
        paper = PAPER_BASINS[0.4][0]
        sem = np.nan_to_num(r["basin_population_sem"])   # NaN with one seed: no error bar
        claims.append((f"PL basin at P/N = 0.4 is the paper's {paper:g} (+-15%, read off its "
                       "figure; population criterion, as the figure)",
                       bool(paper * 0.85 - 2 * sem <= r["basin_population"]
                            <= paper * 1.15 + 2 * sem),
                       f"population {r['basin_population']:.3f}+-{r['basin_population_sem']:.3f}"
                       f"; per-pattern {r['basin']:.3f}", f"{paper:g}"))
    high = [a for a in alphas if a >= 0.8 and (a, "PL sym") in by and (a, "PL asym") in by]
    if high:
        a = high[0]
        z = differs(by[(a, "PL asym")], by[(a, "PL sym")], "basin")
        paper = PAPER_BASINS.get(round(a, 3))
        claims.append(("symmetric PL loses its basin earlier than asymmetric PL (per-pattern "
                       "criterion)",
                       bool(z > 2), f"P/N = {a:g}: asym {by[(a, 'PL asym')]['basin']:.3f}, "
                                    f"sym {by[(a, 'PL sym')]['basin']:.3f} (population "
                                    f"{by[(a, 'PL asym')]['basin_population']:.3f}, "
                                    f"{by[(a, 'PL sym')]['basin_population']:.3f})",
                       None if paper is None else
                       f"asym {paper[0]:g}, sym {paper[1] or 0:g}"))
    else:
        claims.append(("symmetric PL loses its basin earlier than asymmetric PL", None,
                       "needs P/N >= 0.8"))
    return claims


def ties_with_best(rows, alpha, rule="PL asym", key="basin", n_sigma=None):
    """Rules whose ``key`` at ``alpha`` is within ``n_sigma`` combined errors of ``rule``'s."""
    sel = {r["rule"]: r for r in rows if r["alpha"] == alpha and r["rule"] not in CURVE_ONLY_RULES}
    if rule not in sel:
        return []
    n_sigma = TIE_SIGMA if n_sigma is None else n_sigma
    ref = sel[rule]
    out = []
    for name, r in sel.items():
        if name == rule:
            continue
        err = np.hypot(np.nan_to_num(ref.get(f"{key}_sem", 0.0)),
                       np.nan_to_num(r.get(f"{key}_sem", 0.0)))
        if abs(ref[key] - r[key]) <= n_sigma * err or r[key] >= ref[key]:
            out.append(name)
    return out


def _tables(rows, curve_rows, alphas, config):
    rules = list(dict.fromkeys(r["rule"] for r in rows if r["rule"] not in CURVE_ONLY_RULES))
    n_seeds = max((r["n_seeds"] for r in rows), default=0)
    tables = []
    for key, what in (("basin_population", "population criterion, as the paper's figure: "
                                           "where the mean m_F(m_in) curve reaches 1 (>= 0.99)"),
                      ("basin", "per-pattern criterion: each pattern's m_in* (m_F >= 0.999), "
                                "mean over patterns"),
                      ("fixed_points", "fraction of patterns that are fixed points")):
        pivot = []
        for alpha in alphas:
            line = {"alpha": alpha}
            for r in rows:
                if r["alpha"] == alpha and r["rule"] in rules:
                    line[r["rule"]], line[f"{r['rule']}_sem"] = r[key], r[f"{key}_sem"]
            if key == "basin_population":
                paper = PAPER_BASINS.get(round(alpha, 3), (None, None))
                line["paper asym"], line["paper sym"] = paper
            if key == "basin":
                ties = ties_with_best(rows, alpha)
                line["ties with PL asym"] = ", ".join(ties) if ties else "none"
            pivot.append(line)
        columns = [("alpha", "P/N", ".2f")] + [(r, r, ".3f") for r in rules]
        if key == "basin_population":
            columns += [("paper asym", "paper asym", ".3f"), ("paper sym", "paper sym", ".3f")]
        if key == "basin":
            columns += [("ties with PL asym", f"within {TIE_SIGMA:g} s.e. of PL asym (or above)",
                         "")]
        title = (f"{'Basin size 1 - m_in*' if key != 'fixed_points' else 'Fixed points'} "
                 f"({what}; N = {config['n_features']}, PL: solver={config['solver']}, "
                 f"{config['epochs']} epochs; mean+-s.e. over {n_seeds} seeds)")
        tables.append(format_table(pivot, columns, title))
    if curve_rows:
        alpha = curve_rows[0]["alpha"]
        curve_rules = list(dict.fromkeys(r["rule"] for r in curve_rows))
        picks = [0.2, 0.3, 0.4, 0.42, 0.48, 0.54, 0.6, 0.62, 0.66, 0.72, 0.8, 1.0]
        table = []
        for m in picks:
            line = {"m_in": m, "paper PL": PAPER_CURVE_PL.get(m)}
            for r in curve_rows:
                if abs(r["m_in"] - m) < 1e-9:
                    line[r["rule"]], line[f"{r['rule']}_sem"] = r["m_final"], r["m_final_sem"]
            table.append(line)
        columns = [("m_in", "m_in", ".2f")] + [(r, r, ".3f") for r in curve_rules] + [
            ("paper PL", "paper PL", ".2f")]
        tables.append(format_table(table, columns, f"Mean final overlap m_F(m_in) at P/N = "
                                                    f"{alpha} (mean+-s.e. over seeds)"))
    return tables


def _plot(plt, rows, curve_rows, config):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), gridspec_kw={"width_ratios": [1, 1.2, 0.8]})
    colors = {rule: f"C{k}" for k, rule in enumerate(RULES + CURVE_ONLY_RULES)}
    ax = axes[0]
    if curve_rows:
        for rule in dict.fromkeys(r["rule"] for r in curve_rows):
            sel = [r for r in curve_rows if r["rule"] == rule]
            errorbar(ax, [r["m_in"] for r in sel], sel, "m_final", "-", color=colors[rule],
                     label=rule, lw=1.4, elinewidth=0.8)
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
        sel = [dict(r, basin_population=max(r["basin_population"], floor),
                    basin=max(r["basin"], floor)) for r in rows if r["rule"] == rule]
        errorbar(ax, [r["alpha"] for r in sel], sel, "basin_population", "o-",
                 color=colors[rule], label=rule, ms=4, lw=1.4)
        if rule == "PL asym":
            errorbar(ax, [r["alpha"] for r in sel], sel, "basin", "--", color=colors[rule],
                     label="PL asym, per-pattern", lw=1.0)
    for k, (label, marker) in enumerate((("paper, PL asym", "ks"), ("paper, PL sym", "k^"))):
        pts = np.array([(a, v[k]) for a, v in PAPER_BASINS.items() if v[k]])
        ax.plot(pts[:, 0], pts[:, 1], marker, mfc="none", ms=7, label=label)
    ax.axhline(floor, color="grey", lw=0.8, ls=":")
    ax.text(0.98, floor * 1.15, "basin 0 drawn here", ha="right", fontsize=7, color="grey",
            transform=ax.get_yaxis_transform())
    ax.set_yscale("log")
    ax.set_xlabel("load $\\alpha = P/N$")
    ax.set_ylabel("basin size $1 - m_{IN}^*$")
    ax.set_title("(b) basin size vs load (population criterion, as the paper's figure)")
    ax.legend(fontsize=8, ncol=2, loc="upper right")
    ax.grid(alpha=0.3, which="both")

    ax = axes[2]
    for rule in ("PL asym", "PL sym", "perceptron kmax"):
        sel = [r for r in rows if r["rule"] == rule]
        if sel:
            errorbar(ax, [r["alpha"] for r in sel], sel, "asymmetry", "o-", color=colors[rule],
                     label=rule, ms=4)
    ax.set_xlabel("load $\\alpha = P/N$")
    ax.set_ylabel("asymmetry (sklearn_plm.metrics.asymmetry)")
    ax.set_title("(c) asymmetry of the couplings")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
