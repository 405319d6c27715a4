"""Synthetic and real binary data sets for associative memories."""

from ._generators import make_random_features, make_random_patterns
from ._loaders import load_binarized_digits, load_mnist_binary
from ._spin_glass import make_spin_glass

__all__ = [
    "load_binarized_digits",
    "load_mnist_binary",
    "make_random_features",
    "make_random_patterns",
    "make_spin_glass",
]
