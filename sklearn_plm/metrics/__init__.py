"""Retrieval metrics of associative memories and a completion scorer."""

from ._memory import asymmetry, basin_size, fixed_point_fraction, overlap, stabilities
from ._scorer import make_completion_scorer

__all__ = [
    "asymmetry",
    "basin_size",
    "fixed_point_fraction",
    "make_completion_scorer",
    "overlap",
    "stabilities",
]
