"""The paper's experiments at tiny sizes: qualitative results, files and the CLI.

Tests that run a whole experiment (seconds each) are marked slow; the others
check its pieces.
"""

import importlib.util

import numpy as np
import pytest

from sklearn_plm.datasets import make_random_patterns
from sklearn_plm.experiments import EXPERIMENTS, get_experiment
from sklearn_plm.experiments.__main__ import main
from sklearn_plm.experiments._common import (Logger, aggregate, claims_table, finish,
                                             format_table, resolve_config)
from sklearn_plm.experiments._proteins import storable_fraction
from sklearn_plm.experiments._random_features import unseen_test_set
from sklearn_plm.experiments._stabilities import (PAPER_LAMBDA, fixed_norm_stabilities,
                                                  kappa_max, paper_histograms,
                                                  paper_theory_curves, theory)

HAS_MPL = importlib.util.find_spec("matplotlib") is not None


def _check_files(results, out, names):
    for name in names:
        assert (out / name).is_file(), name
    assert (out / f"{results.name}.png").is_file() == HAS_MPL


@pytest.mark.slow
def test_basins_pl_beats_classical_rules(tmp_path):
    module = get_experiment("basins")
    config = {"n_features": 200, "alphas": [0.3], "curve_alpha": 0.3, "epochs": 1000,
              "n_seeds": 1, "verbose": False}
    res = module.run(config, out=tmp_path)
    basin = {r["rule"]: r["basin"] for r in res.basins}
    assert set(module.RULES + module.CURVE_ONLY_RULES) == set(basin)
    # PL at least as good as every classical rule, up to one grid step (finite N)
    classical = ("Hebb", "pseudo-inverse", "Storkey", "perceptron kmax")
    assert basin["PL asym"] >= max(basin[r] for r in classical) - 0.02
    assert basin["PL asym"] > basin["Hebb"] + 0.2     # Hebb has no basin beyond alpha ~ 0.14
    assert 0.3 < basin["PL asym"] < 0.7              # paper: 0.49 at alpha = 0.3
    pl = next(r for r in res.basins if r["rule"] == "PL asym")
    assert pl["fixed_points"] == 1.0
    # the m_F(m_in) curves: every rule gets the full grid, m_F(1) = 1 for a fixed point
    curve = [r for r in res.basins_curves if r["rule"] == "PL asym"]
    assert len(curve) == 51 and curve[-1]["m_final"] == 1.0
    # the table reports the population criterion (the paper's figure) and the per-pattern one
    assert all(0 <= r["basin_population"] <= 1 for r in res.basins)
    assert "population criterion, as the paper's figure" in res.table
    assert "per-pattern criterion" in res.table
    _check_files(res, tmp_path, ["basins.csv", "basins_curves.csv", "basins.txt",
                                 "basins_runs.csv"])
    header = (tmp_path / "basins.csv").read_text().splitlines()[0]
    assert {"basin", "basin_sem", "basin_population", "rule"} <= set(header.split(","))


def test_basins_calls_the_library_metric(monkeypatch):
    from sklearn_plm.experiments import _basins

    calls = []
    real = _basins.basin_size

    def spy(*args, **kwargs):
        calls.append(kwargs["criterion"])
        return real(*args, **kwargs)

    monkeypatch.setattr(_basins, "basin_size", spy)
    _basins.run({"n_features": 40, "alphas": [0.1], "curve_alpha": None, "rules": ["Hebb"],
                 "n_seeds": 1, "verbose": False})
    assert sorted(calls) == ["pattern", "population"]


def test_error_bars_over_seeds():
    runs = [{"alpha": 0.1, "rule": "a", "seed": k, "basin": v} for k, v in enumerate([1, 2, 3])]
    row, = aggregate(runs, ("alpha", "rule"), ("basin",))
    assert row["basin"] == 2 and row["n_seeds"] == 3
    assert row["basin_sem"] == pytest.approx(1 / np.sqrt(3))
    assert "2.000+-0.577" in format_table([row], [("basin", "basin", ".3f")])
    res = get_experiment("basins").run({"n_features": 60, "alphas": [0.2], "curve_alpha": None,
                                        "rules": ["PL asym", "Hebb"], "epochs": 100,
                                        "n_seeds": 2, "verbose": False})
    assert all(r["n_seeds"] == 2 and np.isfinite(r["basin_sem"]) for r in res.basins)
    assert len(res.basins_runs) == 4
    assert "+-" in res.table and "Claims of the paper" in res.table


