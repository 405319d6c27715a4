"""The proteins experiment: the paper's load axis and curves, the loader, the protocol search.

Fits here are tiny (a few sequences, a strong penalty, few iterations); the
real runs are in doc/experiments.md.
"""

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from sklearn_plm import PottsPseudoLikelihoodMemory
from sklearn_plm.datasets import _families
from sklearn_plm.experiments import get_experiment
from sklearn_plm.experiments import _proteins
from sklearn_plm.experiments._proteins import loads, paper_curves

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FAMILIES = SHARED / "data" / "families"
HAS_MPL = importlib.util.find_spec("matplotlib") is not None
needs_families = pytest.mark.skipif(
    not (FAMILIES / "PF13354").is_dir(),
    reason=f"the shared copies of the protein families are not at {FAMILIES}")
TINY = {"n_test": 40, "l2": 1e-2, "tol": 1e-3, "max_iter": 30, "n_recall": 20,
        "verbose": False}


@pytest.fixture
def families(tmp_path, monkeypatch):
    """An empty data home filled from the shared copies of the families."""
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "data_home"))
    monkeypatch.setenv(_families.FAMILIES_DIR_ENV, str(FAMILIES))


def test_paper_curves_are_packaged_on_the_papers_axis():
    paper = paper_curves()
    assert len(paper) == 35
    # every load is P/202 with P = round(10^(k/10)), k = 3..38
    assert [r["P_if_N202"] for r in paper] == sorted(set(loads(range(3, 39))))
    np.testing.assert_allclose([r["alpha"] for r in paper],
                               [r["P_if_N202"] / 202 for r in paper], rtol=2e-4)
    best = max(paper, key=lambda r: r["test_asym"])
    assert (best["P_if_N202"], best["test_asym"]) == (1000, 0.5821)
    assert paper[-1]["test_sym"] == 0.4944 and paper[-1]["err_test_sym"] == 0.0042
    shared = SHARED / "research" / "paper_figures" / "proteins.csv"
    if shared.is_file():  # the package's copy holds the same numbers
        with open(shared) as f:
            rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]
        assert [[r[k] for k in sorted(r)] for r in rows] == [[r[k] for k in sorted(r)]
                                                              for r in paper]


def test_symmetrized_copy():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, size=(30, 6)).astype(float)
    est = PottsPseudoLikelihoodMemory(alpha=1e-2, n_states=4, n_jobs=1).fit(X)
    sym = _proteins._symmetrized(est)
    np.testing.assert_allclose(sym.coupling_, sym.coupling_.transpose(1, 0, 3, 2))
    assert not np.allclose(est.coupling_, est.coupling_.transpose(1, 0, 3, 2))
    np.testing.assert_allclose(sym.coupling_ + sym.coupling_.transpose(1, 0, 3, 2),
                               est.coupling_ + est.coupling_.transpose(1, 0, 3, 2), atol=1e-12)
    assert sym.transform(X[:3]).shape == (3, 6)


@pytest.mark.slow
@needs_families
def test_warm_start_along_the_load_axis_reaches_the_cold_optimum(families):
    X = _families.fetch_protein_family("PF00014").data[:60].astype(float)
    config = {**_proteins.QUICK, "l2": 1e-2, "tol": 1e-7, "max_iter": 2000}
    warm = _proteins._estimator(config, False, 21, 0).fit(X[:30]).fit(X)
    cold = _proteins._estimator({**config, "warm_start": False}, False, 21, 0).fit(X)
    assert warm.n_iter_ < cold.n_iter_
    np.testing.assert_allclose(warm.coupling_, cold.coupling_, atol=1e-5)


@pytest.mark.slow
@needs_families
def test_proteins_on_the_papers_family(families, tmp_path):
    module = get_experiment("proteins")
    res = module.run({**TINY, "exponents": [3, 10], "n_jobs": 2}, out=tmp_path)
    rows = res.proteins
    assert [(r["n_train"], r["kind"]) for r in rows] == [(2, "asym"), (10, "asym"),
                                                          (2, "sym"), (10, "sym")]
    baseline = rows[0]["unrelated_identity"]
    assert 0.18 < baseline < 0.25            # paper's dashed line: 0.2257
    for row in rows:
        assert row["alpha"] == pytest.approx(row["n_train"] / 202)
        assert row["train"] == pytest.approx(1.0)
        assert baseline < row["test"] < 0.6
        assert row["storable"] == 1.0
    # the paper's values and error bars sit beside ours
    by = {(r["n_train"], r["kind"]): r for r in rows}
    assert by[(2, "asym")]["paper_test"] == 0.2543
    assert by[(2, "asym")]["paper_test_sem"] == 0.0315
    assert by[(10, "sym")]["paper_test"] == 0.3318
    text = (tmp_path / "proteins.txt").read_text()
    assert "0.254+-0.032" in text                     # the paper's test value at P = 2
    assert "paper's dashed line: 0.2257" in text
    assert "1205" not in text and "40 held-out" in text
    assert (tmp_path / "proteins.png").is_file() == HAS_MPL
    assert len(res.proteins_runs) == 4 and res.fit_cpu_time > 0


