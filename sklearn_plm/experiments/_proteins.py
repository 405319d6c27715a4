"""Protein sequences: Potts pseudo-likelihood memories on the WW-domain family.

Sequences of the Pfam WW-domain alignment (N = 31 columns, q = 21 states,
:func:`sklearn_plm.datasets.load_ww_domain`, which needs the ``logomaker``
package for its data file) are stored in asymmetric and symmetric Potts
pseudo-likelihood memories. Zero-temperature recall (100 synchronous steps,
each site takes its state of largest local field) is started at training and
held-out sequences; the overlap is the fraction of identical positions. A
contact-prediction check ranks pairs of columns by the APC-corrected
Frobenius norms of the couplings. Means +/- standard errors are over
``n_seeds`` random train/test splits. Without logomaker the experiment stops
with the install command (``pip install logomaker``). D'Amico et al. (2025),
protein section (whose family, alignment and hyper-parameters are not known).
"""

import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .. import PottsPseudoLikelihoodMemory
from ..datasets import load_ww_domain, sequence_weights
from ._common import (Logger, RowWriter, aggregate, child_seeds, claims_table, compute_context,
                      differs, errorbar, finish, format_table, replicate_seeds, resolve_config)

NAME = "proteins"
SUMMARY = "train/test overlaps vs P for asymmetric/symmetric Potts PL on the WW domain, contacts"

QUICK = {
    "loads": [0.01, 0.1, 1.0, 3.0],
    "n_test": 500,
    # the paper's code has no penalty; at 1e-4 the training identity at P/(Nq) = 1 is as
    # high as at 1e-5 (the rest is unstorable, see storable_fraction), and L-BFGS still
    # converges, in 661 iterations at P/(Nq) = 5.4 (see doc/experiments.md)
    "l2": 1e-4,
    "tol": 1e-5,
    "max_iter": 1000,
    "n_recall": 100,
    # the paper's dynamics; "async" (random-order sweeps, which always reach a fixed
    # point) and fit_fields=False (the paper's Ising models have no fields) are the
    # protocol variants of doc/experiments.md
    "recall": "sync",
    "fit_fields": True,
    "contact_l2": 1e-2,
    "contact_identity": 0.8,
    "min_separation": 5,
    "n_top": 15,
    "n_seeds": 3,
}
FULL = {
    **QUICK,
    "loads": [0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 4.0, 5.5],
}

#: Paper (family unknown), read off the figure (+/-0.02): load -> overlap.
PAPER = {
    "train asym": {1.0: 1.0, 3.0: 1.0, 4.0: 0.98, 5.0: 0.92, 6.3: 0.80, 8.0: 0.65, 10.0: 0.58,
                   30.0: 0.565},
    "train sym": {1.0: 1.0, 1.3: 1.0, 1.6: 0.97, 2.0: 0.93, 2.5: 0.88, 3.2: 0.81, 4.0: 0.70,
                  5.0: 0.60, 6.3: 0.53, 10.0: 0.50},
    "test asym": {0.01: 0.25, 0.03: 0.30, 0.1: 0.36, 0.3: 0.43, 1.0: 0.49, 3.0: 0.56, 5.0: 0.59,
                  10.0: 0.56, 30.0: 0.56},
    "test sym": {0.01: 0.25, 0.03: 0.30, 0.1: 0.36, 0.3: 0.43, 1.0: 0.49, 3.0: 0.51, 10.0: 0.50},
}
#: Dashed baseline of the paper's figure (probably the identity of unrelated sequences).
PAPER_BASELINE = 0.225
#: Measured per load and coupling kind, mean +/- standard error over seeds in the tables.
VALUES = ("train", "train_fixed", "storable", "test", "test_converged",
          "test_nearest_train_identity",
          "unrelated_identity", "fit_time")


def storable_fraction(X, chunk=512):
    """Largest fraction of the rows of ``X`` that a memory can hold as fixed points at once.

    Without self-coupling the new state of site ``i`` depends only on the
    other sites, so two rows that differ at a single site get the same new
    state there and cannot both be fixed points (unless their local fields
    tie exactly). The largest set of rows without such a pair is a maximum
    weight independent set of the graph joining distinct rows at Hamming
    distance 1 (weights: multiplicities), solved exactly per connected
    component (on protein alignments they have a few rows each). This is an
    upper bound on the fraction of fixed points of any coupling.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        State codes.
    chunk : int, default=512
        Rows per block of the pairwise distance computation.

    Returns
    -------
    fraction : float
    """
    unique, weight = np.unique(np.asarray(X), axis=0, return_counts=True)
    n = len(unique)
    neighbours = [set() for _ in range(n)]
    for k in range(0, n, chunk):
        a, b = np.nonzero((unique[k:k + chunk, None, :] != unique[None, :, :]).sum(axis=2) == 1)
        for u, v in zip(a + k, b):
            neighbours[u].add(int(v))
    _, component = connected_components(
        csr_matrix((np.ones(sum(map(len, neighbours))),
                    ([u for u in range(n) for _ in neighbours[u]],
                     [v for u in range(n) for v in neighbours[u]])), shape=(n, n)),
        directed=False)
    kept = 0
    for c in np.unique(component):
        kept += _max_weight_independent_set(set(np.flatnonzero(component == c)), neighbours,
                                            weight)
    return float(kept / len(X))


