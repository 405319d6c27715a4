"""Shared helpers of the experiments: configurations, output files, tables, plots."""

import csv
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

from ..metrics import overlap

#: Keys every experiment accepts besides its own.
COMMON_DEFAULTS = {"seed": 0, "n_jobs": 1, "verbose": True}


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


def child_seeds(seed, n):
    """``n`` independent integer seeds drawn up front from ``seed``."""
    return np.random.RandomState(seed).randint(0, 2**31 - 1, size=n)


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


def corrupt(X, m_in, rng):
    """Flip exactly ``floor(N (1 - m_in) / 2)`` random spins of each row of +/-1 data."""
    n_samples, n_features = X.shape
    k = int(np.floor(n_features * (1.0 - m_in) / 2.0 + 1e-9))
    ranks = np.argsort(np.argsort(rng.random_sample(X.shape), axis=1), axis=1)
    return np.where(ranks < k, -X, X)


# ----------------------------------------------------------------- output


def prepare_out(out):
    """The output folder as a Path (created), or None to write nothing."""
    if out is None:
        return None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


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
    """Plain-text table. ``columns`` is a list of ``(key, header, format)``."""
    cells = [[header for _, header, _ in columns]]
    for row in rows:
        line = []
        for key, _, fmt in columns:
            value = row.get(key)
            if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
                line.append("-")
            elif fmt:
                line.append(format(value, fmt))
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
    results = Bunch(name=name, table=text, files=files,
                    **{k.rsplit(".", 1)[0]: rows for k, (rows, _) in csvs.items()})
    if extra:
        results.update(extra)
    return results
