"""The AVX2/FMA build of the Potts kernels against the baseline build, same run.

    PYTHONPATH=. python benchmarks/bench_potts_simd.py [--repeats R]

One symmetric loss+gradient evaluation (``PackedSymmetricPotts.value_grad``,
one thread, BLAS pinned to one thread) on the WW domain (needs
``pip install --no-deps logomaker``) and on a synthetic family of N = 120
columns, P = 3000 sequences, q = 21 (a chain where each column copies its left
neighbour with probability 0.6), float32 and float64. The two builds are timed
alternately; the table gives median process CPU ms and the ratio of medians,
and the relative differences of loss and gradient between the builds.
"""

import argparse
import importlib
import time

import numpy as np
from threadpoolctl import threadpool_limits

import sklearn_plm._potts_objective as potts_objective
from sklearn_plm._potts_objective import PackedSymmetricPotts, PottsPseudoLikelihood


def _families(rng):
    P, N, q = 3000, 120, 21
    chain = np.empty((P, N), np.int32)
    chain[:, 0] = rng.integers(0, q, P)
    for j in range(1, N):
        keep = rng.random(P) < 0.6
        chain[:, j] = np.where(keep, chain[:, j - 1], rng.integers(0, q, P))
    out = []
    try:
        from sklearn_plm.datasets import load_ww_domain
        out.append(("ww", load_ww_domain().data.astype(np.int32)))
    except ImportError as exc:
        print(f"ww skipped: {exc}")
    out.append(("chain N=120 P=3000", chain))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        avx2 = importlib.import_module("sklearn_plm._potts_fast_avx2")
    except ImportError:
        print("the AVX2 build is absent (not x86_64 gcc/clang): nothing to compare")
        return
    builds = {"baseline": importlib.import_module("sklearn_plm._potts_fast"), "avx2": avx2}
    rng = np.random.default_rng(0)
    print("| family | dtype | baseline ms | avx2 ms | baseline / avx2 | loss rel. diff "
          "| grad max rel. diff |\n|---|---|---|---|---|---|---|")
    for name, codes in _families(rng):
        for dtype in (np.float32, np.float64):
            datafit = PottsPseudoLikelihood(21).initialize(codes, np.ones(len(codes)), dtype)
            sym = PackedSymmetricPotts(datafit)
            x = rng.normal(scale=0.05, size=(1, sym.n_params))
            times = {b: [] for b in builds}
            res = {}
            with threadpool_limits(1):
                for _ in range(args.repeats):
                    for b, module in builds.items():
                        potts_objective.potts_gather_value_grad = module.potts_gather_value_grad
                        t0 = time.process_time()
                        res[b] = sym.value_grad(x, 0, 1, 1)
                        times[b].append(time.process_time() - t0)
            med = {b: 1e3 * np.median(t) for b, t in times.items()}
            (l0, g0), (l1, g1) = res["baseline"], res["avx2"]
            print(f"| {name} | {np.dtype(dtype).name} | {med['baseline']:.1f} | {med['avx2']:.1f} "
                  f"| {med['baseline'] / med['avx2']:.2f} | {abs(l1 - l0) / abs(l0):.1e} "
                  f"| {np.abs(g1 - g0).max() / np.abs(g0).max():.1e} |", flush=True)
    potts_objective.potts_gather_value_grad = importlib.import_module(
        "sklearn_plm._potts_dispatch").potts_gather_value_grad


if __name__ == "__main__":
    main()
