"""Stability distributions during gradient-descent training vs the fixed-norm theory.

The stability of spin i of pattern mu is ``Delta = xi_i h_i / ||J_i||``. For
random patterns, the pseudo-likelihood optimum at fixed row norm ``lambda``
has, in the replica-symmetric Gardner computation, stabilities distributed
as ``Delta*(t)`` with ``t ~ N(0, 1)`` and

    Delta* = t + 2 lambda x / (1 + exp(2 lambda Delta*)),
    alpha E_t[(Delta*(t) - t)^2] = 1       (fixes x).

``lambda -> 0`` gives the Hebb distribution N(1/sqrt(alpha), 1) and
``lambda -> inf`` Gardner's maximal stability (a peak at kappa_max). Free-norm
gradient descent from the Hebb rule makes ``lambda = beta * ||J_i||`` grow,
so the histograms during training should follow the theory at the current
``lambda`` and drift from Hebb towards kappa_max (D'Amico et al., 2025).

Two checks separate the theory from the training path: the theory is
compared with the *fixed-norm optimum* of the same patterns at the same
``lambda`` (:func:`fixed_norm_stabilities`, a direct minimization at finite
N), and the gradient-descent histograms with both.
"""

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.special import expit
from scipy.stats import norm

from .. import HopfieldMemory, PseudoLikelihoodMemory
from ..datasets import make_random_patterns
from ..metrics import stabilities
from ._common import (Logger, RowWriter, aggregate, child_seeds, claims_table, compute_context,
                      errorbar, finish, format_table, replicate_seeds, resolve_config)

NAME = "stabilities"
SUMMARY = "histograms of the stabilities during GD training vs the fixed-norm replica theory"

QUICK = {
    "n_features": 200,
    "alphas": [0.4],
    "checkpoints": [10, 100, 1000, 10000],
    "beta": 0.1,
    # the paper's step: lambda = 0.08 at epoch 10 and 1.57 at epoch 10^4 (P/N = 0.4)
    "learning_rate": 0.1,
    "bins": 120,
    "n_seeds": 3,
}
FULL = {
    **QUICK,
    "n_features": 400,
    "alphas": [0.4, 1.5],
}

#: Fixed-norm theory at alpha = 0.4 (paper digest): lambda -> (peak height, peak position).
PAPER_THEORY_PEAKS = {0.2: (0.56, 1.53), 0.8: (1.25, 1.31), 1.6: (2.28, 1.25)}
#: lambda = |J(t)| read off the paper's training panels: alpha -> {epoch: lambda}.
PAPER_LAMBDA = {0.4: {10: 0.08, 10000: 1.57}, 1.5: {10: 0.13, 10000: 1.70}}

_GRID = np.linspace(-8.0, 14.0, 44001)


def kappa_max(alpha):
    """Gardner's maximal stability: ``alpha * int_{-inf}^kappa Dt (kappa - t)^2 = 1``."""
    def gap(k):
        return alpha * ((k * k + 1.0) * norm.cdf(k) + k * norm.pdf(k)) - 1.0
    if alpha >= 2.0:
        return 0.0 if alpha == 2.0 else brentq(gap, -10.0, 0.0)
    return brentq(gap, 0.0, 50.0)


_T = np.linspace(-9.0, 9.0, 3601)


def _delta_star(t, lam, x):
    """Solve ``Delta = t + 2 lam x sigmoid(-2 lam Delta)`` by bisection (monotone in Delta)."""
    lo, hi = t.copy(), t + 2.0 * lam * x
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        above = mid - 2.0 * lam * x * expit(-2.0 * lam * mid) > t
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return 0.5 * (lo + hi)


