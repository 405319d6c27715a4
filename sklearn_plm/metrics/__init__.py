"""Retrieval metrics of associative memories, a completion scorer and graph recovery."""

from ._graph import coupling_graph, edge_precision_recall
from ._memory import asymmetry, basin_size, fixed_point_fraction, overlap, stabilities
from ._scorer import make_completion_scorer

__all__ = [
    "asymmetry",
    "basin_size",
    "coupling_graph",
    "edge_precision_recall",
    "fixed_point_fraction",
    "make_completion_scorer",
    "overlap",
    "stabilities",
]
