"""The benchmark suite runs end to end and writes its table (no timing is asserted)."""

import re
import subprocess
import sys
from pathlib import Path

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