def theory(alpha, lam, grid=_GRID):
    """Fixed-norm PL stability density on ``grid`` and its conjugate ``x``.

    ``x`` solves ``alpha E_t[(Delta*(t) - t)^2] = 1`` (an integral over a
    fine grid of t); the density follows from the explicit, increasing
    inverse ``t(Delta) = Delta - 2 lam x sigmoid(-2 lam Delta)`` as
    ``P(Delta) = phi(t(Delta)) t'(Delta)``.
    """
    if lam <= 0:
        return norm.pdf(grid - 1.0 / np.sqrt(alpha)), np.inf
    weight = norm.pdf(_T) * (_T[1] - _T[0])

    def gap(log_x):
        shift = _delta_star(_T, lam, np.exp(log_x)) - _T
        return alpha * np.sum(weight * shift**2) - 1.0

    x = float(np.exp(brentq(gap, -30.0, 30.0, xtol=1e-12)))
    s = expit(-2.0 * lam * grid)
    t = grid - 2.0 * lam * x * s
    return norm.pdf(t) * (1.0 + 4.0 * lam * lam * x * s * (1.0 - s)), x


def fixed_norm_stabilities(X, lam, max_iter=5000):
    """Stabilities of the pseudo-likelihood optimum with every row at norm ``lam``.

    Each row ``u_i`` (zero diagonal) minimizes
    ``sum_mu log(1 + exp(-2 lam Delta_i^mu))`` with
    ``Delta_i^mu = xi_i^mu (u_i . xi^mu) / ||u_i||``: the objective depends
    only on the direction of ``u_i``, so an unconstrained L-BFGS over ``u``
    (started at the Hebb rule) finds the fixed-norm optimum. This is the
    finite-N counterpart of :func:`theory`.

    Parameters
    ----------
    X : ndarray of shape (n_patterns, n_features)
        +/-1 patterns.
    lam : float
        Row norm (effective inverse temperature), positive.
    max_iter : int, default=5000
        L-BFGS iterations.

    Returns
    -------
    delta : ndarray of shape (n_patterns, n_features)
        Stabilities at the optimum.
    """
    X = np.asarray(X, dtype=np.float64)
    N = X.shape[1]
    off = 1.0 - np.eye(N)
    u0 = (X.T @ X) * off

    def objective(u):
        U = u.reshape(N, N) * off
        norms = np.linalg.norm(U, axis=1)
        delta = X * (X @ U.T) / norms
        z = -2.0 * lam * delta
        d_delta = -2.0 * lam * expit(z)
        # d Delta_i^mu / d U_i = xi_i^mu xi^mu / ||U_i|| - Delta_i^mu U_i / ||U_i||^2
        grad = ((d_delta * X).T @ X - np.sum(d_delta * delta, axis=0)[:, None] * U
                / norms[:, None]) / norms[:, None]
        return float(np.logaddexp(0.0, z).sum()), (grad * off).ravel()

    res = minimize(objective, u0.ravel(), jac=True, method="L-BFGS-B",
                   options={"maxiter": max_iter, "gtol": 1e-9, "ftol": 1e-15})
    U = res.x.reshape(N, N) * off
    return X * (X @ U.T) / np.linalg.norm(U, axis=1)


def _moments(grid, p):
    step = grid[1] - grid[0]
    mass = np.sum(p) * step
    mean = np.sum(grid * p) * step / mass
    std = np.sqrt(np.sum((grid - mean) ** 2 * p) * step / mass)
    below = np.sum(p[grid < 0]) * step / mass
    return mean, std, below


#: Measured per (alpha, epoch), mean +/- standard error over seeds in the tables.
VALUES = ("lambda", "mean", "std", "min", "frac_negative", "theory_mean", "theory_std",
          "theory_frac_negative", "theory_x", "l1_hist_theory", "optimum_mean", "optimum_std",
          "optimum_min")