def _max_weight_independent_set(nodes, neighbours, weight):
    """Exact, by branching on a vertex of largest degree (small components)."""
    if not nodes:
        return 0
    v = max(nodes, key=lambda u: len(neighbours[u] & nodes))
    if not neighbours[v] & nodes:
        return int(weight[v]) + _max_weight_independent_set(nodes - {v}, neighbours, weight)
    return max(_max_weight_independent_set(nodes - {v}, neighbours, weight),
               int(weight[v]) + _max_weight_independent_set(nodes - {v} - neighbours[v],
                                                            neighbours, weight))


def _identity(A, B):
    """Fraction of identical positions between matching rows."""
    return np.mean(np.asarray(A) == np.asarray(B), axis=1)


def _nearest_identity(X_test, X_train, chunk=256):
    """For each test row, the largest identity with any training row."""
    best = np.zeros(len(X_test))
    for k in range(0, len(X_train), chunk):
        block = X_train[k:k + chunk]
        same = (X_test[:, None, :] == block[None, :, :]).mean(axis=2)
        best = np.maximum(best, same.max(axis=1))
    return best


def run(config=None, *, out=None):
    """Run the experiment.

    Parameters
    ----------
    config : dict, default=None
        Overrides of :data:`QUICK`, plus ``seed``, ``n_jobs`` and ``verbose``.
        ``loads`` are numbers of training sequences in units of ``N q``
        (the number of one-hot Potts variables; see the notes in
        doc/experiments.md), capped by the sequences left after the test set.
    out : str or Path, default=None
        Folder for ``proteins.csv``, ``proteins_contacts.csv``, the PNG and
        the tables.

    Returns
    -------
    results : Bunch
    """
    config = resolve_config(QUICK, config)
    log = Logger(NAME, config["verbose"])
    Potts = PottsPseudoLikelihoodMemory
    ww = load_ww_domain()
    runs = RowWriter(out, "proteins_runs.csv")
    N, q = ww.data.shape[1], len(ww.alphabet)
    with compute_context(config["n_jobs"]):
        for rep, rep_seed in enumerate(replicate_seeds(config)):
            seed_split, = child_seeds(rep_seed, 1)
            X_all = ww.data.astype(np.float64)[
                np.random.RandomState(seed_split).permutation(len(ww.data))]
            X_test, X_pool = X_all[:config["n_test"]], X_all[config["n_test"]:]
            pairs = np.random.RandomState(seed_split).randint(0, len(X_test), size=(2000, 2))
            pairs = pairs[pairs[:, 0] != pairs[:, 1]]
            baseline = float(_identity(X_test[pairs[:, 0]], X_test[pairs[:, 1]]).mean())
            for load in config["loads"]:
                P = int(min(max(2, round(load * N * q)), len(X_pool)))
                X_train = X_pool[:P]
                nearest = float(_nearest_identity(X_test, X_train).mean())
                storable = storable_fraction(X_train)
                for symmetric in (False, True):
                    est = Potts(alpha=config["l2"], n_states=q, symmetric=symmetric,
                                fit_fields=config["fit_fields"], tol=config["tol"],
                                max_iter=config["max_iter"], recall=config["recall"],
                                max_recall_iter=config["n_recall"], n_jobs=config["n_jobs"],
                                random_state=rep_seed)
                    t0 = time.perf_counter()
                    est.fit(X_train)
                    fit_time = time.perf_counter() - t0
                    kind = "sym" if symmetric else "asym"
                    recalled = est.transform(X_train)
                    test_recall = est.complete(X_test)
                    row = runs.add({
                        "load_Nq": P / (N * q), "load_requested": load, "seed": rep,
                        "alpha_P_over_N": P / N, "n_train": P, "couplings": kind,
                        "train": float(_identity(recalled, X_train).mean()),
                        "train_fixed": float(np.all(recalled == X_train, axis=1).mean()),
                        "storable": storable,
                        "test": float(_identity(test_recall.X, X_test).mean()),
                        "test_converged": float(test_recall.converged.mean()),
                        "test_nearest_train_identity": nearest, "unrelated_identity": baseline,
                        "paper_train": PAPER[f"train {kind}"].get(load),
                        "paper_test": PAPER[f"test {kind}"].get(load), "fit_time": fit_time})
                    log(f"seed {rep} P={P:>5} ({kind:>4}) train={row['train']:.3f} "
                        f"test={row['test']:.3f} (nearest training sequence: {nearest:.3f}) "
                        f"fit {fit_time:.1f}s")
        rows = aggregate(runs.rows, ("load_requested", "couplings"), VALUES)
        baseline = float(np.mean([r["unrelated_identity"] for r in runs.rows]))
        weights = sequence_weights(ww.data, identity=config["contact_identity"])
        est = Potts(alpha=config["contact_l2"], n_states=q, max_iter=config["max_iter"],
                    n_jobs=config["n_jobs"])
        t0 = time.perf_counter()
        est.fit(ww.data.astype(np.float64), sample_weight=weights)
        scores = est.contact_map(apc=True, ignore_states=[0])
        log(f"contact map from all {len(ww.data)} sequences (effective number "
            f"{weights.sum():.0f}) in {time.perf_counter() - t0:.1f}s")
    contacts = _top_pairs(scores, config["min_separation"], config["n_top"])
    tables = _tables(rows, contacts, baseline, config, N, q, weights) + [
        claims_table(_claims(rows, baseline))]
    csvs = {"proteins.csv": (rows, None), "proteins_contacts.csv": (contacts, None)}
    return finish(NAME, out, tables, csvs,
                  lambda plt: _plot(plt, rows, scores, contacts, baseline, config, N, q), log,
                  extra={"contact_scores": scores, "proteins_runs": runs.rows})


