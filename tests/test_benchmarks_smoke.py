"""The benchmark suite runs end to end and writes its table (no timing is asserted)."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# end-to-end runs of the benchmark scripts: seconds each (``-m "not slow"`` skips them)
pytestmark = pytest.mark.slow

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.mark.skipif(not RUN.exists(), reason="benchmarks/ is not shipped with the package")
def test_benchmark_suite_writes_a_table(tmp_path):
    out = tmp_path / "results.md"
    # --tiny: seconds-sized problems; an empty --torch-python skips pl-training
    res = subprocess.run(
        [sys.executable, str(RUN), "--tiny", "--out", str(out), "--torch-python="],
        capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    text = out.read_text()
    assert text in res.stdout
    assert "Command: `python benchmarks/run.py --tiny" in text
    assert re.search(r"load average \(1, 5, 15 min\) \(.*\) at start, \(.*\) at end", text)
    assert "BLAS: " in text and "Libraries: " in text and "numpy" in text
    rows = [line for line in text.splitlines() if re.match(r"\| [1-4][a-c]? \|", line)]
    sections = {line.split("|")[1].strip() for line in rows}
    assert sections == {"1a", "1b", "1c", "2", "3", "4"}
    assert any("skipped: torch/pl-training" in line for line in rows if "| 1a |" in line)
    # every measured row carries a median and its spread, e.g. "4.81 [4.68-4.94]"
    measured = [line for line in rows if "| 1b |" in line or "| 1c |" in line or "| 2 |" in line]
    assert measured and all(re.search(r"\| [0-9.e+-]+ \[[0-9.e+-]+-[0-9.e+-]+\] \|", line)
                            for line in measured)


POTTS = RUN.parent / "bench_potts.py"


@pytest.mark.skipif(not POTTS.exists(), reason="benchmarks/ is not shipped with the package")
def test_plmc_rows_are_skipped_with_a_note_without_plmc(tmp_path):
    import os

    env = dict(os.environ, PLMC="", PLMC64="", PYTHONPATH=str(RUN.parents[1]))
    res = subprocess.run(
        [sys.executable, str(POTTS), "--plmc-only", "--plmc", str(tmp_path / "no-plmc")],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "plmc rows skipped: no plmc binary" in res.stdout


CONTACTS = RUN.parent / "bench_contacts.py"
FAMILIES = RUN.parents[1].parent / "shared" / "data" / "families"


@pytest.mark.skipif(not CONTACTS.exists(), reason="benchmarks/ is not shipped with the package")
@pytest.mark.skipif(not (FAMILIES / "PF00014").is_dir(), reason="../shared/data/families absent")
def test_contacts_benchmark_compares_saved_rankings(tmp_path):
    import os

    import numpy as np

    from sklearn_plm.datasets import read_contact_distances

    D = read_contact_distances(FAMILIES / "PF00014" / "PF00014_struct.dat", n_columns=53)
    closeness = -np.nan_to_num(D, nan=99.0)
    noise = np.random.default_rng(0).random((53, 53))
    np.save(tmp_path / "PF00014_lib-converged.npy", closeness)
    np.save(tmp_path / "PF00014_same.npy", 2.0 * closeness + 1.0)  # same ranking
    np.save(tmp_path / "PF00014_noise.npy", noise + noise.T)
    env = dict(os.environ, PYTHONPATH=str(RUN.parents[1]))
    res = subprocess.run(
        [sys.executable, str(CONTACTS), "--shared", str(tmp_path), "--families", "PF00014",
         "--data", str(FAMILIES)], capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = {line.split("|")[2].strip(): [float(v) for v in line.split("|")[3:7]]
            for line in res.stdout.splitlines() if line.startswith("| PF00014 |")}
    assert rows["same"] == [1.0, 1.0, 1.0, 1.0]
    assert max(rows["noise"]) < 0.5


@pytest.mark.skipif(not (RUN.parent / "bench_plmc_cli.py").exists(),
                    reason="benchmarks/ is not shipped with the package")
def test_plmc_cli_benchmark_evaluates_plmcs_parameters_in_float64(tmp_path, monkeypatch):
    # plmc's -g -f fixture: its written parameters give plmc's printed objective
    # when read back with plmc's weights and the same options
    from sklearn_plm.plmc import main

    monkeypatch.syspath_prepend(str(RUN.parent))
    import bench_plmc_cli

    data = Path(__file__).parent / "data" / "plmc"
    options = ["-f", "FOCUS", "-g", "-le", "2.0", "-lh", "0.01", "-t", "0.2"]
    assert bench_plmc_cli._model_options(options) == ("FOCUS", "missing",
                                                      "-ACDEFGHIKLMNPQRSTVWY")
    weights = tmp_path / "w.txt"
    main([*options, "-n", "1", "-q", "-o", str(tmp_path / "m.params"), "--save-weights",
          str(weights), str(data / "ali.fa")])
    fx = bench_plmc_cli.plmc_trace((data / "gap.log").read_text())[-1][1]
    f, = bench_plmc_cli.objectives_of([data / "gap.params"], data / "ali.fa", weights, options)
    assert f == pytest.approx(fx, abs=0.1)
    # the other model (gaps as a state) is another objective
    other, = bench_plmc_cli.objectives_of([data / "focus.params"], data / "ali.fa", weights,
                                          options[:2] + options[3:])
    assert abs(other - fx) > 1.0


@pytest.mark.skipif(not (RUN.parent / "tune_plmc_delta.py").exists(),
                    reason="benchmarks/ is not shipped with the package")
def test_delta_tuning_finds_where_the_window_test_stops(monkeypatch):
    # the window test as the solver runs it: (f_{k-10} - f_k) / max(|f_k|, 1) < delta
    monkeypatch.syspath_prepend(str(RUN.parent))
    import tune_plmc_delta

    f = 1000.0 + 100.0 * 0.8 ** np.arange(60)
    trajectory = [(k + 1, float(v), 0.5 * (k + 1)) for k, v in enumerate(f)]
    stop = tune_plmc_delta.window_stop(trajectory, 1e-3)
    k = next(i for i in range(10, 60) if (f[i - 10] - f[i]) / f[i] < 1e-3)
    assert stop == trajectory[k] and 10 < k < 59
    assert tune_plmc_delta.window_stop(trajectory, 1e-12) is None
