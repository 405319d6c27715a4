"""The paper's experiments at tiny sizes: qualitative results, files and the CLI."""

import importlib.util

import numpy as np
import pytest

from sklearn_plm.experiments import EXPERIMENTS, get_experiment
from sklearn_plm.experiments.__main__ import main
from sklearn_plm.experiments._basins import population_basin
from sklearn_plm.experiments._common import resolve_config
from sklearn_plm.experiments._stabilities import kappa_max, theory

HAS_MPL = importlib.util.find_spec("matplotlib") is not None


def _check_files(results, out, names):
    for name in names:
        assert (out / name).is_file(), name
    assert (out / f"{results.name}.png").is_file() == HAS_MPL


def test_basins_pl_beats_classical_rules(tmp_path):
    module = get_experiment("basins")
    config = {"n_features": 200, "alphas": [0.3], "curve_alpha": 0.3, "epochs": 1000,
              "verbose": False}
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
    _check_files(res, tmp_path, ["basins.csv", "basins_curves.csv", "basins.txt"])
    header = (tmp_path / "basins.csv").read_text().splitlines()[0]
    assert "basin" in header.split(",") and "rule" in header.split(",")


def test_population_basin_definition():
    m_in = np.array([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    # success must hold from m_in* up to 1: the isolated success at 0.2 does not count
    assert population_basin(m_in, [0.1, 0.995, 0.5, 0.99, 1.0, 1.0]) == pytest.approx(0.4)
    assert population_basin(m_in, [1.0] * 6) == pytest.approx(1.0)
    assert population_basin(m_in, [1.0] * 5 + [0.5]) == 0.0


def test_random_features_memorization_to_generalization(tmp_path):
    module = get_experiment("random-features")
    config = {"n_features": 200, "alphas": [0.1, 0.5, 2.0], "alpha_ds": [0.05], "n_test": 200,
              "verbose": False}
    res = module.run(config, out=tmp_path)
    rows = sorted(res["random-features"], key=lambda r: r["alpha"])
    train = [r["train"] for r in rows]
    test = [r["test"] for r in rows]
    assert min(train) == pytest.approx(1.0)
    assert test[0] < 0.9 and np.all(np.diff(test) > 0) and test[-1] > 0.95
    # generalization, not a look-up: most test mixtures were never seen in training
    assert rows[-1]["test_seen_in_train"] < 0.5
    _check_files(res, tmp_path, ["random-features.csv", "random-features.txt"])


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


def test_stabilities_drift_towards_maximal_stability(tmp_path):
    module = get_experiment("stabilities")
    res = module.run({"n_features": 100, "checkpoints": [10, 300, 3000], "verbose": False},
                     out=tmp_path)
    rows = res.stabilities
    assert [r["epoch"] for r in rows] == [0, 10, 300, 3000]
    assert rows[0]["mean"] == pytest.approx(1 / np.sqrt(0.4), abs=0.1)   # Hebb
    assert np.all(np.diff([r["lambda"] for r in rows]) > 0)
    assert np.all(np.diff([r["min"] for r in rows]) > 0)
    assert rows[-1]["min"] > 0 and rows[-1]["min"] < rows[-1]["kappa_max"]
    _check_files(res, tmp_path, ["stabilities.csv", "stabilities_histograms.csv"])


def test_mnist_on_digits(tmp_path):
    module = get_experiment("mnist")
    res = module.run({"dataset": "digits", "alphas": [0.5, 8.0], "epochs": 100, "n_test": 200,
                      "n_pictures": 2, "verbose": False}, out=tmp_path)
    small, large = res.mnist
    assert small["n_features"] == 64
    assert small["train"] == pytest.approx(1.0)
    assert large["test"] > small["test"]
    assert large["random"] < large["test"]
    _check_files(res, tmp_path, ["mnist.csv", "mnist.txt"])


def test_spin_glass_small_lattice(tmp_path):
    module = get_experiment("spin-glass")
    res = module.run({"L": 6, "alphas": [0.1, 1.0, 8.0], "epochs": 200, "n_test": 100,
                      "verbose": False}, out=tmp_path)
    rows = res["spin-glass"]
    assert rows[0]["train"] == pytest.approx(1.0)
    assert rows[-1]["test"] > rows[0]["test"]
    assert res.true_couplings > max(r["random"] for r in rows)
    _check_files(res, tmp_path, ["spin-glass.csv", "spin-glass.txt"])


def test_proteins_tiny(tmp_path):
    pytest.importorskip("logomaker", reason="the WW alignment ships with logomaker")
    module = get_experiment("proteins")
    res = module.run({"loads": [0.01, 0.1], "max_iter": 40, "n_top": 5, "verbose": False},
                     out=tmp_path)
    for row in res.proteins:
        assert row["train"] == pytest.approx(1.0, abs=0.01)
        assert row["unrelated_identity"] < row["test"] < row["train"]
    assert len(res.proteins_contacts) == 5
    assert all(r["separation"] >= 5 for r in res.proteins_contacts)
    assert res.contact_scores.shape == (31, 31)
    _check_files(res, tmp_path, ["proteins.csv", "proteins_contacts.csv"])


def test_cli_help_lists_experiments(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for name in EXPERIMENTS + ("all",):
        assert name in text
    for flag in ("--quick", "--full", "--out", "--seed", "--n-jobs"):
        assert flag in text


def test_configs_are_validated():
    with pytest.raises(ValueError, match="Unknown configuration keys"):
        resolve_config({"a": 1}, {"b": 2})
    with pytest.raises(ValueError, match="Unknown experiment"):
        get_experiment("nope")
    for name in EXPERIMENTS:
        module = get_experiment(name)
        assert set(module.QUICK) <= set(module.FULL)
