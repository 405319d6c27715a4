"""Timing, machine description, data and table output shared by the benchmark rows.

Every row of the table is a *ratio measured side by side in the same run*:
the two sides are timed alternately (A, B, A, B, ...) so that both see the same
machine load, and the ratio of each pair is kept. A row reports the median of
those ratios and their spread (min-max).
"""

import dataclasses
import os
import platform
import sys
import time

import numpy as np


# --------------------------------------------------------------------------- data
def random_patterns(n_samples, n_features, seed=0, dtype=np.float32):
    """Random +-1 patterns (the data of every fit row)."""
    rng = np.random.default_rng(seed)
    return (2 * rng.integers(0, 2, size=(n_samples, n_features), dtype=np.int8) - 1).astype(dtype)


def noisy_probes(X, n_probes, noise, seed=1):
    """``n_probes`` stored patterns (cycled) with exactly ``noise * N`` spins flipped."""
    rng = np.random.default_rng(seed)
    n_samples, n_features = X.shape
    idx = np.arange(n_probes) % n_samples
    probes = X[idx].copy()
    k = int(round(noise * n_features))
    flips = np.argsort(rng.random((n_probes, n_features)), axis=1)[:, :k]
    np.put_along_axis(probes, flips, -np.take_along_axis(probes, flips, axis=1), axis=1)
    return probes, idx


# --------------------------------------------------------------------------- timing
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def timed(fn, clock="cpu"):
    """(seconds, result) of one call."""
    tick = CLOCKS[clock]
    t0 = tick()
    result = fn()
    return tick() - t0, result


def per_call(fn, clock="cpu", min_time=0.0):
    """Seconds per call, looping until ``min_time`` has passed (short calls)."""
    tick = CLOCKS[clock]
    n = 0
    t0 = tick()
    while True:
        fn()
        n += 1
        elapsed = tick() - t0
        if elapsed >= min_time:
            return elapsed / n


def paired(fn_a, fn_b, repeats, clock="cpu", min_time=0.0):
    """Time ``fn_a`` and ``fn_b`` alternately; one warm-up call each first.

    Returns two arrays of ``repeats`` seconds-per-call, measured in pairs.
    """
    fn_a()
    fn_b()
    a, b = [], []
    for k in range(repeats):
        # alternate which side goes first, so neither always follows the other
        first, second = (fn_a, fn_b) if k % 2 == 0 else (fn_b, fn_a)
        t1 = per_call(first, clock, min_time)
        t2 = per_call(second, clock, min_time)
        if k % 2 == 0:
            a.append(t1)
            b.append(t2)
        else:
            a.append(t2)
            b.append(t1)
    return np.array(a), np.array(b)


# --------------------------------------------------------------------------- machine
def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        return None


def library_versions():
    import joblib
    import scipy
    import sklearn
    import threadpoolctl

    import sklearn_plm

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
        "threadpoolctl": threadpoolctl.__version__,
        "sklearn_plm": getattr(sklearn_plm, "__version__", "?"),
    }


def blas_description():
    from threadpoolctl import threadpool_info

    parts = []
    for d in threadpool_info():
        parts.append(
            f"{d.get('internal_api')} {d.get('version')} ({d.get('architecture')}, "
            f"{d.get('threading_layer', d.get('user_api'))}, {d.get('num_threads')} threads "
            f"by default) in {os.path.basename(d.get('filepath', ''))}"
        )
    return parts


# --------------------------------------------------------------------------- table
@dataclasses.dataclass
class Row:
    """One line of the results table.

    ``ratios`` are paired measurements of ``ratio`` (e.g. "reference / ours",
    so > 1 means faster); ``met`` compares their median with the target.
    """

    section: str
    case: str
    ours: str
    reference: str
    ratio: str
    ratios: list
    target: str = ""
    met: object = None  # True / False / None (no target for this row)
    note: str = ""

    def ratio_cell(self):
        r = np.asarray(self.ratios, dtype=float)
        r = r[np.isfinite(r)]
        if r.size == 0:
            return "n/a"
        if r.size == 1:
            return f"{r[0]:.3g}"
        return f"{np.median(r):.3g} [{r.min():.3g}-{r.max():.3g}]"


def median(x):
    return float(np.median(np.asarray(x, dtype=float)))


def check(ratios, op, threshold):
    """Whether the median ratio meets ``op threshold`` (op in '>=', '<=')."""
    r = np.asarray(ratios, dtype=float)
    r = r[np.isfinite(r)]
    if r.size == 0:
        return None
    m = float(np.median(r))
    return m >= threshold if op == ">=" else m <= threshold


def fmt_s(seconds):
    if seconds is None or not np.isfinite(seconds):
        return "n/a"
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def fmt_bytes(n):
    return f"{n / 2**20:.0f} MiB"


def markdown_table(rows):
    head = ["#", "benchmark", "sklearn_plm", "reference", "ratio", "median [min-max]",
            "target", "met", "notes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        met = {True: "yes", False: "**no**", None: "-"}[r.met]
        cells = [r.section, r.case, r.ours, r.reference, r.ratio, r.ratio_cell(),
                 r.target or "-", met, r.note]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def log(msg):
    print(msg, file=sys.stderr, flush=True)
