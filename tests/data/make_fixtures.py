"""Regenerate the saved-model fixtures: python tests/data/make_fixtures.py

Each fixture pickles a fitted estimator together with probe inputs and the
outputs it gave when saved, so later versions can check that old models
keep loading and answering the same.

Run it with numpy 1.x (the minimum-versions environment of ``.ci/run``):
numpy 2 reads pickles written by numpy 1, but numpy 1 cannot read numpy 2's
(``No module named 'numpy._core'``).
"""

import pickle
from pathlib import Path

import numpy as np

import sklearn_plm
from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory

HERE = Path(__file__).parent


def main():
    if int(np.__version__.split(".")[0]) >= 2:
        raise SystemExit("write the fixtures with numpy 1.x, so that numpy 1 and 2 both read them")
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(12, 40))
    probes = np.where(rng.random(X.shape) < 0.15, -X, X)
    probes[:3, :10] = np.nan
    for name, est in [
        ("pseudolikelihood_memory", PseudoLikelihoodMemory(alpha=1e-3, fit_fields=True)),
        ("hopfield_memory", HopfieldMemory(rule="storkey")),
    ]:
        est.fit(X)
        payload = {
            "estimator": est,
            "probes": probes,
            "transform": est.transform(probes),
            "score_samples": est.score_samples(X),
            "X": X,
        }
        path = HERE / f"{name}_v{sklearn_plm.__version__}.pkl"
        with open(path, "wb") as f:
            pickle.dump(payload, f, protocol=4)
        print("wrote", path)


if __name__ == "__main__":
    main()
