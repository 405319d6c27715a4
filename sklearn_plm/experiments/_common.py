"""Shared helpers of the experiments: configurations, output files, tables, plots."""

import csv
import os
import time
import warnings
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

from ..metrics import overlap

#: Keys every experiment accepts besides its own. ``n_seeds`` independent
#: replicates (new patterns, data splits and corruptions each) give the error
#: bars: tables show mean +/- standard error over them.
COMMON_DEFAULTS = {"seed": 0, "n_jobs": 1, "verbose": True, "n_seeds": 3}


def resolve_config(defaults, config):
    """``defaults`` updated with ``config``; unknown keys raise a ValueError."""
    merged = {**COMMON_DEFAULTS, **defaults}
    config = dict(config or {})
    unknown = sorted(set(config) - set(merged))
    if unknown:
        raise ValueError(
            f"Unknown configuration keys {unknown}; valid keys are {sorted(merged)}.")
    merged.update(config)
    if merged["n_jobs"] is None:
        merged["n_jobs"] = 1
    return merged


def paper_figure(filename):
    """Rows (dicts of strings) of a digitized figure of the paper shipped with the package.

    The files are in ``sklearn_plm/experiments/paper_figures`` (see the
    README there): the plotted values of the paper's figures, read from the
    vector graphics of the first author's poster.
    """
    path = resources.files(__package__).joinpath("paper_figures", filename)
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def child_seeds(seed, n):
    """``n`` independent integer seeds drawn up front from ``seed``."""
    return np.random.RandomState(seed).randint(0, 2**31 - 1, size=n)


def replicate_seeds(config):
    """One seed per replicate (``config["n_seeds"]`` of them), from ``config["seed"]``."""
    n = int(config["n_seeds"])
    if n < 1:
        raise ValueError(f"n_seeds must be at least 1, got {n}.")
    return [int(s) for s in child_seeds(config["seed"], n)]


def aggregate(rows, by, values):
    """Mean and standard error over replicates of ``values``, per group of ``by`` keys.

    Returns one dict per group (in first-seen order) with the ``by`` keys,
    ``KEY`` (mean over the replicates where it is finite), ``KEY_sem``
    (standard error of that mean, NaN with one replicate), ``n_seeds``, and
    the first replicate's value of every other key.
    """
    groups = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in by), []).append(row)
    out = []
    for members in groups.values():
        merged = dict(members[0])
        for key in values:
            x = np.array([_number(r.get(key)) for r in members], dtype=float)
            x = x[np.isfinite(x)]
            merged[key] = float(x.mean()) if x.size else float("nan")
            merged[f"{key}_sem"] = (float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1
                                   else float("nan"))
        merged["n_seeds"] = len(members)
        merged.pop("seed", None)
        out.append(merged)
    return out


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def errorbar(ax, x, rows, key, fmt, **kwargs):
    """Plot ``rows[key]`` against ``x`` with ``rows[key_sem]`` as error bars."""
    y = np.array([_number(r.get(key)) for r in rows])
    err = np.array([_number(r.get(f"{key}_sem")) for r in rows])
    err = np.where(np.isfinite(err), err, 0.0)
    return ax.errorbar(x, y, yerr=err, fmt=fmt, capsize=2.5, **kwargs)


class Logger:
    """Prints progress lines with the elapsed time when ``verbose``."""

    def __init__(self, name, verbose):
        self.name = name
        self.verbose = verbose
        self.t0 = time.perf_counter()

    def __call__(self, message):
        if self.verbose:
            print(f"[{self.name} {time.perf_counter() - self.t0:7.1f}s] {message}", flush=True)


