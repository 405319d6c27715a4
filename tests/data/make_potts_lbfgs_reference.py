"""Regenerate the Potts L-BFGS reference fits: python tests/data/make_potts_lbfgs_reference.py

Couplings and fields of small Potts fits by L-BFGS (packed symmetric and per-site
blocks, float64 and float32 data), saved by the code before the solver reused its
arrays. tests/test_potts_objective.py checks that the fits still give them, so a
change to the solver's memory handling cannot change a fit unnoticed.
"""

from pathlib import Path

import numpy as np

from sklearn_plm import PottsPseudoLikelihoodMemory

HERE = Path(__file__).parent

#: name -> (estimator parameters, data dtype)
CASES = {
    "sym64": (dict(alpha=0.02, symmetric=True, penalty_scale="sum", alpha_fields=0.01,
                   max_iter=40, tol=1e-9), np.float64),
    "sym32": (dict(alpha=0.02, symmetric=True, penalty_scale="sum", alpha_fields=0.01,
                   max_iter=40, tol=1e-9), np.float32),
    "asym64": (dict(alpha=0.02, max_iter=40, tol=1e-9), np.float64),
}


def data():
    """Codes (200, 16) over 4 states with correlated neighbours, and weights."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, size=(200, 16))
    X[:, 1::2] = np.where(rng.random((200, 8)) < 0.7, X[:, 0::2], X[:, 1::2])
    return X, rng.random(200) + 0.5


def fit(name):
    params, dtype = CASES[name]
    X, w = data()
    return PottsPseudoLikelihoodMemory(**params).fit(X.astype(dtype), sample_weight=w)


def main():
    out = {}
    for name in CASES:
        est = fit(name)
        out[f"{name}_coupling"], out[f"{name}_fields"] = est.coupling_, est.fields_
        out[f"{name}_loss"] = np.array(est.loss_)
    np.savez_compressed(HERE / "potts_lbfgs_reference.npz", **out)


if __name__ == "__main__":
    main()