@pytest.mark.slow
def test_random_features_memorization_to_generalization(tmp_path):
    module = get_experiment("random-features")
    config = {"n_features": 200, "alphas": [0.1, 0.5, 2.0], "alpha_ds": [0.05], "n_test": 200,
              "n_seeds": 1, "verbose": False}
    res = module.run(config, out=tmp_path)
    rows = sorted(res["random-features"], key=lambda r: r["alpha"])
    train = [r["train"] for r in rows]
    test = [r["test"] for r in rows]
    assert min(train) == pytest.approx(1.0)
    assert test[0] < 0.9 and np.all(np.diff(test) > 0) and test[-1] > 0.95
    # generalization, not a look-up: test examples seen in training are left out
    assert all(r["n_test_unseen"] == 200 for r in rows)
    _check_files(res, tmp_path, ["random-features.csv", "random-features.txt"])


def test_random_features_test_set_excludes_training_examples():
    from sklearn_plm.datasets import make_random_features

    # D = 4 features, 3 active: few distinct mixtures, most candidates were seen
    data = make_random_features(200, 50, 4, n_active=3, n_test=500, random_state=0)
    X_test, seen = unseen_test_set(data.X_test, data.X_train, 100)
    train = {row.tobytes() for row in data.X_train}
    assert seen > 0.2
    assert not any(row.tobytes() in train for row in X_test)
    res = get_experiment("random-features").run(
        {"n_features": 50, "alphas": [4.0], "alpha_ds": [0.08], "epochs": 20, "n_test": 50,
         "n_seeds": 1, "verbose": False})
    row, = res["random-features"]
    assert row["test_seen_in_train"] > 0.2 and row["n_test_unseen"] < 50


def test_stability_theory_matches_paper_numbers():
    assert kappa_max(0.4) == pytest.approx(1.242, abs=2e-3)
    assert kappa_max(1.0) == pytest.approx(0.471, abs=2e-3)
    grid = np.linspace(-8, 14, 44001)
    for lam, height, where in ((0.2, 0.56, 1.53), (0.8, 1.25, 1.31), (1.6, 2.28, 1.25)):
        p, _ = theory(0.4, lam, grid)
        assert np.sum(p) * (grid[1] - grid[0]) == pytest.approx(1.0, abs=1e-4)
        assert p.max() == pytest.approx(height, abs=0.01)
        assert grid[np.argmax(p)] == pytest.approx(where, abs=0.01)
    # lambda -> 0 is the Hebb distribution N(1/sqrt(alpha), 1)
    p, _ = theory(0.4, 1e-3, grid)
    mean = np.sum(grid * p) / np.sum(p)
    assert mean == pytest.approx(1 / np.sqrt(0.4), abs=1e-2)


@pytest.mark.slow
def test_stabilities_drift_towards_maximal_stability(tmp_path):
    module = get_experiment("stabilities")
    res = module.run({"n_features": 100, "checkpoints": [10, 300, 3000], "n_seeds": 1,
                      "verbose": False}, out=tmp_path)
    rows = res.stabilities
    assert [r["epoch"] for r in rows] == [0, 10, 300, 3000]
    assert rows[0]["mean"] == pytest.approx(1 / np.sqrt(0.4), abs=0.1)   # Hebb
    assert np.all(np.diff([r["lambda"] for r in rows]) > 0)
    assert np.all(np.diff([r["min"] for r in rows]) > 0)
    assert rows[-1]["min"] > 0 and rows[-1]["min"] < rows[-1]["kappa_max"]
    _check_files(res, tmp_path, ["stabilities.csv", "stabilities_histograms.csv"])


@pytest.mark.slow
def test_stabilities_protocol_gives_the_papers_lambda():
    # the paper's panels: lambda = 0.08 after 10 epochs from Hebb at P/N = 0.4
    res = get_experiment("stabilities").run(
        {"n_features": 100, "checkpoints": [10], "n_seeds": 1, "verbose": False})
    row = [r for r in res.stabilities if r["epoch"] == 10][0]
    assert row["lambda"] == pytest.approx(PAPER_LAMBDA[0.4][10], abs=0.01)


def _moments(delta):
    return delta.mean(), delta.std()


