"""Storage, learning and generalization on the random-feature (hidden manifold) model.

Each example is a signed majority vote of ``n_active = 3`` of
``D = alpha_D N`` hidden +/-1 features. For every pair (alpha = P/N,
alpha_D), a pseudo-likelihood memory is trained by gradient descent from the
Hebb rule, and the zero-temperature dynamics is started exactly at the
training examples, at new test examples and at the features (initial
overlap 1); the final overlap measures whether they are (near) fixed points.
Test examples that also occur in the training set are left out (at small
D/N there are few distinct mixtures, and a seen example says nothing about
generalization); ``n_test_unseen`` counts those that remain. Numbers are means
+/- standard errors over ``n_seeds`` independent data sets. D'Amico et al.
(2025), section on storage, learning and generalization.
"""

import time

import numpy as np

from .. import PseudoLikelihoodMemory
from ..datasets import make_random_features
from ._common import (Logger, RowWriter, aggregate, child_seeds, claims_table, compute_context,
                      differs, errorbar, finish, format_table, recall_overlap, replicate_seeds,
                      resolve_config)

NAME = "random-features"
SUMMARY = "train/test/feature overlaps vs load P/N and feature load D/N (hidden manifold model)"

# The paper (N = 2000) uses lambda = 0.1, lr = 1000 on a loss divided by
# lambda N P; our objective is a sum over sites, so the same steps are
# learning_rate = 1000 / (beta N) = 5 with beta = 0.1.
QUICK = {
    "n_features": 200,
    "alphas": [0.1, 0.5, 1.0, 2.0],
    "alpha_ds": [0.025, 0.05, 0.1, 0.25, 0.5],
    "n_active": 3,
    "beta": 0.1,
    "learning_rate": 5.0,
    "epochs": 401,
    "n_test": 300,
    "n_recall": 100,
    "n_seeds": 3,
}
FULL = {
    **QUICK,
    "n_features": 400,
    "alphas": [0.1, 0.3, 0.6, 1.0, 1.5, 2.1],
    "alpha_ds": [0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6],
    "n_test": 1000,
}

#: Paper (N = 2000, read off the heat maps): largest alpha_D at which test examples
#: are fixed points (overlap ~1), by alpha.
PAPER_TEST_LIMIT = {0.11: 0.02, 0.21: 0.03, 0.31: 0.04, 0.41: 0.05, 0.51: 0.06, 0.61: 0.07,
                    0.71: 0.075, 0.81: 0.08, 0.91: 0.085}


#: Measured per (alpha_D, alpha), mean +/- standard error over seeds in the tables.
VALUES = ("train", "test", "features", "test_seen_in_train", "n_test_unseen", "fit_time")


def _seen_in(X, X_train):
    """Boolean mask of the rows of X identical to some training row."""
    train = {row.tobytes() for row in (X_train > 0)}
    return np.array([row.tobytes() in train for row in (X > 0)], dtype=bool)


#: Candidate test examples drawn per test example kept, to replace the seen ones.
TEST_POOL_FACTOR = 10


def unseen_test_set(X_candidates, X_train, n_test):
    """The first ``n_test`` candidates that do not occur in the training set.

    At small D/N few distinct mixtures exist, so fewer (or none) may remain.
    Returns them and the fraction of candidates that had been seen.
    """
    seen = _seen_in(X_candidates, X_train)
    return X_candidates[~seen][:n_test], float(seen.mean()) if len(seen) else 0.0


