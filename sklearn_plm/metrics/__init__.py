"""Retrieval metrics of associative memories, graph recovery, contact precision and scorers."""

from ._contacts import contact_precision, make_contact_scorer
from ._graph import coupling_graph, edge_precision_recall
from ._memory import asymmetry, basin_size, fixed_point_fraction, overlap, stabilities
from ._scorer import make_completion_scorer

__all__ = [
    "asymmetry",
    "basin_size",
    "contact_precision",
    "coupling_graph",
    "edge_precision_recall",
    "fixed_point_fraction",
    "make_completion_scorer",
    "make_contact_scorer",
    "overlap",
    "stabilities",
]