def test_fixed_norm_optimum_is_the_replica_theory():
    X = make_random_patterns(80, 200, random_state=0)
    grid = np.linspace(-8, 14, 44001)
    for lam in (0.2, 0.7, 1.6):
        mean, std = _moments(fixed_norm_stabilities(X, lam))
        p, _ = theory(0.4, lam, grid)
        t_mean = np.sum(grid * p) / np.sum(p)
        t_std = np.sqrt(np.sum((grid - t_mean) ** 2 * p) / np.sum(p))
        assert mean == pytest.approx(t_mean, abs=0.03)
        assert std == pytest.approx(t_std, abs=0.03)


def test_fixed_norm_optimum_against_a_derivative_free_reference():
    from scipy.optimize import minimize

    X = make_random_patterns(4, 7, random_state=1).astype(float)
    lam = 0.9
    delta = fixed_norm_stabilities(X, lam)
    for i in range(X.shape[1]):
        y, Z = X[:, i], np.delete(X, i, axis=1)

        def loss(u):
            return np.logaddexp(0, -2 * lam * y * (Z @ u) / np.linalg.norm(u)).sum()

        ref = minimize(loss, Z.T @ y, method="Powell",
                       options={"xtol": 1e-10, "ftol": 1e-15, "maxiter": 100000}).x
        assert np.allclose(delta[:, i], y * (Z @ ref) / np.linalg.norm(ref), atol=1e-6)


def test_storable_fraction_counts_one_site_neighbours():
    # rows 1 and 2 are copies; row 0 differs from them at site 2 and from row 3 at site 0
    X = np.array([[0, 1, 2], [0, 1, 3], [0, 1, 3], [1, 1, 2], [2, 0, 0]])
    assert storable_fraction(X) == pytest.approx(4 / 5)
    # a 4-cycle of one-site neighbours keeps two of its rows
    assert storable_fraction(np.array([[0, 1], [1, 1], [0, 0], [1, 0]])) == 0.5
    rng = np.random.default_rng(0)
    assert storable_fraction(rng.integers(0, 21, size=(50, 31))) == 1.0


@pytest.mark.slow
def test_proteins_penalty_stores_the_training_sequences():
    pytest.importorskip("logomaker", reason="the WW alignment ships with logomaker")
    from sklearn_plm import PottsPseudoLikelihoodMemory
    from sklearn_plm.datasets import load_ww_domain

    X = load_ww_domain().data[::3][:651].astype(float)      # P/(Nq) = 1
    readings = get_experiment("proteins").READINGS
    small = next(v for k, v in readings.items() if k.startswith("A "))["l2"]
    default = get_experiment("proteins").QUICK["l2"]
    assert default > small

    def recall(l2):
        est = PottsPseudoLikelihoodMemory(alpha=l2, tol=1e-5, n_states=21, max_iter=1000,
                                          n_jobs=1).fit(X)
        return est.transform(X)

    # the small penalty of reading A, to the tolerance of the WW-domain notes
    recalled = recall(small)
    assert np.mean(recalled == X) >= 0.99
    # the sequences it loses are those a one-site neighbour makes unstorable
    assert np.all(recalled == X, axis=1).mean() <= storable_fraction(X) + 1e-12
    # the default (reading H) penalizes more so as to lose training sequences
    # near the paper's storage limit: fewer are fixed points than with reading A
    assert np.all(recall(default) == X, axis=1).mean() < np.all(recalled == X, axis=1).mean()


@pytest.mark.slow
def test_mnist_on_digits(tmp_path):
    module = get_experiment("mnist")
    res = module.run({"dataset": "digits", "alphas": [0.5, 8.0], "epochs": 100, "n_test": 200,
                      "n_pictures": 2, "n_seeds": 1, "verbose": False}, out=tmp_path)
    small, large = res.mnist
    assert small["n_features"] == 64
    assert small["train"] == pytest.approx(1.0)
    assert large["test"] > small["test"]
    assert large["random"] < large["test"]
    _check_files(res, tmp_path, ["mnist.csv", "mnist.txt"])