def _train_and_record(config, alpha, seed, rep, checkpoints, runs, hist_rows, curves, log):
    """One set of patterns: GD from Hebb, stabilities at each checkpoint (histograms of rep 0)."""
    N, beta = config["n_features"], config["beta"]
    P = max(1, int(round(alpha * N)))
    X = make_random_patterns(P, N, random_state=seed)
    kmax = kappa_max(alpha)
    est = PseudoLikelihoodMemory(
        alpha=0.0, beta=beta, solver="gd", init="hebb", learning_rate=config["learning_rate"],
        tol=0.0, warm_start=True, n_jobs=config["n_jobs"])
    done = 0
    for epoch in checkpoints:
        if epoch == 0:
            model = HopfieldMemory(rule="hebb").fit(X)
        else:
            est.set_params(max_iter=epoch - done)
            model = est.fit(X)
            done = epoch
        delta = stabilities(model, X).ravel()
        lam = beta * float(np.mean(np.linalg.norm(model.coupling_, axis=1)))
        p, x = theory(alpha, lam)
        t_mean, t_std, t_below = _moments(_GRID, p)
        edges = np.linspace(min(delta.min(), -2.0), max(delta.max(), 5.0), config["bins"] + 1)
        counts, edges = np.histogram(delta, bins=edges, density=True)
        centres = 0.5 * (edges[1:] + edges[:-1])
        # theory averaged over each bin, to compare with the histogram
        cdf = np.concatenate([[0.0], np.cumsum(p) * (_GRID[1] - _GRID[0])])
        bin_mass = np.diff(np.interp(edges, np.concatenate([[_GRID[0]], _GRID]), cdf))
        l1 = float(np.sum(np.abs(counts * np.diff(edges) - bin_mass)))
        optimum = fixed_norm_stabilities(X, lam).ravel()
        row = runs.add({
            "alpha": alpha, "epoch": epoch, "seed": rep, "n_features": N, "n_patterns": P,
            "lambda": lam, "mean": float(delta.mean()), "std": float(delta.std()),
            "min": float(delta.min()), "frac_negative": float(np.mean(delta < 0)),
            "theory_mean": t_mean, "theory_std": t_std, "theory_frac_negative": t_below,
            "theory_x": x, "l1_hist_theory": l1, "kappa_max": kmax,
            "optimum_mean": float(optimum.mean()), "optimum_std": float(optimum.std()),
            "optimum_min": float(optimum.min()),
            "paper_lambda": PAPER_LAMBDA.get(alpha, {}).get(epoch)})
        if rep == 0:
            hist_rows.extend({"alpha": alpha, "epoch": epoch, "delta": float(c),
                              "density": float(d)} for c, d in zip(centres, counts))
            curves[(alpha, epoch)] = (centres, counts, p)
        log(f"seed {rep} alpha={alpha} epoch={epoch:>6} lambda={lam:.3f} min={row['min']:.3f} "
            f"mean={row['mean']:.3f} (theory {t_mean:.3f}, fixed-norm optimum "
            f"{row['optimum_mean']:.3f}) std={row['std']:.3f} (theory {t_std:.3f}, optimum "
            f"{row['optimum_std']:.3f}) L1={l1:.3f}")


def run(config=None, *, out=None):
    """Run the experiment.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`QUICK`, plus ``seed``, ``n_jobs`` and ``verbose``.
        ``checkpoints`` are the gradient-descent epochs at which the
        stabilities are recorded (epoch 0 is the Hebb initialization).
    out : str or Path, default=None
        Folder for ``stabilities.csv`` (summary per checkpoint),
        ``stabilities_histograms.csv``, the PNG and the table.

    Returns
    -------
    results : Bunch
    """
    config = resolve_config(QUICK, config)
    log = Logger(NAME, config["verbose"])
    N, beta = config["n_features"], config["beta"]
    checkpoints = sorted(set(int(c) for c in config["checkpoints"]) | {0})
    runs = RowWriter(out, "stabilities_runs.csv")
    hist_rows, curves = [], {}
    with compute_context(config["n_jobs"]):
        for rep, rep_seed in enumerate(replicate_seeds(config)):
            for alpha, seed in zip(config["alphas"], child_seeds(rep_seed, len(config["alphas"]))):
                _train_and_record(config, alpha, int(seed), rep, checkpoints, runs, hist_rows,
                                  curves, log)
    rows = aggregate(runs.rows, ("alpha", "epoch"), VALUES)
    tables = [_table(rows, config), _theory_check(), claims_table(_claims(rows))]
    csvs = {"stabilities.csv": (rows, None), "stabilities_histograms.csv": (hist_rows, None)}
    return finish(NAME, out, tables, csvs, lambda plt: _plot(plt, rows, curves, config), log)