def _claims(rows, baseline):
    """The paper's protein claims, checked on these rows (2 standard errors)."""
    by = {(r["load_requested"], r["couplings"]): r for r in rows}
    loads = sorted({r["load_requested"] for r in rows})
    small = [by[(a, k)] for a in loads if a <= 1.0 for k in ("asym", "sym")]
    claims = [("training sequences are fixed points at loads P/(Nq) <= 1",
               all(r["train"] >= 0.99 for r in small) if small else None,
               f"smallest identity after recall: "
               f"{min((r['train'] for r in small), default=np.nan):.3f}; exact fixed points "
               f"{min((r['train_fixed'] for r in small), default=np.nan):.3f} (at most "
               f"{min((r['storable'] for r in small), default=np.nan):.3f} can be: sequences "
               f"that differ at one site only)"),
              ("recall from test sequences ends closer to them than unrelated sequences are",
               all(r["test"] > baseline for r in rows),
               f"test {min(r['test'] for r in rows):.3f}-{max(r['test'] for r in rows):.3f} "
               f"vs unrelated {baseline:.3f}")]
    high = [a for a in loads if a >= 2.0]
    if high:
        a = high[-1]
        asym, sym = by[(a, "asym")], by[(a, "sym")]
        claims.append((f"asymmetric couplings store more: train asym > sym at P/(Nq) = {a:g}",
                       bool(differs(asym, sym, "train") > 2),
                       f"asym {asym['train']:.3f}, sym {sym['train']:.3f}"))
        claims.append((f"asymmetric couplings generalize at least as well at P/(Nq) = {a:g}",
                       bool(differs(asym, sym, "test") > -2),
                       f"asym {asym['test']:.3f}, sym {sym['test']:.3f}"))
    else:
        claims.append(("asymmetric couplings store more than symmetric ones", None,
                       "needs loads P/(Nq) >= 2"))
    return claims


def _top_pairs(scores, min_separation, n_top):
    i, j = np.triu_indices(scores.shape[0], k=1)
    order = np.argsort(-scores[i, j], kind="stable")
    out = []
    for rank, k in enumerate(order):
        a, b = int(i[k]), int(j[k])
        out.append({"rank": rank + 1, "i": a + 1, "j": b + 1, "separation": b - a,
                    "i_plus_j": a + b + 2, "score": float(scores[a, b])})
    top = [r for r in out if r["separation"] >= min_separation][:n_top]
    top_any = out[:n_top]
    for r in top:
        r["rank_among_all"] = r.pop("rank")
    share = np.mean([r["separation"] >= min_separation for r in top_any])
    for r in top:
        r["share_top_all_pairs_long_range"] = float(share)
    return top