@pytest.mark.slow
def test_spin_glass_small_lattice(tmp_path):
    module = get_experiment("spin-glass")
    res = module.run({"L": 6, "alphas": [0.1, 1.0, 8.0], "epochs": 200, "n_test": 100,
                      "n_seeds": 1, "verbose": False}, out=tmp_path)
    rows = res["spin-glass"]
    assert rows[0]["train"] == pytest.approx(1.0)
    assert rows[-1]["test"] > rows[0]["test"]
    assert res.true_couplings > max(r["random"] for r in rows)
    # the large-P limit of the random-start curve: the true couplings from random states
    assert res.true_couplings_random > max(r["random"] for r in rows) + 0.1
    rises, = [c for c in res.claims if "random-start overlap rises" in c["claim"]]
    assert "64: 0.45" in rises["paper"]
    _check_files(res, tmp_path, ["spin-glass.csv", "spin-glass.txt"])


def test_cli_help_lists_experiments(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for name in EXPERIMENTS + ("all",):
        assert name in text


def test_cli_subcommands_have_their_own_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["basins", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--quick", "--full", "--out", "--seed", "--n-jobs", "--n-features", "--alphas",
                 "--n-seeds", "--n-recall"):
        assert flag in text
    assert "--checkpoints" not in text           # an option of another experiment
    with pytest.raises(SystemExit) as exc:
        main(["stabilities", "--help"])
    assert "--checkpoints" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["basins", "--seed", "-1"], ["all", "--seed", "-1"],
                                  ["basins", "--n-jobs", "0"], ["basins", "--n-seeds", "0"]])
def test_cli_bad_numbers_are_argparse_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and "Traceback" not in err


@pytest.mark.slow
def test_cli_options_reach_the_experiment(tmp_path, capsys):
    code = main(["basins", "--n-features", "40", "--alphas", "0.1", "--curve-alpha", "0.1",
                 "--rules", "Hebb", "--n-seeds", "2", "--m-in-step", "0.1", "--quiet",
                 "--out", str(tmp_path)])
    assert code == 0
    lines = (tmp_path / "basins_runs.csv").read_text().splitlines()
    assert len(lines) == 1 + 2 * 2               # Hebb and perceptron k=0, two seeds
    assert ",40," in lines[1]