@contextmanager
def compute_context(n_jobs):
    """BLAS threads limited to ``n_jobs`` and expected solver warnings silenced.

    Experiments fit many models on purpose beyond convergence limits (e.g. a
    perceptron past its capacity); their warnings would drown the tables.
    """
    with threadpool_limits(limits=max(1, int(n_jobs)), user_api="blas"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def recall_overlap(estimator, X_start, X_ref=None):
    """Overlap of each recalled state with ``X_ref`` (default: its own start)."""
    X_ref = X_start if X_ref is None else X_ref
    return overlap(X_ref, estimator.transform(X_start))


def mean_recall_overlaps(estimator, **starts):
    """``{name: mean overlap of the recalled states with their start}`` for each set of starts."""
    return {name: float(recall_overlap(estimator, X).mean()) for name, X in starts.items()}


def corrupt(X, m_in, rng):
    """Flip exactly ``floor(N (1 - m_in) / 2)`` random spins of each row of +/-1 data."""
    n_samples, n_features = X.shape
    k = int(np.floor(n_features * (1.0 - m_in) / 2.0 + 1e-9))
    ranks = np.argsort(np.argsort(rng.random_sample(X.shape), axis=1), axis=1)
    return np.where(ranks < k, -X, X)


#: Verdict of a claim -> its word in the tables.
VERDICTS = {True: "shown", False: "NOT shown", None: "not covered at this size"}


class ClaimsTable(str):
    """The text of a claims table that also carries its claims (``.claims``).

    :func:`finish` collects the claims of every such table into the results'
    ``claims``, so the summary of ``python -m sklearn_plm.experiments all``
    reads the claims of any experiment that prints them with
    :func:`claims_table`.
    """

    claims = ()


def claims_table(claims, title="Claims of the paper at this size"):
    """Table of ``(claim, verdict, evidence[, paper])``: verdict True, False or None.

    Each experiment checks its claims on its own numbers, so a run that is
    too small to show one says so instead of appearing to contradict it.
    ``paper`` (optional) is the paper's own number for the claim, printed
    beside our evidence. Returns a :class:`ClaimsTable`: the text, with the
    claims as dicts (``claim``, ``verdict``, ``shown``, ``evidence``,
    ``paper``) in ``.claims``.
    """
    rows = []
    for item in claims:
        claim, verdict, evidence = item[:3]
        paper = item[3] if len(item) > 3 else None
        rows.append({"claim": claim, "verdict": VERDICTS[verdict], "shown": verdict,
                     "evidence": evidence, "paper": paper})
    columns = [("verdict", "verdict", ""), ("claim", "claim", ""), ("evidence", "evidence", "")]
    if any(r["paper"] is not None for r in rows):
        columns.append(("paper", "paper", ""))
    table = ClaimsTable(format_table(rows, columns, title))
    table.claims = tuple(rows)
    return table


def differs(a, b, key, n_sigma=2.0):
    """``a[key] - b[key]`` in units of their combined standard error (inf if both are exact)."""
    err = np.hypot(np.nan_to_num(_number(a.get(f"{key}_sem"))),
                   np.nan_to_num(_number(b.get(f"{key}_sem"))))
    diff = a[key] - b[key]
    if err == 0:
        return np.inf if diff > 0 else (-np.inf if diff < 0 else 0.0)
    return diff / err


# ----------------------------------------------------------------- output


def prepare_out(out):
    """The output folder as a Path, created and checked writable; None writes nothing.

    Raises an OSError saying which folder cannot be written, before any
    computation starts.
    """
    if out is None:
        return None
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise OSError(f"Cannot write the results to {out}: {exc}. Choose another folder "
                      "with --out (or out=...).") from exc
    return out


class RowWriter:
    """Rows of a CSV file, written to disk as each one is produced.

    The file is rewritten after every row (columns in first-seen order), so
    an error or an interrupt later in a run loses nothing already measured.
    """

    def __init__(self, out, filename):
        out = prepare_out(out)
        self.path = None if out is None else out / filename
        self.rows = []

    def add(self, row):
        self.rows.append(row)
        if self.path is not None:
            write_csv(self.path, self.rows)
        return row


def write_csv(path, rows, columns=None):
    """Write a list of dicts as CSV (columns: the given order, else first-seen order)."""
    if columns is None:
        columns = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k)) for k in columns})
    return Path(path)


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else repr(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return value


def format_table(rows, columns, title=None):
    """Plain-text table. ``columns`` is a list of ``(key, header, format)``.

    A value with a finite ``KEY_sem`` entry in its row prints as
    ``mean+-sem`` (see :func:`aggregate`).
    """
    cells = [[header for _, header, _ in columns]]
    for row in rows:
        line = []
        for key, _, fmt in columns:
            value = row.get(key)
            sem = _number(row.get(f"{key}_sem"))
            if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
                line.append("-")
            elif fmt:
                text = format(value, fmt)
                if np.isfinite(sem):
                    text += "+-" + format(sem, fmt)
                line.append(text)
            else:
                line.append(str(value))
        cells.append(line)
    widths = [max(len(r[k]) for r in cells) for k in range(len(columns))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if title:
        lines.insert(0, title)
    return "\n".join(lines)


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend, or None if not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path):
    fig.savefig(path, dpi=120, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return Path(path)


def finish(name, out, tables, csvs, plot, log, extra=None):
    """Write CSVs and the plot to ``out``, print the tables, return the results Bunch.

    The results' ``claims`` are those of the :class:`ClaimsTable` entries of
    ``tables`` (see :func:`claims_table`), in order.

    Parameters
    ----------
    csvs : dict
        File name -> (rows, columns or None).
    plot : callable
        ``plot(plt) -> figure``, called only when matplotlib is installed.
    """
    out = prepare_out(out)
    files = []
    if out is not None:
        for filename, (rows, columns) in csvs.items():
            files.append(write_csv(out / filename, rows, columns))
        plt = pyplot()
        if plt is None:
            log("matplotlib is not installed: wrote the CSV files and skipped the plot "
                "(pip install matplotlib, or the 'plot' extra).")
        else:
            files.append(save_figure(plot(plt), out / f"{name}.png"))
        (out / f"{name}.txt").write_text("\n\n".join(tables) + "\n")
        files.append(out / f"{name}.txt")
    text = "\n\n".join(tables)
    if log.verbose:
        print("\n" + text + "\n", flush=True)
        if out is not None:
            print(f"wrote {', '.join(str(f) for f in files)}", flush=True)
    claims = [c for table in tables for c in getattr(table, "claims", ())]
    results = Bunch(name=name, table=text, files=files, claims=claims,
                    **{k.rsplit(".", 1)[0]: rows for k, (rows, _) in csvs.items()})
    if extra:
        results.update(extra)
    return results