def _tables(rows, contacts, baseline, config, N, q, weights):
    columns = [("n_train", "P", "d"), ("alpha_P_over_N", "P/N", ".3g"),
               ("load_Nq", "P/(Nq)", ".3g"), ("couplings", "J", ""), ("train", "train", ".3f"),
               ("paper_train", "paper", ".2f"), ("train_fixed", "fixed", ".3f"),
               ("storable", "storable", ".3f"), ("test", "test", ".3f"),
               ("paper_test", "paper", ".2f"), ("test_converged", "converged", ".3f"),
               ("test_nearest_train_identity", "nearest train", ".3f")]
    steps = "sync steps" if config["recall"] == "sync" else f"{config['recall']} sweeps"
    fields = "fields fitted" if config["fit_fields"] else "no fields"
    title = (f"WW domain (PF00397 RP15, N = {N} columns, q = {q}), {config['n_test']} held-out "
             f"sequences; fraction of identical positions after {config['n_recall']} {steps} "
             f"from the sequence; mean+-s.e. over {config['n_seeds']} splits\n"
             f"(L-BFGS, L2 = {config['l2']}, tol = {config['tol']}, {fields}; paper loads "
             f"matched to P/(Nq); 'fixed' = fraction of training sequences recalled exactly; "
             f"'converged' = fraction of test recalls that reached a fixed point (not a cycle);\n"
             f"'storable' = the most that any memory can keep, see storable_fraction;\n"
             f"'nearest train' = mean identity of a test sequence with its closest training "
             f"sequence)")
    t1 = format_table(rows, columns, title)
    t1 += (f"\nidentity of unrelated pairs of test sequences: {baseline:.3f} "
           f"(paper's dashed line: {PAPER_BASELINE})")
    share = contacts[0]["share_top_all_pairs_long_range"] if contacts else float("nan")
    t2 = format_table(
        contacts, [("i", "i", "d"), ("j", "j", "d"), ("separation", "|i-j|", "d"),
                   ("i_plus_j", "i+j", "d"), ("score", "APC score", ".3f"),
                   ("rank_among_all", "rank (all pairs)", "d")],
        f"Top pairs with |i-j| >= {config['min_separation']} by APC-corrected Frobenius norm "
        f"(asymmetric PL on all sequences, weights at {config['contact_identity']} identity, "
        f"N_eff = {weights.sum():.0f}, L2 = {config['contact_l2']}, gaps left out of the norm);\n"
        f"{share:.0%} of the top {config['n_top']} pairs over all separations have |i-j| >= "
        f"{config['min_separation']}; pairs of a beta hairpin share i+j")
    return [t1, t2]


def _plot(plt, rows, scores, contacts, baseline, config, N, q):
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.4), gridspec_kw={"width_ratios": [1.35, 1]})
    ax = axes[0]
    for kind, color in (("asym", "C0"), ("sym", "C1")):
        sel = [r for r in rows if r["couplings"] == kind]
        a = [r["load_Nq"] for r in sel]
        errorbar(ax, a, sel, "train", "o-", color=color, label=f"train, {kind}")
        errorbar(ax, a, sel, "test", "s--", color=color, label=f"test, {kind}")
        for part, marker in (("train", "o"), ("test", "s")):
            pa, pv = zip(*sorted(PAPER[f"{part} {kind}"].items()))
            ax.plot(pa, pv, marker, color=color, mfc="none", ms=8, alpha=0.7,
                    label=f"paper, {part} {kind}")
    nearest = [(r["load_Nq"], r["test_nearest_train_identity"]) for r in rows
               if r["couplings"] == "asym"]
    ax.plot(*zip(*nearest), ":", color="grey", label="test: identity to nearest train seq.")
    ax.axhline(baseline, color="k", ls="--", lw=1, label=f"unrelated sequences ({baseline:.3f})")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(f"load P/(N q), N q = {N * q}   (P/N = {N * q / N:.0f} x this)")
    ax.set_ylabel("fraction of identical positions after recall")
    ax.set_title("(a) WW domain: Potts PL memories, train vs test", fontsize=10)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    ax.grid(alpha=0.3, which="both")

    ax = axes[1]
    im = ax.imshow(scores, cmap="Greys", origin="upper", extent=(0.5, N + 0.5, N + 0.5, 0.5))
    fig.colorbar(im, ax=ax, fraction=0.046, label="APC-corrected Frobenius norm")
    if contacts:
        ci = [r["i"] for r in contacts]
        cj = [r["j"] for r in contacts]
        ax.plot(cj, ci, "o", mfc="none", color="C3", ms=8,
                label=f"top {len(contacts)}, |i-j| >= {config['min_separation']}")
        ax.legend(fontsize=8, loc="lower left")
    ax.set_xlabel("column j")
    ax.set_ylabel("column i")
    ax.set_title("(b) contact scores (upper triangle: top pairs circled)", fontsize=10)
    fig.tight_layout()
    return fig
