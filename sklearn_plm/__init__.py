"""Pseudo-likelihood associative memories with a scikit-learn API."""

from ._hopfield import HopfieldMemory
from ._imputer import PseudoLikelihoodImputer
from ._potts import PottsPseudoLikelihoodMemory
from ._pseudolikelihood import PseudoLikelihoodMemory
from ._recall import RecallResult
from ._version import __version__

__all__ = [
    "HopfieldMemory",
    "PottsPseudoLikelihoodMemory",
    "PseudoLikelihoodImputer",
    "PseudoLikelihoodMemory",
    "RecallResult",
    "__version__",
]
