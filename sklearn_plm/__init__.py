"""Pseudo-likelihood associative memories with a scikit-learn API."""

from ._binarizer import NaNBinarizer
from ._hopfield import HopfieldMemory
from ._plmc_format import (
    plmc_objective,
    read_plmc_couplings,
    read_plmc_params,
    read_plmc_weights,
    write_plmc_couplings,
    write_plmc_params,
    write_plmc_weights,
)
from ._mutation import mutation_effects
from ._potts import PottsPseudoLikelihoodMemory
from ._pseudolikelihood import PseudoLikelihoodMemory
from ._path import pseudolikelihood_path
from ._recall import RecallResult
from ._version import __version__

__all__ = [
    "HopfieldMemory",
    "NaNBinarizer",
    "PottsPseudoLikelihoodMemory",
    "PseudoLikelihoodImputer",
    "PseudoLikelihoodMemory",
    "RecallResult",
    "__version__",
    "mutation_effects",
    "plmc_objective",
    "pseudolikelihood_path",
    "read_plmc_couplings",
    "read_plmc_params",
    "read_plmc_weights",
    "write_plmc_couplings",
    "write_plmc_params",
    "write_plmc_weights",
]


def __getattr__(name):
    # The imputer stands on scikit-learn's imputers, whose import pulls in most
    # of scikit-learn (about 15 MB and a second); a fit of the other estimators
    # does not pay for it.
    if name == "PseudoLikelihoodImputer":
        from ._imputer import PseudoLikelihoodImputer

        return PseudoLikelihoodImputer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"PseudoLikelihoodImputer"})