def _claims(rows):
    """The paper's claims on the training-time path, checked on these rows."""
    claims = []
    for alpha in dict.fromkeys(r["alpha"] for r in rows):
        sel = sorted((r for r in rows if r["alpha"] == alpha), key=lambda r: r["epoch"])
        lam = [r["lambda"] for r in sel]
        mins = [r["min"] for r in sel]
        kmax = sel[0]["kappa_max"]
        claims.append((f"P/N = {alpha:g}: the effective lambda grows during training",
                       bool(np.all(np.diff(lam) > 0)),
                       " -> ".join(f"{v:.3f}" for v in lam)))
        claims.append((f"P/N = {alpha:g}: the minimum stability rises from Hebb's towards "
                       f"kappa_max = {kmax:.3f}, staying below it",
                       bool(mins[-1] > mins[0] and mins[-1] <= kmax + 1e-9),
                       " -> ".join(f"{v:.3f}" for v in mins)))
        claims.append((f"P/N = {alpha:g}: the fixed-norm theory is the fixed-norm PL optimum of "
                       "these patterns at each lambda (mean within 0.1 theory std)",
                       *_against_theory(sel, "optimum_")))
        verdict, evidence = _against_theory(sel, "")
        claims.append((f"P/N = {alpha:g}: the stability distribution during GD follows the "
                       "fixed-norm theory at the current lambda (mean within 0.1 theory std)",
                       verdict,
                       f"{evidence}; L1(hist, theory) "
                       f"{min(r['l1_hist_theory'] for r in sel):.3f}-"
                       f"{max(r['l1_hist_theory'] for r in sel):.3f}"))
    return claims


def _against_theory(rows, prefix):
    """Verdict and evidence: are the ``prefix + "mean"`` values within 0.1 theory std?"""
    gaps = [abs(r[f"{prefix}mean"] - r["theory_mean"]) / r["theory_std"] for r in rows]
    ratio = [r[f"{prefix}std"] / r["theory_std"] for r in rows]
    return (bool(max(gaps) < 0.1),
            f"largest |mean - theory| / theory std: {max(gaps):.3f}; std / theory std "
            f"{min(ratio):.3f}-{max(ratio):.3f}")


def _table(rows, config):
    columns = [("alpha", "P/N", ".2f"), ("epoch", "epoch", "d"), ("lambda", "lambda", ".3f"),
               ("paper_lambda", "paper lambda", ".2f"), ("mean", "mean", ".3f"),
               ("theory_mean", "theory", ".3f"), ("optimum_mean", "optimum", ".3f"),
               ("std", "std", ".3f"), ("theory_std", "theory", ".3f"),
               ("optimum_std", "optimum", ".3f"), ("frac_negative", "P(D<0)", ".4f"),
               ("theory_frac_negative", "theory", ".4f"), ("min", "min D", ".3f"),
               ("kappa_max", "kappa_max", ".3f"), ("l1_hist_theory", "L1(hist,theory)", ".3f")]
    title = (f"Stabilities Delta = xi_i h_i / ||J_i|| during GD (N = {config['n_features']}, "
             f"beta = {config['beta']}, learning_rate = {config['learning_rate']}, Hebb init; "
             f"epoch 0 = Hebb rule); theory at lambda = beta * mean ||J_i||; 'optimum' = the "
             f"fixed-norm PL optimum of the same patterns at that lambda; mean+-s.e. over "
             f"{config['n_seeds']} seeds (histograms of the first)")
    return format_table(rows, columns, title)