@needs_families
def test_interrupted_run_resumes_its_finished_chains(families, tmp_path, monkeypatch):
    config = {**TINY, "family": "PF00014", "exponents": [3, 6]}
    first = _proteins.run(config, out=tmp_path)
    assert len(list(tmp_path.glob(".chain-*.json"))) == 2        # asym and sym
    # the workers' CPU (fits and recalls) is counted: at least that of the fits
    assert first.worker_cpu_time >= first.fit_cpu_time > 0

    def no_fit(*args, **kwargs):
        raise AssertionError("refitted a saved chain")

    monkeypatch.setattr(PottsPseudoLikelihoodMemory, "fit", no_fit)
    again = _proteins.run(config, out=tmp_path)
    def values(res):
        return [(r["n_train"], r["kind"], r["train"], r["test"], r["fit_time"])
                for r in res.proteins]

    assert values(again) == values(first)
    assert again.worker_cpu_time == 0.0
    assert "2 of 2 chains read from an earlier run" in (tmp_path / "proteins.txt").read_text()
    # a changed setting is a different chain: it is fitted, never read from the old file
    with pytest.raises(AssertionError, match="refitted"):
        _proteins.run({**config, "l2": 2e-2}, out=tmp_path)


@needs_families
def test_protocol_search_tabulates_every_reading_and_resumes(families, tmp_path, monkeypatch):
    config = {**TINY, "family": "PF00014", "exponents": [3, 6], "protocol_search": True}
    res = _proteins.run(config, out=tmp_path)
    table = res.proteins_protocol
    assert sorted(r["reading"] for r in table) == sorted(_proteins.READINGS)
    assert [r["rms_gap"] for r in table] == sorted(r["rms_gap"] for r in table)
    by = {r["reading"]: r for r in table}
    # readings that differ only in the recall or the symmetric construction share a fit
    runs = {(r["reading"][0], r["kind"], r["n_train"]): r for r in res.protocol_runs}
    assert runs[("A", "asym", 4)]["fit_time"] == runs[("B", "asym", 4)]["fit_time"]
    assert runs[("A", "asym", 4)]["fit_time"] == runs[("C", "asym", 4)]["fit_time"]
    assert runs[("A", "sym", 4)]["fit_time"] != runs[("C", "sym", 4)]["fit_time"]
    assert all(0 <= r["rms_gap"] < 1 for r in table)
    assert by[next(iter(_proteins.READINGS))]["storage_asym"] is not None
    text = (tmp_path / "proteins.txt").read_text()
    assert "paper (poster)" in text and "RMS gap" in text

    # a second run reuses the saved chains instead of fitting again
    def no_fit(*args, **kwargs):
        raise AssertionError("refitted a saved chain")

    monkeypatch.setattr(PottsPseudoLikelihoodMemory, "fit", no_fit)
    again = _proteins.run(config, out=tmp_path)
    assert again.proteins_protocol == table


