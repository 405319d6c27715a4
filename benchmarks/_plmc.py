"""Run plmc (the C peer) on a family and read its iterations, objective, CPU and RSS.

plmc is built outside the repository (``make all-openmp32`` for float32,
``make all-openmp`` for float64) and found through ``--plmc PATH`` or the
``PLMC`` environment variable (``PLMC64`` for the float64 build).
"""

import os
import pathlib

import subprocess
import tempfile
import time

from sklearn_plm import read_plmc_params


def find_plmc(path=None, env="PLMC"):
    """The plmc binary to use, or None (then the plmc rows are skipped)."""
    path = path or os.environ.get(env)
    if path and pathlib.Path(path).is_file() and os.access(path, os.X_OK):
        return str(path)
    return None


def vm_hwm_kb(pid="self"):
    """Peak resident set size (kB) of a process's current image, from /proc."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_polled(cmd, env=None, cwd=None, interval=0.02):
    """Run ``cmd`` to its end: (exit code, rusage, wall s, peak RSS kB, output text).

    ru_maxrss of a child counts the parent's pages it had before exec; VmHWM
    belongs to the child's own image, so it is polled until the child exits.
    """
    with tempfile.TemporaryFile("w+") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        peak_kb = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, vm_hwm_kb(proc.pid))
            time.sleep(interval)
        wall = time.perf_counter() - t0
        log.seek(0)
        text = log.read()
    return os.waitstatus_to_exitcode(status), usage, wall, peak_kb, text


def write_fasta(path, X, alphabet):
    with open(path, "w") as fh:
        for k, row in enumerate(X):
            fh.write(f">s{k}\n{''.join(alphabet[c] for c in row)}\n")


def plmc_trace(text):
    """``(wall s, fx)`` of each iteration line plmc printed (7 tab-separated fields)."""
    trace = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 7 and parts[0].isdigit():
            trace.append((float(parts[1]), float(parts[3])))
    return trace


def run_plmc(binary, X, alphabet, weights, le, lh, lg=0.0, n_threads=1, max_iter=0, extra=()):
    """Fit with plmc (``extra``: more options, e.g. ``["-g"]``); returns a dict
    with ``n_iter``, ``objective`` (its last printed ``fx``), ``cpu`` (user +
    system s of the child), ``wall``, ``peak_rss_mb`` (plmc's VmHWM, polled),
    ``trace`` (``(wall s, fx)`` per iteration) and the fitted ``model``."""
    with tempfile.TemporaryDirectory() as tmp:
        ali, wfile = os.path.join(tmp, "ali.fa"), os.path.join(tmp, "w.txt")
        write_fasta(ali, X, alphabet)
        with open(wfile, "w") as fh:
            fh.writelines(f"{w:.17g}\n" for w in weights)
        params = os.path.join(tmp, "params")
        cmd = [binary, "-o", params, "-n", str(n_threads), "-le", repr(le), "-lh", repr(lh), "-lg", repr(lg),
               "-w", wfile, "-m", str(max_iter), *extra, ali]
        if alphabet != "-ACDEFGHIKLMNPQRSTVWY":
            cmd[1:1] = ["-a", alphabet]
        returncode, usage, wall, peak_kb, text = run_polled(cmd)
        if returncode != 0:
            raise RuntimeError(f"plmc failed ({returncode}):\n{text[-2000:]}")
        model = read_plmc_params(params)
    trace = plmc_trace(text)
    return {"n_iter": len(trace), "objective": trace[-1][1], "cpu": usage.ru_utime + usage.ru_stime,
            "wall": wall, "peak_rss_mb": peak_kb / 1024, "trace": trace,
            "model": model, "message": [ln for ln in text.splitlines() if ln.startswith("Gradient optimization")]}
