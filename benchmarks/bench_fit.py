"""Section 1: fitting, against pl-training, per-site LogisticRegression and the GEMM floor.

Objective of ``PseudoLikelihoodMemory``: the mean over patterns of the *sum*
over sites of ``softplus(-2 beta s_i h_i)`` plus ``alpha/2 ||J||^2``.
pl-training's cross-entropy loss (``lambd=1``, ``l2=False``) is the mean over
patterns *and* sites of the same terms, i.e. ours divided by N with
``beta = 1`` and ``alpha = 0``.
"""

import json
import os
import subprocess
import tempfile
import warnings

import numpy as np
from scipy.special import log_expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sklearn_plm import PseudoLikelihoodMemory
from sklearn_plm._objective import IsingPseudoLikelihood

from _harness import (Row, check, fmt_s, log, median, paired, random_patterns, timed)

HERE = os.path.dirname(os.path.abspath(__file__))


def fit_plm(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return PseudoLikelihoodMemory(**params).fit(X)


def all_stable(J, X):
    """Every training pattern is a strict fixed point of sign(J x)."""
    return bool(np.all(X * (X @ J.T) > 0))


def smallest_max_iter(fit, predicate, cap):
    """Smallest ``max_iter`` whose fit satisfies ``predicate`` (doubling, then bisection)."""
    hi = 1
    while not predicate(fit(hi)):
        if hi >= cap:
            return None
        hi = min(2 * hi, cap)
    lo = hi // 2  # predicate(lo) is False (or lo == 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if predicate(fit(mid)):
            hi = mid
        else:
            lo = mid
    return hi


# --------------------------------------------------------------------------- pl-training
def torch_available(python):
    if not python:
        return False, "no interpreter given"
    code = "import torch, PL.model.model"
    try:
        res = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    if res.returncode != 0:
        return False, res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "import failed"
    return True, ""


def run_torch_worker(python, N, P, epochs, threads, seed, j_out=None):
    cmd = [python, os.path.join(HERE, "torch_worker.py"), str(N), str(P), str(epochs),
           str(threads), str(seed)] + ([j_out] if j_out else [])
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE)
    if res.returncode != 0:
        raise RuntimeError(f"torch worker failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def pl_training_rows(cfg):
    ok, why = torch_available(cfg.torch_python)
    if not ok:
        return [Row("1a", "fit vs pl-training", "-", "-", "-", [], "", None,
                    f"skipped: torch/pl-training not importable with --torch-python "
                    f"({why}); see benchmarks/README.md")]
    rows = []
    for N, alpha in cfg.fit_grid:
        P = int(round(alpha * N))
        X = random_patterns(P, N, seed=cfg.seed)
        log(f"[1a] N={N} P={P}: pl-training x{cfg.torch_repeats}, {cfg.epochs} epochs")

        def fit(k):
            return fit_plm(X, alpha=0.0, beta=1.0, tol=0.0, max_iter=k, n_jobs=1)

        runs, ours_target, ours_stable = [], [], []
        k_target = k_stable = None
        with tempfile.TemporaryDirectory() as tmp:
            j_path = os.path.join(tmp, "J.npy")
            for r in range(cfg.torch_repeats):
                runs.append(run_torch_worker(cfg.torch_python, N, P, cfg.epochs, cfg.threads,
                                             cfg.seed, j_path if r == 0 else None))
                if r == 0:
                    target = runs[0]["final_loss"]
                    # our objective on pl-training's couplings: the two losses must agree
                    J_t = np.load(j_path)
                    ours_on_theirs = pl_loss(J_t, X) / N
                    k_target = smallest_max_iter(fit, lambda e: e.loss_ / N <= target, 500)
                    if runs[0]["stable_epoch"] is not None:
                        k_stable = smallest_max_iter(
                            fit, lambda e: all_stable(e.coupling_.astype(np.float64), X), 500)
                # our timed fits, interleaved with pl-training's runs
                if k_target is not None:
                    ours_target.append(timed(lambda: fit(k_target))[0])
                if k_stable is not None:
                    ours_stable.append(timed(lambda: fit(k_stable))[0])
        train = np.array([run["train_cpu"] for run in runs])
        hebb = median([run["hebb_cpu"] for run in runs])
        agree = abs(ours_on_theirs - target) / target
        env_note = (f"pl-training {runs[0]['pl_training']}, torch {runs[0]['torch']}, "
                    f"{runs[0]['threads']} thread(s)")
        if k_target is None:
            rows.append(Row("1a", f"loss after {cfg.epochs} epochs, N={N}, P={P}", "not reached",
                            fmt_s(median(train)), "pl-training / ours", [], ">= 15 (N >= 784)",
                            False if N >= 784 else None, env_note))
        else:
            ratios = [t / o for t, o in zip(train, ours_target)]
            rows.append(Row(
                "1a", f"to pl-training's {cfg.epochs}-epoch loss ({target:.4f}), N={N}, P={P}",
                f"{fmt_s(median(ours_target))} (max_iter={k_target})",
                f"{fmt_s(median(train))} ({cfg.epochs} epochs; +{fmt_s(hebb)} Hebb init)",
                "pl-training / ours (CPU s)", ratios, ">= 15 (N >= 784)",
                check(ratios, ">=", 15) if N >= 784 else None,
                f"{env_note}; our loss on its final J differs by {agree:.1e} (relative)"))
        if runs[0]["stable_epoch"] is None:
            rows.append(Row("1a", f"all patterns fixed points, N={N}, P={P}", "-",
                            f"not within {cfg.epochs} epochs", "-", [], "", None,
                            "above capacity: no solver makes every pattern stable"))
        elif k_stable is None:
            rows.append(Row("1a", f"all patterns fixed points, N={N}, P={P}", "not reached",
                            f"epoch {runs[0]['stable_epoch']}", "-", [], "", None, ""))
        else:
            stable = np.array([run["stable_cpu"] for run in runs])
            ratios = [t / o for t, o in zip(stable, ours_stable)]
            ratios_hebb = [(t + run["hebb_cpu"]) / o for t, run, o in zip(stable, runs, ours_stable)]
            rows.append(Row(
                "1a", f"until all patterns are fixed points, N={N}, P={P}",
                f"{fmt_s(median(ours_stable))} (max_iter={k_stable})",
                f"{fmt_s(median(stable))} (epoch {runs[0]['stable_epoch']})",
                "pl-training / ours (CPU s)", ratios, "", None,
                f"with its Hebb init: {median(ratios_hebb):.3g}x"))
    return rows


def pl_loss(J, X, beta=1.0):
    """Our data term (sum over sites, mean over patterns), float64."""
    X = X.astype(np.float64)
    return float(-log_expit(2 * beta * X * (X @ J.T)).sum(axis=1).mean())


# --------------------------------------------------------------------------- LogisticRegression
def site_objectives(J, X, alpha, sites, beta=1.0):
    """Per-site objectives mean_mu softplus(-2 beta s_i h_i) + alpha/2 ||J_i||^2."""
    X = X.astype(np.float64)
    Js = J[sites].astype(np.float64)
    H = X @ Js.T
    return -log_expit(2 * beta * X[:, sites] * H).mean(axis=0) + 0.5 * alpha * (Js**2).sum(axis=1)


def logistic_regression_sites(X, sites, C, beta, tol):
    """One LogisticRegression per site (the user's alternative); returns rows of J."""
    n_samples, n = X.shape
    J = np.zeros((len(sites), n))
    for k, i in enumerate(sites):
        others = np.delete(np.arange(n), i)
        lr = LogisticRegression(C=C, fit_intercept=False, tol=tol, max_iter=10_000)
        lr.fit(X[:, others], X[:, i])
        J[k, others] = lr.coef_.ravel() / (2 * beta)
    return J


def logistic_regression_rows(cfg):
    rows = []
    # LogisticRegression stops at max|grad_w| <= tol with w = 2 beta J_i; the
    # same criterion on J is max|grad_J| <= 2 beta tol. At sklearn's default
    # tol=1e-4 the two objectives differed by up to 5e-5 (relative), so both
    # solve to the equivalent 1e-5 / 2e-5 (then LogisticRegression stops at
    # most ~1e-5 above ours). Tighter (1e-6 / 2e-6) doubled our time at P = 2N,
    # where float32 evaluations make the last line searches long.
    beta, tol = 1.0, 1e-5
    for N, alpha_load in cfg.fit_grid:
        P = int(round(alpha_load * N))
        X = random_patterns(P, N, seed=cfg.seed)
        alpha = 4.0 / P  # C = 4 beta^2 / (alpha P) = 1, LogisticRegression's default
        C = 4 * beta**2 / (alpha * P)
        if N <= cfg.lr_all_sites_up_to:
            sites = np.arange(N)
        else:
            sites = np.unique(np.linspace(0, N - 1, cfg.lr_sites).round().astype(int))
        scale = N / len(sites)
        log(f"[1b] N={N} P={P}: PseudoLikelihoodMemory vs {len(sites)} LogisticRegression fits")
        state = {}

        def ours():
            state["est"] = fit_plm(X, alpha=alpha, beta=beta, tol=2 * beta * tol,
                                   max_iter=10_000, n_jobs=1)

        def theirs():
            state["J_lr"] = logistic_regression_sites(X, sites, C, beta, tol)

        t_ours, t_lr = paired(ours, theirs, cfg.repeats)
        t_lr = t_lr * scale
        f_ours = site_objectives(state["est"].coupling_, X, alpha, sites).sum()
        J_lr = np.zeros((N, N))
        J_lr[sites] = state["J_lr"]
        f_lr = site_objectives(J_lr, X, alpha, sites).sum()
        gap = (f_lr - f_ours) / max(1.0, abs(f_lr))  # > 0: LogisticRegression stopped higher
        ratios = list(t_lr / t_ours)
        sub = "" if scale == 1 else f"; LR timed on {len(sites)} sites x {scale:.3g}"
        rows.append(Row(
            "1b", f"converged fit (same optimum, C=1), N={N}, P={P}",
            f"{fmt_s(median(t_ours))} ({state['est'].n_iter_} iter)",
            f"{fmt_s(median(t_lr))}", "LogisticRegression / ours (CPU s)", ratios, ">= 5",
            check(ratios, ">=", 5),
            f"tol: LR {tol:g}, ours {2 * beta * tol:g} (equivalent); objective of LR minus "
            f"ours: {gap:+.1e} (relative, {len(sites)} sites){sub}"))
    return rows


# --------------------------------------------------------------------------- one evaluation
def evaluation_rows(cfg):
    rows = []
    rng = np.random.default_rng(cfg.seed)
    for N, alpha_load in cfg.fit_grid:
        P = int(round(alpha_load * N))
        S = random_patterns(P, N, seed=cfg.seed)
        datafit = IsingPseudoLikelihood(1.0).initialize(S, np.ones(P))
        coef = rng.standard_normal((N, N)) / np.sqrt(N)
        np.fill_diagonal(coef, 0.0)
        J32 = coef.astype(np.float32)
        R = rng.standard_normal((P, N)).astype(np.float32)

        def ours():
            datafit.value_grad(coef, 0, N, 1)

        def floor():
            S @ J32.T
            R.T @ S

        t_ours, t_floor = paired(ours, floor, cfg.repeats, min_time=cfg.min_time)
        ratios = list(t_ours / t_floor)
        gflop = 4.0 * P * N * N / 1e9
        rows.append(Row(
            "1c", f"one loss+gradient, all sites, float32, N={N}, P={P}",
            fmt_s(median(t_ours)), f"{fmt_s(median(t_floor))} ({gflop / median(t_floor):.0f} GFLOP/s)",
            "ours / two bare GEMMs (CPU s)", ratios, "<= 1.3 (N >= 784)",
            check(ratios, "<=", 1.3) if N >= 784 else None, ""))
    return rows