def _theory_check():
    rows = []
    for lam, (height, where) in PAPER_THEORY_PEAKS.items():
        p, _ = theory(0.4, lam)
        k = int(np.argmax(p))
        rows.append({"lambda": lam, "height": p[k], "at": _GRID[k], "paper_height": height,
                     "paper_at": where})
    columns = [("lambda", "lambda", ".1f"), ("height", "peak height", ".3f"),
               ("paper_height", "paper", ".2f"), ("at", "at Delta", ".3f"),
               ("paper_at", "paper", ".2f")]
    return format_table(rows, columns, "Fixed-norm theory at P/N = 0.4, peak of P(Delta) "
                                       f"(kappa_max(0.4) = {kappa_max(0.4):.3f}, paper 1.242)")


def _plot(plt, rows, curves, config):
    alphas = list(dict.fromkeys(r["alpha"] for r in rows))
    fig, axes = plt.subplots(len(alphas), 2, squeeze=False, figsize=(12, 4.2 * len(alphas)),
                             gridspec_kw={"width_ratios": [1.6, 1]})
    for i, alpha in enumerate(alphas):
        kmax = kappa_max(alpha)
        ax = axes[i, 0]
        sel = [r for r in rows if r["alpha"] == alpha]
        for k, row in enumerate(sel):
            centres, counts, p = curves[(alpha, row["epoch"])]
            color = f"C{k}"
            label = "Hebb (epoch 0)" if row["epoch"] == 0 else f"epoch {row['epoch']}"
            ax.stairs(counts, np.concatenate([centres - 0.5 * (centres[1] - centres[0]),
                                              [centres[-1] + 0.5 * (centres[1] - centres[0])]]),
                      color=color, lw=1.3, label=f"{label}: GD histogram")
            ax.plot(_GRID, p, "--", color=color, lw=1.2,
                    label=f"theory, $\\lambda$ = {row['lambda']:.2f}")
        ax.axvline(kmax, color="k", lw=1, ls=":", label=f"$\\kappa_{{max}}$ = {kmax:.3f}")
        ax.set_xlim(-2.0, 1.0 / np.sqrt(alpha) + 3.0)
        top = max(curves[(alpha, r["epoch"])][1].max() for r in sel)
        ax.set_ylim(0, 1.1 * top)
        ax.set_xlabel("stability $\\Delta = \\xi_i h_i / \\|J_i\\|$")
        ax.set_ylabel("P($\\Delta$)")
        ax.set_title(f"(a) P/N = {alpha}, N = {config['n_features']}: histograms (solid) vs "
                     "fixed-norm theory (dashed)", fontsize=10)
        ax.legend(fontsize=7, ncol=2, loc="upper left")
        ax.grid(alpha=0.3)

        ax = axes[i, 1]
        e = np.maximum([r["epoch"] for r in sel], 1)
        errorbar(ax, e, sel, "min", "o-", color="C0", label="min $\\Delta$")
        errorbar(ax, e, sel, "mean", "s-", color="C1", label="mean $\\Delta$")
        ax.axhline(kmax, color="k", ls=":", label="$\\kappa_{max}$")
        ax.set_xscale("log")
        ax.set_xlabel("epoch (Hebb, epoch 0, drawn at 1)")
        ax.set_ylabel("stability")
        ax2 = ax.twinx()
        errorbar(ax2, e, sel, "lambda", "^--", color="C3",
                 label="$\\lambda = \\beta$ mean $\\|J_i\\|$")
        ax2.set_ylabel("$\\lambda$", color="C3")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="lower right")
        ax.set_title(f"(b) P/N = {alpha}: drift from Hebb to maximal stability", fontsize=10)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