def test_cli_checks_the_output_folder_first(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exc:
        main(["basins", "--out", str(blocker / "sub")])
    assert exc.value.code == 2
    assert "Cannot write the results" in capsys.readouterr().err


def test_results_are_written_as_they_are_produced(tmp_path):
    with pytest.raises(ValueError, match="Unknown rule"):
        get_experiment("basins").run({"n_features": 40, "alphas": [0.1], "curve_alpha": None,
                                      "rules": ["Hebb", "bogus"], "n_seeds": 1,
                                      "verbose": False}, out=tmp_path)
    lines = (tmp_path / "basins_runs.csv").read_text().splitlines()
    assert len(lines) == 2 and "Hebb" in lines[1]


def test_missing_data_package_fails_loudly(tmp_path, monkeypatch, capsys):
    from sklearn_plm.datasets import _loaders
    from sklearn_plm.experiments import __main__ as cli

    monkeypatch.setattr(_loaders, "_MNIST_PACKAGE", "no_such_package_for_mnist")
    with pytest.raises(ImportError, match="pip install"):
        get_experiment("mnist").run({"verbose": False})
    monkeypatch.setattr(cli, "EXPERIMENTS", ("mnist",))
    assert cli.main(["all", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "FAILED mnist" in err and "pip install" in err


def test_configs_are_validated():
    with pytest.raises(ValueError, match="Unknown configuration keys"):
        resolve_config({"a": 1}, {"b": 2})
    with pytest.raises(ValueError, match="Unknown experiment"):
        get_experiment("nope")
    for name in EXPERIMENTS:
        module = get_experiment(name)
        assert set(module.QUICK) <= set(module.FULL)


# ------------------------------------------------ claims checked against the paper


def test_stabilities_paper_figure_ships_with_the_package():
    import sklearn_plm.experiments as package
    from importlib import resources

    assert resources.files(package).joinpath(
        "paper_figures", "stabilities_gd_histograms.csv").is_file()
    panels = paper_histograms()
    # the statistics of the paper's plotted histograms and theory curves
    for key, mean, std, t_mean, t_std in (((0.4, 10), 1.578, 0.971, 1.577, 0.879),
                                          ((0.4, 10000), 1.414, 0.332, 1.386, 0.266),
                                          ((1.5, 10), 0.815, 0.993, 0.813, 0.894),
                                          ((1.5, 10000), 0.649, 0.547, 0.621, 0.517)):
        p = panels[key]
        assert (p["mean"], p["std"]) == pytest.approx((mean, std), abs=2e-3)
        assert (p["theory_mean"], p["theory_std"]) == pytest.approx((t_mean, t_std), abs=2e-3)
    assert panels[(0.4, 10000)]["frac_negative"] == 0 and panels[(0.4, 10000)]["min"] > 0.79
    assert panels[(1.5, 10)]["frac_negative"] == pytest.approx(0.21, abs=0.01)
    curves = paper_theory_curves()
    assert sorted(curves) == [0.0, 0.2, 0.8, 1.6, 6.4]
    grid = np.linspace(-8, 14, 44001)
    for lam, (x, p_paper) in curves.items():    # our theory draws the paper's curves
        p, _ = theory(0.4, lam, grid)
        assert np.interp(x, grid, p) == pytest.approx(p_paper, abs=0.01)


def _panel_rows(scale_std=1.0):
    """Rows as the experiment makes them, with the paper's own numbers as ours."""
    rows = []
    for (alpha, epoch), p in paper_histograms().items():
        rows.append({"alpha": alpha, "epoch": epoch, "lambda": p["lambda"] * (1 + epoch / 1e4),
                     "min": p["min"], "kappa_max": kappa_max(alpha), "mean": p["mean"],
                     "std": p["std"] * scale_std, "frac_negative": p["frac_negative"],
                     "theory_mean": p["theory_mean"], "theory_std": p["theory_std"],
                     "optimum_mean": p["theory_mean"], "optimum_std": p["theory_std"],
                     **{f"paper_{k}": v for k, v in p.items()}})
    return sorted(rows, key=lambda r: (r["alpha"], r["epoch"]))


def test_stabilities_claims_are_the_papers_not_stricter():
    from sklearn_plm.experiments._stabilities import _claims

    # the paper's own histograms pass its own claims: "similar to" the theory
    claims = {c[0]: c for c in _claims(_panel_rows())}
    similar = [c for k, c in claims.items() if "similar to the fixed-norm theory" in k]
    same = [c for k, c in claims.items() if "paper's plotted ones" in k]
    assert len(similar) == len(same) == 2
    assert all(c[1] is True for c in similar + same)
    assert all(c[3] and "width ratio" in c[3] for c in similar)   # the paper's own ratio
    # histograms 30 % wider than the paper's are neither
    claims = {c[0]: c for c in _claims(_panel_rows(scale_std=1.3))}
    assert all(c[1] is False for k, c in claims.items()
               if "similar to" in k or "plotted ones" in k)


def test_stabilities_table_has_the_papers_columns(tmp_path):
    res = get_experiment("stabilities").run(
        {"n_features": 60, "checkpoints": [10], "n_seeds": 1, "verbose": False}, out=tmp_path)
    row = [r for r in res.stabilities if r["epoch"] == 10][0]
    assert row["paper_std"] == pytest.approx(0.971, abs=2e-3)
    assert "Against the paper's plotted histograms" in res.table
    kinds = [c["claim"] for c in res.claims]
    assert any("similar to the fixed-norm theory" in k for k in kinds)


def test_claims_table_carries_its_claims_into_the_results(tmp_path):
    table = claims_table([("a claim", True, "ours 1"), ("another", False, "ours 2", "paper 3"),
                          ("a third", None, "-")])
    assert "paper 3" in table and "NOT shown" in table
    assert [c["verdict"] for c in table.claims] == ["shown", "NOT shown",
                                                     "not covered at this size"]
    assert table.claims[1]["paper"] == "paper 3" and table.claims[0]["paper"] is None
    res = finish("x", tmp_path, ["a table", table], {"x.csv": ([{"a": 1}], None)},
                 lambda plt: plt.figure(), Logger("x", verbose=False))
    assert [c["claim"] for c in res.claims] == ["a claim", "another", "a third"]


class _Tiny:
    """An experiment module at a tiny size (or one that fails)."""

    def __init__(self, name, config=None, error=None):
        self.module = get_experiment(name) if config is not None else None
        self.QUICK = self.FULL = dict(config or {})
        self.SUMMARY, self.__doc__, self.error = name, name, error

    def run(self, config, out=None):
        if self.error is not None:
            raise self.error
        return self.module.run(config, out=out)


def test_all_ends_with_one_summary_of_every_claim(tmp_path, monkeypatch, capsys):
    from sklearn_plm.experiments import __main__ as cli

    tiny = {"basins": _Tiny("basins", {"n_features": 40, "alphas": [0.1], "curve_alpha": None,
                                       "rules": ["Hebb", "PL asym"], "epochs": 50}),
            "broken": _Tiny("broken", error=RuntimeError("something went wrong")),
            "stabilities": _Tiny("stabilities", {"n_features": 40, "checkpoints": [10]})}
    monkeypatch.setattr(cli, "EXPERIMENTS", tuple(tiny))
    monkeypatch.setattr(cli, "get_experiment", tiny.__getitem__)
    code = cli.main(["all", "--out", str(tmp_path), "--quiet", "--n-seeds", "1"])
    assert code == 1                                # an experiment failed (any error)
    out = capsys.readouterr()
    assert "FAILED broken: something went wrong" in out.err
    summary = out.out[out.out.index("Summary:"):]
    assert summary == (tmp_path / "summary.txt").read_text()
    lines = summary.splitlines()
    basins = [line for line in lines if line.lstrip().startswith("basins")]
    stab = [line for line in lines if line.lstrip().startswith("stabilities")]
    assert len(basins) >= 3 and len(stab) >= 5      # one line per claim
    assert all(str(tmp_path / "basins" / "basins.csv") in line for line in basins)
    assert any("FAILED" in line and "broken" in line for line in lines)
    assert any("similar to the fixed-norm theory" in line for line in stab)
    assert "Time per experiment" in summary and "s CPU" in summary


def test_all_counts_the_cpu_of_an_experiments_worker_processes(tmp_path, monkeypatch, capsys):
    from sklearn.utils import Bunch

    from sklearn_plm.experiments import __main__ as cli

    class Workers:
        """An experiment whose work runs in worker processes."""
        QUICK = FULL = {}
        SUMMARY = "workers"

        def run(self, config, out=None):
            # as the proteins experiment reports the CPU of its chains' processes
            return Bunch(name="workers", claims=(), files=[], worker_cpu_time=4321.0)

    monkeypatch.setattr(cli, "EXPERIMENTS", ("workers",))
    monkeypatch.setattr(cli, "get_experiment", {"workers": Workers()}.__getitem__)
    assert cli.main(["all", "--out", str(tmp_path), "--quiet", "--n-seeds", "1"]) == 0
    summary = capsys.readouterr().out
    assert "workers 0 s (4321 s CPU)" in summary


def test_mnist_starts_from_the_notebooks_random_couplings():
    from sklearn_plm import PseudoLikelihoodMemory
    from sklearn_plm.experiments._mnist import start_couplings

    assert get_experiment("mnist").QUICK["init"] == "random"
    X = make_random_patterns(30, 50, random_state=0)
    est = PseudoLikelihoodMemory(solver="gd", learning_rate=1e-12, max_iter=1, tol=0.0)
    start_couplings(est, "random", 50, seed=3).fit(X)
    J = est.coupling_
    off = ~np.eye(50, dtype=bool)
    assert np.all(np.diag(J) == 0) and np.std(J[off]) * np.sqrt(50) == pytest.approx(1, abs=0.05)
    hebb = start_couplings(PseudoLikelihoodMemory(solver="gd", learning_rate=1e-12, max_iter=1,
                                                  tol=0.0), "hebb", 50, seed=3).fit(X)
    np.testing.assert_allclose(hebb.coupling_[off], (X.T @ X / 50)[off], atol=1e-6)
    with pytest.raises(ValueError, match="init must be"):
        get_experiment("mnist").run({"dataset": "digits", "init": "zeros", "verbose": False})


def test_basins_claim_with_one_seed_has_no_error_bar():
    from sklearn_plm.experiments._basins import _claims

    row = {"alpha": 0.4, "rule": "PL asym", "basin": 0.43, "basin_sem": float("nan"),
           "basin_population": 0.32, "basin_population_sem": float("nan")}
    claim, = [c for c in _claims([row], [0.4]) if "is the paper's" in c[0]]
    assert claim[1] is True and claim[3] == "0.37"       # 0.32 is within 15 % of 0.37
    row["basin_population"] = 0.30
    claim, = [c for c in _claims([row], [0.4]) if "is the paper's" in c[0]]
    assert claim[1] is False
