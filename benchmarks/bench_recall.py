"""Section 2: zero-temperature recall against a plain NumPy loop.

The reference is what a user would write: ``S <- sign(S @ J.T)`` over the
whole batch (a zero field keeps the spin) until no probe changes or the step
cap is reached, in the same dtype (float32) and on the same couplings.
"""

import copy
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_plm import PseudoLikelihoodMemory

from _harness import Row, check, fmt_s, log, median, noisy_probes, paired, random_patterns


def numpy_sync_loop(J, S0, max_iter):
    """Plain synchronous loop on the whole batch; returns (states, steps)."""
    JT = J.T
    S = S0.copy()
    for step in range(1, max_iter + 1):
        H = S @ JT
        new = np.where(H == 0, S, np.sign(H))
        if np.array_equal(new, S):
            return S, step
        S = new
    return S, max_iter


def recall_rows(cfg):
    rows = []
    N, B, noise, cap = cfg.recall_n, cfg.recall_probes, 0.1, 100
    for load, regime in [(0.5, "retrieval"), (2.0, "no retrieval")]:
        P = int(round(load * N))
        X = random_patterns(P, N, seed=cfg.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sync = PseudoLikelihoodMemory(alpha=1e-2, max_iter=cfg.recall_fit_max_iter,
                                          max_recall_iter=cap, n_jobs=1).fit(X)
        # same couplings, other dynamics (recall parameters need no refit)
        asyn = copy.deepcopy(sync).set_params(recall="async", random_state=0)
        probes, idx = noisy_probes(X, B, noise, seed=cfg.seed + 1)
        J = sync.coupling_
        log(f"[2] recall N={N}, P={P} ({regime}), {B} probes")
        out = {}

        def ref():
            out["ref"] = numpy_sync_loop(J, probes, cap)

        def ours_sync():
            out["sync"] = sync.complete(probes)

        def ours_async():
            out["async"] = asyn.complete(probes)

        t_sync, t_ref = paired(ours_sync, ref, cfg.repeats)
        t_async, t_ref2 = paired(ours_async, ref, cfg.repeats)
        S_ref, steps = out["ref"]
        same = float(np.mean(np.all(out["sync"].X == S_ref, axis=1)))
        overlap = {k: float(np.mean(v * X[idx])) for k, v in
                   [("ref", S_ref), ("sync", out["sync"].X), ("async", out["async"].X)]}
        conv = float(np.mean(out["sync"].converged))
        ratios = list(t_ref / t_sync)
        if regime == "retrieval":
            target, met = ">= 3", check(ratios, ">=", 3)
        else:
            target, met = ">= 0.91 (at most 10% slower)", check(ratios, ">=", 1 / 1.1)
        rows.append(Row(
            "2", f"sync recall, {B} probes, 10% noise, N={N}, P={P} ({regime})",
            fmt_s(median(t_sync)), f"{fmt_s(median(t_ref))} ({steps} steps)",
            "NumPy loop / ours (CPU s)", ratios, target, met,
            f"identical final states: {same:.0%}; converged {conv:.0%}; "
            f"overlap with stored pattern {overlap['sync']:.3f}"))
        ratios = list(t_ref2 / t_async)
        rows.append(Row(
            "2", f"async recall, same probes, N={N}, P={P} ({regime})",
            fmt_s(median(t_async)), fmt_s(median(t_ref2)), "NumPy sync loop / ours (CPU s)",
            ratios, "", None,
            f"other dynamics (sequential sweeps); overlap {overlap['async']:.3f}, "
            f"converged {np.mean(out['async'].converged):.0%}"))
    return rows
