"""Reproductions of the experiments of D'Amico et al. (2025).

Run them from the command line, ``python -m sklearn_plm.experiments NAME``
(``--help`` lists them), or call ``run(config)`` of a module of
:data:`EXPERIMENTS` with a dict overriding its ``QUICK`` configuration.
Each writes CSV files of its raw numbers, a PNG plot (when matplotlib is
installed) and a text table to an output folder.
"""

from importlib import import_module

#: Experiment name -> module (relative to this package).
_MODULES = {
    "basins": "._basins",
    "stabilities": "._stabilities",
    "random-features": "._random_features",
    "mnist": "._mnist",
    "spin-glass": "._spin_glass",
    "proteins": "._proteins",
}

EXPERIMENTS = tuple(_MODULES)


def get_experiment(name):
    """The module of experiment ``name`` (with ``run``, ``QUICK``, ``FULL``, ``SUMMARY``)."""
    if name not in _MODULES:
        raise ValueError(f"Unknown experiment {name!r}; choose among {', '.join(EXPERIMENTS)}.")
    return import_module(_MODULES[name], __name__)


__all__ = ["EXPERIMENTS", "get_experiment"]
