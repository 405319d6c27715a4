"""The plmc-style command line: alignment -> weights -> fit -> plmc's files."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_plm import read_plmc_couplings, read_plmc_params
from sklearn_plm.plmc import main

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
