"""Sphinx configuration of the sklearn_plm documentation.

Build with ``python -m sphinx -W -b html doc doc/_build/html``. Set
``SKLEARN_PLM_DOCS_FAST=1`` to render the slowest gallery examples without
running them (their code is shown, their figures are not), or pass
``-D plot_gallery=0`` to run none of them.
"""

import os
import re
import sys
from pathlib import Path

import sklearn_plm

DOC = Path(__file__).parent
sys.path.insert(0, str(DOC / "sphinxext"))

from api_reference import write_api_reference  # noqa: E402

project = "sklearn_plm"
author = "The sklearn_plm developers"
copyright = "2025, The sklearn_plm developers"
release = sklearn_plm.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

# MathJax from the local sphinx-mathjax-offline package: the pages render
# formulas without reaching a CDN. The extension's module name has hyphens, so
# it is added only when it is installed.
try:
    import importlib.util

    if importlib.util.find_spec("sphinx-mathjax-offline") is not None:
        extensions.append("sphinx-mathjax-offline")
except ValueError:
    pass

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_templates", "sphinxext", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]
default_role = "literal"
pygments_style = "sphinx"
suppress_warnings = ["config.cache"]
toc_object_entries_show_parents = "hide"

# -- API reference ------------------------------------------------------------
# doc/api.rst lists whatever the subpackages export in __all__, so a new public
# estimator or function shows up without editing the docs.
write_api_reference(DOC / "api.rst")

autosummary_generate = True
autodoc_default_options = {"inherited-members": True, "members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- MyST (Markdown pages written alongside the code) --------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- Gallery ------------------------------------------------------------------
# Estimators' HTML reprs in the gallery pages (auto_examples/) link to their API
# pages (generated/), one folder up.
os.environ.setdefault("SKLEARN_PLM_DOCS_URL", "..")

# Examples that take more than a few seconds. SKLEARN_PLM_DOCS_FAST=1 shows their
# code without running them, for quick builds (e.g. in CI).
SLOW_EXAMPLES = ["plot_basins", "plot_grid_search", "plot_ww_domain"]


def _unrunnable_examples():
    """Examples whose optional dependencies are missing: shown, not run."""
    import importlib.util

    import sklearn_plm.datasets

    skip = []
    if importlib.util.find_spec("distributed") is None:
        skip.append("plot_dask")
    if (importlib.util.find_spec("logomaker") is None
            or not hasattr(sklearn_plm, "PottsPseudoLikelihoodMemory")
            or not hasattr(sklearn_plm.datasets, "load_ww_domain")):
        skip.append("plot_ww_domain")
    return skip


not_run = _unrunnable_examples()
if os.environ.get("SKLEARN_PLM_DOCS_FAST", "0") not in ("", "0"):
    not_run += SLOW_EXAMPLES
if not_run:
    print("sklearn_plm docs: not running " + ", ".join(sorted(set(not_run))))
    names = "|".join(sorted({name[len("plot_"):] for name in not_run}))
    filename_pattern = r"/plot_(?!(" + names + r")\.py)"
else:
    filename_pattern = r"/plot_"

sphinx_gallery_conf = {
    "examples_dirs": str(DOC.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": filename_pattern,
    "doc_module": ("sklearn_plm",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sklearn_plm": None},
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "show_memory": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": False,
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "sklearn_plm"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 5,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # examples get the full width for code and figures
    "secondary_sidebar_items": {
        pattern: ["page-toc"]
        for pattern in ["index", "getting_started", "user_guide/*", "api", "generated/*",
                        "experiments", "benchmarks", "changelog"]
    } | {"auto_examples/*": []},
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "getting_started": [], "changelog": []}
html_show_sourcelink = False
html_last_updated_fmt = None


# -- Docstring clean-up ----------------------------------------------------------
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")
# "(n_features_in_,)" in a type spec: a bare name ending in "_" is a reST reference
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?=[,)])")


def _clean_docstring(app, what, name, obj, options, lines):
    """Make docstrings render offline without broken references.

    Methods inherited from scikit-learn (``set_output``, ``set_*_request``, ...)
    point to labels and glossary terms of scikit-learn's own documentation, which
    is not linked here (no intersphinx offline): render them as plain text.
    Shapes such as ``(n_features_in_,)`` in parameter types are wrapped in
    literals, as scikit-learn writes them.
    """
    module = getattr(obj, "__module__", None) or ""
    for k, line in enumerate(lines):
        if not module.startswith("sklearn_plm"):
            line = _SKLEARN_ROLE.sub(lambda m: m.group(1) or "", line)
        if " : " in line or line.lstrip().startswith(("ndarray", "array-like")):
            line = _TRAILING_UNDERSCORE.sub(r"``\1``", line)
        lines[k] = line


# -- Links to other projects' documentation ---------------------------------------
# intersphinx needs the network at build time; the API pages of these projects
# have stable addresses, so references to them are linked directly instead.
EXTERNAL_API = {
    "sklearn": "https://scikit-learn.org/stable/modules/generated/{}.html",
    "joblib": "https://joblib.readthedocs.io/en/stable/generated/{}.html",
    "scipy": "https://docs.scipy.org/doc/scipy/reference/generated/{}.html",
    "numpy": "https://numpy.org/doc/stable/reference/generated/{}.html",
}


def _link_external(app, env, node, contnode):
    from docutils import nodes

    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or "." not in target:
        return None
    url = EXTERNAL_API.get(target.split(".")[0])
    if url is None:
        return None
    ref = nodes.reference("", "", internal=False, refuri=url.format(target),
                          reftitle=f"(in {target.split('.')[0]})")
    ref.append(contnode)
    return ref


def _skip_tuple_plumbing(app, what, name, obj, skip, options):
    """Leave out the field aliases and tuple methods of named tuples (RecallResult)."""
    if type(obj).__name__ == "_tuplegetter":
        return True
    if name in ("count", "index") and getattr(obj, "__objclass__", None) is tuple:
        return True
    return None


def setup(app):
    # before numpydoc (priority 500) parses the sections
    app.connect("autodoc-process-docstring", _clean_docstring, priority=400)
    app.connect("missing-reference", _link_external)
    app.connect("autodoc-skip-member", _skip_tuple_plumbing)
