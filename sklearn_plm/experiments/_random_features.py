"""Storage, learning and generalization on the random-feature (hidden manifold) model.

Each example is a signed majority vote of ``n_active = 3`` of
``D = alpha_D N`` hidden +/-1 features. For every pair (alpha = P/N,
alpha_D), a pseudo-likelihood memory is trained by gradient descent from the
Hebb rule, and the zero-temperature dynamics is started exactly at the
training examples, at new test examples and at the features (initial
overlap 1); the final overlap measures whether they are (near) fixed points.
D'Amico et al. (2025), section on storage, learning and generalization.
"""

import time

import numpy as np

from .. import PseudoLikelihoodMemory
from ..datasets import make_random_features
from ._common import (Logger, child_seeds, compute_context, finish, format_table, recall_overlap,
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


def _seen_fraction(X_test, X_train):
    """Fraction of test rows identical to some training row."""
    train = {row.tobytes() for row in (X_train > 0)}
    return float(np.mean([row.tobytes() in train for row in (X_test > 0)]))


def run(config=None, *, out=None):
    """Run the experiment.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`QUICK`, plus ``seed``, ``n_jobs`` and ``verbose``.
    out : str or Path, default=None
        Folder for ``random-features.csv``, the PNG and the table.

    Returns
    -------
    results : Bunch
        ``random-features`` holds one dict per (alpha_D, alpha) with the
        mean final overlaps ``train``, ``test`` and ``features``.
    """
    config = resolve_config(QUICK, config)
    log = Logger(NAME, config["verbose"])
    N = config["n_features"]
    rows = []
    grid = [(ad, a) for ad in config["alpha_ds"] for a in config["alphas"]]
    seeds = child_seeds(config["seed"], len(grid))
    with compute_context(config["n_jobs"]):
        for (alpha_d, alpha), seed in zip(grid, seeds):
            P, D = max(1, int(round(alpha * N))), max(1, int(round(alpha_d * N)))
            n_active = min(config["n_active"], D)
            data = make_random_features(P, N, D, n_active=n_active, n_test=config["n_test"],
                                        random_state=int(seed))
            est = PseudoLikelihoodMemory(
                alpha=0.0, beta=config["beta"], solver="gd", init="hebb",
                learning_rate=config["learning_rate"], max_iter=config["epochs"], tol=0.0,
                max_recall_iter=config["n_recall"], n_jobs=config["n_jobs"])
            t0 = time.perf_counter()
            est.fit(data.X_train)
            fit_time = time.perf_counter() - t0
            row = {"alpha_d": alpha_d, "alpha": alpha, "n_features": N, "n_patterns": P,
                   "n_hidden": D,
                   "train": float(recall_overlap(est, data.X_train).mean()),
                   "test": float(recall_overlap(est, data.X_test).mean()),
                   "features": float(recall_overlap(est, data.features).mean()),
                   "test_seen_in_train": _seen_fraction(data.X_test, data.X_train),
                   "fit_time": fit_time}
            rows.append(row)
            log(f"alpha_D={alpha_d:<5} alpha={alpha:<4} train={row['train']:.3f} "
                f"test={row['test']:.3f} features={row['features']:.3f} fit {fit_time:.1f}s")
    tables = [_pivot(rows, key, title) for key, title in (
        ("train", "Training examples: mean final overlap from init overlap 1"),
        ("test", "Test examples (new mixtures of the same features)"),
        ("features", "Features"),
        ("test_seen_in_train", "Fraction of test examples that also occur in the training set"))]
    tables[0] = (f"(N = {N}, {config['n_active']} active features per example, beta = "
                 f"{config['beta']}, learning_rate = {config['learning_rate']}, "
                 f"{config['epochs']} GD epochs from Hebb, {config['n_recall']} sync steps)\n"
                 + tables[0])
    csvs = {"random-features.csv": (rows, None)}
    return finish(NAME, out, tables, csvs, lambda plt: _plot(plt, rows, config), log)


def _pivot(rows, key, title):
    alphas = sorted({r["alpha"] for r in rows})
    lines = []
    for alpha_d in sorted({r["alpha_d"] for r in rows}):
        line = {"alpha_d": alpha_d}
        line.update({f"{r['alpha']}": r[key] for r in rows if r["alpha_d"] == alpha_d})
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
            ax.plot(a, [r[key] for r in sel], style, label=key)
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