def run(config=None, *, out=None):
    """Run the experiment.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`QUICK`, plus ``seed``, ``n_seeds``, ``n_jobs`` and
        ``verbose``.
    out : str or Path, default=None
        Folder for ``random-features.csv`` (means and standard errors),
        ``random-features_runs.csv`` (per seed, written as produced), the
        PNG and the table.

    Returns
    -------
    results : Bunch
        ``random-features`` holds one dict per (alpha_D, alpha) with the
        mean final overlaps ``train``, ``test`` (unseen test examples only)
        and ``features``, and ``*_sem`` standard errors.
    """
    config = resolve_config(QUICK, config)
    log = Logger(NAME, config["verbose"])
    runs = RowWriter(out, "random-features_runs.csv")
    N = config["n_features"]
    grid = [(ad, a) for ad in config["alpha_ds"] for a in config["alphas"]]
    with compute_context(config["n_jobs"]):
        for rep, rep_seed in enumerate(replicate_seeds(config)):
            for (alpha_d, alpha), seed in zip(grid, child_seeds(rep_seed, len(grid))):
                P, D = max(1, int(round(alpha * N))), max(1, int(round(alpha_d * N)))
                n_active = min(config["n_active"], D)
                data = make_random_features(P, N, D, n_active=n_active,
                                            n_test=TEST_POOL_FACTOR * config["n_test"],
                                            random_state=int(seed))
                X_test, seen = unseen_test_set(data.X_test, data.X_train, config["n_test"])
                est = PseudoLikelihoodMemory(
                    alpha=0.0, beta=config["beta"], solver="gd", init="hebb",
                    learning_rate=config["learning_rate"], max_iter=config["epochs"], tol=0.0,
                    max_recall_iter=config["n_recall"], n_jobs=config["n_jobs"])
                t0 = time.perf_counter()
                est.fit(data.X_train)
                fit_time = time.perf_counter() - t0
                test = (float(recall_overlap(est, X_test).mean()) if len(X_test)
                        else float("nan"))
                row = runs.add({
                    "alpha_d": alpha_d, "alpha": alpha, "seed": rep, "n_features": N,
                    "n_patterns": P, "n_hidden": D,
                    "train": float(recall_overlap(est, data.X_train).mean()),
                    "test": test,
                    "features": float(recall_overlap(est, data.features).mean()),
                    "test_seen_in_train": seen, "n_test_unseen": len(X_test),
                    "fit_time": fit_time})
                log(f"seed {rep} alpha_D={alpha_d:<5} alpha={alpha:<4} train={row['train']:.3f} "
                    f"test={row['test']:.3f} ({len(X_test)} unseen; {seen:.0%} of the draws "
                    f"were training examples) features={row['features']:.3f} "
                    f"fit {fit_time:.1f}s")
    rows = aggregate(runs.rows, ("alpha_d", "alpha"), VALUES)
    tables = [_pivot(rows, key, title) for key, title in (
        ("train", "Training examples: mean final overlap from init overlap 1"),
        ("test", "Test examples never seen in training (new mixtures of the same features)"),
        ("features", "Features"),
        ("test_seen_in_train", "Fraction of drawn test examples that occur in the training set "
                               "(left out of the test set)"))]
    tables[0] = (f"(N = {N}, {config['n_active']} active features per example, beta = "
                 f"{config['beta']}, learning_rate = {config['learning_rate']}, "
                 f"{config['epochs']} GD epochs from Hebb, {config['n_recall']} sync steps; "
                 f"mean+-s.e. over {config['n_seeds']} seeds)\n" + tables[0])
    tables.append(claims_table(_claims(rows)))
    csvs = {"random-features.csv": (rows, None)}
    results = finish(NAME, out, tables, csvs, lambda plt: _plot(plt, rows, config), log)
    results["random-features_runs"] = runs.rows
    return results