def test_missing_family_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    monkeypatch.delenv(_families.FAMILIES_DIR_ENV, raising=False)
    monkeypatch.setattr(_families, "BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(FileNotFoundError, match="needs family PF13354.*SKLEARN_PLM_FAMILIES_DIR"):
        _proteins.run({"verbose": False, "exponents": [3]})


def test_ww_domain_option(tmp_path):
    pytest.importorskip("logomaker", reason="the WW alignment ships with logomaker")
    res = _proteins.run({**TINY, "family": "ww", "exponents": [20], "n_test": 100,
                         "recall": "async", "fit_fields": False}, out=tmp_path)
    assert [r["kind"] for r in res.proteins] == ["asym", "sym"]
    for row in res.proteins:
        assert row["test_converged"] == 1.0      # random-order sweeps reach a fixed point
        assert row["train"] == pytest.approx(1.0, abs=0.01)
        assert row["paper_train"] is None        # N = 31: not the paper's axis
    text = (tmp_path / "proteins.txt").read_text()
    assert "20 async sweeps" in text and "no fields" in text and "WW domain" in text


def test_invalid_symmetric_option():
    with pytest.raises(ValueError, match="symmetric must be 'fit' or 'average'"):
        _proteins.run({"symmetric": "both", "verbose": False})


@needs_families
def test_fits_without_warm_start_run_per_load_and_match_the_chain(families):
    # fixed-epoch gradient descent has no warm start: each load is its own job
    # (largest first), and the rows equal those of the sequential chain
    fam = _proteins.fetch_protein_family("PF00014")
    X = np.asarray(fam.data[:200], dtype=np.float32)
    X_test, X_pool = _proteins._split(X, 40, 0)
    cfg = {**_proteins.QUICK, **TINY, "solver": "gd", "tol": 0.0, "max_iter": 5,
           "warm_start": False, "fit_fields": False}
    Ps = [3, 10, 25]
    chains = [(X_pool, X_test, cfg, ("asym", "sym-avg"), 7, ("sync",), None)]
    (rows,), cpu = _proteins._run_chains(chains, Ps, len(fam.alphabet), n_jobs=2)
    assert cpu >= sum(r["fit_time"] for r in rows[::2]) > 0   # the workers' CPU, fits included
    ref = _proteins._chain(X_pool, X_test, Ps, cfg, ("asym", "sym-avg"), len(fam.alphabet), 7,
                           ("sync",))
    assert [r["n_train"] for r in rows] == [3, 3, 10, 10, 25, 25]
    strip = [{k: v for k, v in r.items() if k != "fit_time"} for r in rows]
    assert strip == [{k: v for k, v in r.items() if k != "fit_time"} for r in ref]


def test_protocol_search_scores_by_the_claims_rules():
    # the search table and the claims judge a reading by the same targets: a
    # single load where the test curves differ is not a separation
    Ps = [r["P_if_N202"] for r in paper_curves()]
    paper_rows = _proteins._paper_rows(Ps)
    scores = _proteins.reading_scores(paper_rows, 202)
    targets = _proteins._targets(paper_rows)
    assert scores["separation_alpha"] == targets["separation"] == pytest.approx(0.99, abs=0.01)
    assert scores["storage_asym"] == targets["limit"]["asym"]
    assert scores["test_max_asym"] == targets["best"]["asym"]["test"]
    assert scores["rms_gap"] == pytest.approx(0.0, abs=1e-12)
    asym_test = {r["n_train"]: r["test"] for r in paper_rows if r["kind"] == "asym"}
    blip = [dict(r, test=asym_test[r["n_train"]] + (
        0.05 if r["kind"] == "asym" and r["n_train"] == Ps[5] else 0.0)) for r in paper_rows]
    assert _proteins.reading_scores(blip, 202)["separation_alpha"] is None


def test_claims_are_the_papers_four_targets():
    Ps = [r["P_if_N202"] for r in paper_curves()]
    paper_rows = _proteins._paper_rows(Ps)
    claims = _proteins._claims(paper_rows, 0.2, 202)
    assert len(claims) == 5
    # the paper's own curves show every claim, and our evidence is its number
    assert [c[1] for c in claims] == [True] * 5
    assert claims[0][3] == "asym 2.48, sym 0.782" and claims[0][2].endswith(claims[0][3])
    assert claims[2][3] == "asym 0.582 at 4.95, sym 0.507 at 3.12"
    assert claims[3][3] == "asym 0.557, sym 0.494"
    # a memory whose two test curves coincide shows storage but no separation
    same = [dict(r, test=next(s["test"] for s in paper_rows
                              if s["n_train"] == r["n_train"] and s["kind"] == "sym"))
            for r in paper_rows]
    verdicts = [c[1] for c in _proteins._claims(same, 0.2, 202)]
    assert verdicts == [True, True, False, False, False]
    # off the paper's axis there is no paper column, and small runs are not judged
    small = [dict(r, n_train=r["n_train"]) for r in paper_rows if r["n_train"] <= 63]
    off = _proteins._claims(small, 0.2, 530)
    assert [c[3] for c in off] == [None, "dashed line 0.2257", None, None, None]
    assert [c[1] for c in off] == [None, True, None, None, None]
