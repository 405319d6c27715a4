"""Demo: ``python -m sklearn_plm``.

Stores random patterns in a pseudo-likelihood memory and in the classical
Hopfield rules, then compares how well each one retrieves the patterns from
corrupted copies.
"""

import argparse
import time

import numpy as np

from . import HopfieldMemory, PseudoLikelihoodMemory


def _corrupt(X, fraction, rng):
    """Flip exactly round(fraction * n_features) random spins per row."""
    X = X.copy()
    k = int(round(fraction * X.shape[1]))
    idx = np.argsort(rng.random(X.shape), axis=1)[:, :k]
    np.put_along_axis(X, idx, -np.take_along_axis(X, idx, axis=1), axis=1)
    return X


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sklearn_plm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-features", type=int, default=400)
    parser.add_argument("--loads", type=float, nargs="+", default=[0.1, 0.3, 0.5, 0.8])
    parser.add_argument("--noise", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    n = args.n_features
    models = {
        "pseudo-likelihood": lambda: PseudoLikelihoodMemory(alpha=1e-3),
        "PL symmetric": lambda: PseudoLikelihoodMemory(alpha=1e-3, symmetric=True),
        "hebb": lambda: HopfieldMemory(rule="hebb"),
        "pseudo-inverse": lambda: HopfieldMemory(rule="pseudo-inverse"),
        "storkey": lambda: HopfieldMemory(rule="storkey"),
    }
    print(f"Random +/-1 patterns, N = {n}. Mean final overlap with the stored pattern")
    print("after zero-temperature recall from copies with a fraction of spins flipped.\n")
    header = f"{'load P/N':>8}  {'rule':<18} {'fit s':>6}  {'fixed pts':>9}  " + "  ".join(
        f"{'noise ' + format(f, '.0%'):>10}" for f in args.noise)
    print(header)
    print("-" * len(header))
    for load in args.loads:
        X = rng.choice([-1.0, 1.0], size=(max(1, int(round(load * n))), n))
        noisy = [_corrupt(X, f, rng) for f in args.noise]
        for name, make in models.items():
            t0 = time.perf_counter()
            est = make().fit(X)
            fit_time = time.perf_counter() - t0
            fixed = np.mean(np.all(est.transform(X) == X, axis=1))
            overlaps = [np.mean(est.transform(Xn) * X) for Xn in noisy]
            print(f"{load:8.2f}  {name:<18} {fit_time:6.2f}  {fixed:9.2f}  "
                  + "  ".join(f"{m:10.3f}" for m in overlaps))
        print()
    print("Pseudo-likelihood keeps every pattern a fixed point with wide basins far beyond")
    print("the Hebb rule's capacity (P/N ~ 0.14); see `python -m sklearn_plm.experiments`.")


if __name__ == "__main__":
    main()