def _claims(rows):
    """The paper's claims on the random-feature model, checked on these rows."""
    alpha_ds = sorted({r["alpha_d"] for r in rows})
    alphas = sorted({r["alpha"] for r in rows})
    at = {(r["alpha_d"], r["alpha"]): r for r in rows}
    small_d, claims = alpha_ds[0], []
    stored = [r for r in rows if r["alpha_d"] <= 0.25]
    claims.append(("training examples are fixed points at every load (up to P/N = "
                   f"{alphas[-1]:g}) for D/N <= 0.25", all(r["train"] >= 0.99 for r in stored)
                   if stored else None,
                   "smallest train overlap "
                   f"{min((r['train'] for r in stored), default=np.nan):.3f}"))
    lost = [r for r in rows if r["train"] < 0.99]
    claims.append(("the storage limit falls as D/N grows: training examples are lost first at "
                   "the largest D/N and load (paper, N = 2000: P/N = 2.11 lost for D/N >= 0.8)",
                   all(r["alpha_d"] >= alpha_ds[len(alpha_ds) // 2] and r["alpha"] >= 1.0
                       for r in lost) if lost else None,
                   ", ".join(f"D/N={r['alpha_d']:g}, P/N={r['alpha']:g}: {r['train']:.3f}"
                             for r in lost) or "no training example lost on this grid"))
    feats = [at[(small_d, a)] for a in alphas if a >= 0.5]
    claims.append((f"features become fixed points at small D/N ({small_d:g}) for P/N >= 0.5",
                   all(r["features"] >= 0.95 for r in feats) if feats else None,
                   ", ".join(f"{r['alpha']:g}: {r['features']:.3f}" for r in feats)))
    line = [at[(small_d, a)] for a in alphas]
    ok = [r for r in line if np.isfinite(r["test"])]
    if len(ok) >= 2:
        claims.append((f"memorization -> generalization at D/N = {small_d:g}: unseen test "
                       "examples become fixed points as P/N grows",
                       bool(differs(ok[-1], ok[0], "test") > 2 and ok[-1]["test"] >= 0.9),
                       ", ".join(f"{r['alpha']:g}: {r['test']:.3f}" for r in ok)))
    else:
        claims.append(("memorization -> generalization at small D/N", None,
                       "too few unseen test examples"))
    large_d = [r for r in rows if r["alpha_d"] >= 0.25 and np.isfinite(r["test"])]
    claims.append(("no generalization at large D/N (test overlap well below 1)",
                   all(r["test"] < 0.9 for r in large_d) if large_d else None,
                   f"largest test overlap at D/N >= 0.25: "
                   f"{max((r['test'] for r in large_d), default=np.nan):.3f}"))
    return claims


def _pivot(rows, key, title):
    alphas = sorted({r["alpha"] for r in rows})
    lines = []
    for alpha_d in sorted({r["alpha_d"] for r in rows}):
        line = {"alpha_d": alpha_d}
        for r in rows:
            if r["alpha_d"] == alpha_d:
                line[f"{r['alpha']}"], line[f"{r['alpha']}_sem"] = r[key], r.get(f"{key}_sem")
        lines.append(line)
    columns = [("alpha_d", "D/N \\ P/N", "g")] + [(f"{a}", f"{a}", ".3f") for a in alphas]
    return format_table(lines, columns, title)


def _plot(plt, rows, config):
    alphas = sorted({r["alpha"] for r in rows})
    alpha_ds = sorted({r["alpha_d"] for r in rows})
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    for ax, key, title in zip(axes[0], ("train", "features", "test"),
                              ("(a) training examples", "(b) features", "(c) test examples")):
        M = np.full((len(alphas), len(alpha_ds)), np.nan)
        for r in rows:
            M[alphas.index(r["alpha"]), alpha_ds.index(r["alpha_d"])] = r[key]
        im = ax.imshow(M, origin="lower", vmin=0, vmax=1, cmap="viridis", aspect="auto")
        for i in range(len(alphas)):
            for j in range(len(alpha_ds)):
                if np.isfinite(M[i, j]):
                    ax.text(j, i, f"{M[i, j]:.2f}", ha="center", va="center", fontsize=8,
                            color="w" if M[i, j] < 0.6 else "k")
        ax.set_xticks(range(len(alpha_ds)), [f"{a:g}" for a in alpha_ds])
        ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas])
        ax.set_xlabel("feature load $\\alpha_D = D/N$")
        ax.set_ylabel("load $\\alpha = P/N$")
        ax.set_title(f"{title}: final overlap", fontsize=10)
        fig.colorbar(im, ax=ax, fraction=0.046)
    for ax, alpha_d in zip(axes[1], _three(alpha_ds)):
        sel = sorted((r for r in rows if r["alpha_d"] == alpha_d), key=lambda r: r["alpha"])
        a = [r["alpha"] for r in sel]
        for key, style in (("train", "o-"), ("test", "s-"), ("features", "^-")):
            errorbar(ax, a, sel, key, style, label=key)
        ax.plot(a, [r["test_seen_in_train"] for r in sel], ":", color="grey",
                label="test seen in training")
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("load $\\alpha = P/N$")
        ax.set_ylabel("final overlap")
        ax.set_title(f"$\\alpha_D$ = {alpha_d:g} (D = {sel[0]['n_hidden']})", fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
        ax.grid(alpha=0.3)
    fig.suptitle(f"Random-feature model, N = {config['n_features']}: memorization turns into "
                 "generalization at small $\\alpha_D$", fontsize=11)
    fig.tight_layout()
    return fig


def _three(values):
    """Smallest, a middle and the largest value (fewer if there are fewer)."""
    if len(values) <= 3:
        return list(values) + [values[-1]] * (3 - len(values))
    return [values[0], values[len(values) // 2], values[-1]]
