"""The plmc-style command line: alignment -> weights -> fit -> plmc's files."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_plm import read_plmc_couplings, read_plmc_params
from sklearn_plm.plmc import DELTA, _stopping_rule, build_parser, main, run

DATA = Path(__file__).parent / "data" / "plmc"


@pytest.mark.parametrize("name, extra", [("focus", []), ("gap", ["-g"])])
def test_cli_reproduces_plmc(name, extra, tmp_path, capsys):
    couplings, params = tmp_path / "c.txt", tmp_path / "m.params"
    main(["-f", "FOCUS", *extra, "-le", "2.0", "-lh", "0.01", "-t", "0.2", "-n", "1",
          "--tol", "1e-6", "-c", str(couplings), "-o", str(params), "--save-weights",
          str(tmp_path / "w.txt"), str(DATA / "ali.fa")])
    err = capsys.readouterr().err
    assert "400 sequences, 7 sites" in err and "positions 20-31" in err
    assert "] iteration 10: loss = " in err  # progress of the fit, on stderr
    expected = read_plmc_couplings(DATA / f"{name}.couplings")
    ours = read_plmc_couplings(couplings)
    for key in ("i", "focus_i", "j", "focus_j"):
        np.testing.assert_array_equal(ours[key], expected[key])
    np.testing.assert_allclose(ours.score, expected.score, atol=2e-3)
    model, info = read_plmc_params(params, return_info=True)
    _, plmc_info = read_plmc_params(DATA / f"{name}.params", return_info=True)
    assert info.alphabet == plmc_info.alphabet and info.focus_sequence == plmc_info.focus_sequence
    np.testing.assert_allclose(info.n_neighbors, plmc_info.n_neighbors, rtol=1e-6)
    np.testing.assert_allclose(info.fij, plmc_info.fij, atol=1e-6)
    np.testing.assert_allclose(1 / np.loadtxt(tmp_path / "w.txt"), info.n_neighbors, rtol=1e-5)
    # the summary line; a warning before it may also speak of the objective
    objective = float(re.search(r"iterations, objective ([-+.0-9eE]+),", err).group(1))
    plmc_fx = float([ln.split("\t") for ln in (DATA / f"{name}.log").read_text().splitlines()
                     if ln[:1].isdigit()][-1][3])
    assert objective == pytest.approx(plmc_fx, abs=0.1)


@pytest.mark.parametrize("name, extra", [("focus", []), ("gap", ["-g"])])
def test_cli_stops_by_plmcs_rule_by_default(name, extra):
    # plmc's libLBFGS test, |g| / max(1, |x|) <= 1e-3 on the summed objective,
    # or the objective-window test: the command stops no later than plmc and at
    # its objective, not at the tighter --tol optimum
    args = ["-f", "FOCUS", *extra, "-le", "2.0", "-lh", "0.01", "-t", "0.2"]
    logs = []
    model = run(build_parser().parse_args([*args, str(DATA / "ali.fa")]), logs.append)
    assert any(f"stopping at --epsilon 0.001 or --delta {DELTA:g})" in line for line in logs)
    assert (model.tol_norm, model.tol_objective) == ("relative_l2", DELTA)
    plmc_log = (DATA / f"{name}.log").read_text()
    # W: the effective number of samples plmc printed
    W = float(re.search(r"Effective number of samples: ([.0-9]+)", plmc_log).group(1))
    assert model.tol == pytest.approx(1e-3 / W, rel=1e-3)
    trace = [ln.split("\t") for ln in plmc_log.splitlines() if ln[:1].isdigit()]
    assert model.n_iter_ <= len(trace)
    # plmc prints its objective to 0.1
    assert model.loss_ * W <= float(trace[-1][3]) + 0.1
    logs = []
    tight = run(build_parser().parse_args([*args, "--tol", "1e-6", str(DATA / "ali.fa")]),
                logs.append)
    assert any("stopping at --tol 1e-06)" in line for line in logs)
    assert (tight.tol_norm, tight.tol, tight.tol_objective) == ("max", 1e-6, 0.0)
    assert tight.n_iter_ > 1.5 * model.n_iter_
    assert model.loss_ == pytest.approx(tight.loss_, rel=3e-5)


def test_cli_delta_option():
    parse = build_parser().parse_args
    w = np.full(10, 0.5)
    assert _stopping_rule(parse(["--delta", "0", "a.fa"]), w)[1:3] == ("relative_l2", 0.0)
    assert _stopping_rule(parse(["--tol", "1e-4", "--delta", "1e-6", "a.fa"]), w) == (
        1e-4, "max", 1e-6, "--tol 0.0001 or --delta 1e-06")
    assert _stopping_rule(parse(["--epsilon", "1e-2", "a.fa"]), w)[0] == pytest.approx(2e-3)


def test_cli_takes_one_stopping_rule(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--tol", "1e-4", "--epsilon", "1e-3", str(DATA / "ali.fa")])
    assert exc.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_cli_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["-n", "0", str(DATA / "ali.fa")])
    assert exc.value.code == 2 and "at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["-f", "NOPE", str(DATA / "ali.fa")])
    assert exc.value.code == 2 and "No sequence name starts with the focus" in \
        capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path / "missing.fa")])
    assert "No such file" in capsys.readouterr().err


def test_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "sklearn_plm.plmc", "--help"],
                         capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert "-le" in out.stdout and "--gapignore" in out.stdout
