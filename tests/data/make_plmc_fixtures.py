"""Regenerate the plmc fixtures: python tests/data/make_plmc_fixtures.py PLMC_BINARY

Writes a small synthetic protein alignment (numpy only, seeded) to
``plmc/ali.fa`` and runs plmc on it three times: in focus mode, in focus +
gap-reduced mode (``-g``) and with group L1 (``-lg``), keeping its parameter file (``-o``), couplings
file (``-c``) and log (stderr, with the objective ``fx`` per iteration)::

    plmc -f FOCUS -le 2.0 -lh 0.01 -t 0.2 -n 1 -o focus.params -c focus.couplings ali.fa
    plmc -f FOCUS -g -le 2.0 -lh 0.01 -t 0.2 -n 1 -o gap.params -c gap.couplings ali.fa
    plmc -f FOCUS -le 2.0 -lh 0.01 -lg 5.0 -t 0.2 -n 1 -o group.params -c group.couplings ali.fa

plmc is not part of this repository: build it from its sources
(https://github.com/debbiemarkslab/plmc) outside the repository with
``make all-openmp`` (float64, used for the committed files) or
``make all-openmp32`` (float32).
"""

import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent / "plmc"
AMINO = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
RUNS = {
    "focus": ["-f", "FOCUS", "-le", "2.0", "-lh", "0.01", "-t", "0.2", "-n", "1"],
    "gap": ["-f", "FOCUS", "-g", "-le", "2.0", "-lh", "0.01", "-t", "0.2", "-n", "1"],
    "group": ["-f", "FOCUS", "-le", "2.0", "-lh", "0.01", "-lg", "5.0", "-t", "0.2", "-n", "1"],
}


def make_alignment(n_seq=400, n_match=10, seed=0):
    """Rows of 10 match columns (upper case, '-') and 2 insert columns (lower case, '.').

    Sequences descend from 12 templates with 30 % mutations; match columns
    1 and 5 co-vary; 8 % of the match entries are gaps. Row 3 is the focus
    ``FOCUS/20-31``, with gaps in match columns 2 and 7.
    """
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 20, size=(12, n_match))
    rows = templates[rng.integers(0, 12, size=n_seq)]
    mutate = rng.random(rows.shape) < 0.3
    rows = np.where(mutate, rng.integers(0, 20, size=rows.shape), rows)
    partner = rng.permutation(20)
    tied = rng.random(n_seq) < 0.7
    rows[tied, 5] = partner[rows[tied, 1]]
    text = AMINO[rows].astype("<U1")
    text[rng.random(rows.shape) < 0.08] = "-"
    text[3, [2, 7]] = "-"
    lines = []
    for s in range(n_seq):
        inserts = [rng.choice(list("acdefg..")) for _ in range(2)]
        row = list(text[s, :4]) + [inserts[0]] + list(text[s, 4:8]) + [inserts[1]] \
            + list(text[s, 8:])
        name = "FOCUS/20-31" if s == 3 else f"S{s}/1-12"
        lines.append(f">{name}\n{''.join(row)}\n")
    return "".join(lines)


def main(plmc):
    HERE.mkdir(exist_ok=True)
    (HERE / "ali.fa").write_text(make_alignment())
    for name, options in RUNS.items():
        cmd = [plmc, *options, "-o", f"{name}.params", "-c", f"{name}.couplings", "ali.fa"]
        run = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, check=True)
        (HERE / f"{name}.log").write_text(" ".join(["plmc", *cmd[1:]]) + "\n" + run.stderr)
        print(f"{name}: {run.stderr.splitlines()[-1]}")


if __name__ == "__main__":
    main(sys.argv[1])
