"""Synthetic and real data sets for associative memories (binary and categorical)."""

from ._alignment import (
    PROTEIN_ALPHABET,
    decode_sequence,
    load_ww_domain,
    read_alignment,
    sequence_weights,
)
from ._families import PROTEIN_FAMILIES, fetch_protein_family
from ._generators import make_random_features, make_random_patterns
from ._loaders import load_binarized_digits, load_mnist_binary
from ._spin_glass import make_spin_glass
from ._structure import read_contact_distances

__all__ = [
    "PROTEIN_ALPHABET",
    "PROTEIN_FAMILIES",
    "decode_sequence",
    "fetch_protein_family",
    "load_binarized_digits",
    "load_mnist_binary",
    "load_ww_domain",
    "make_random_features",
    "make_random_patterns",
    "make_spin_glass",
    "read_alignment",
    "read_contact_distances",
    "sequence_weights",
]
