"""Sphinx configuration of the sklearn-wavefront documentation site.

Build it with ``make docs`` (installs the ``docs`` extra into ``.venv`` and runs
``sphinx -W --keep-going``: every warning is an error). The gallery in ``examples/`` is executed
at build time.

Cross-links to scikit-learn, PyTorch, skorch and aeon (intersphinx)
-------------------------------------------------------------------
Intersphinx downloads each project's ``objects.inv`` at build time, and the build machines of
this project have no internet: a failed download is a warning, and warnings are errors. So:

* ``SPHINX_OFFLINE=1`` (the default of ``make docs``): only the projects whose inventory is cached
  in ``doc/_inventories/<name>.inv`` are linked (none is committed; the links then render as plain
  code, which is not a warning). Nothing is downloaded and nothing waits on a timeout.
* ``SPHINX_OFFLINE=0`` (``make docs SPHINX_OFFLINE=0``, on a machine with internet): every
  project is linked; a cached inventory is used first, the project's site otherwise.

To cache an inventory for offline builds, save ``<url>/objects.inv`` (for the URLs below) as
``doc/_inventories/<name>.inv``.
"""

import os
import re
import warnings
from pathlib import Path

import sklearn_wavefront

HERE = Path(__file__).resolve().parent

project = "sklearn-wavefront"
author = "the sklearn_wavefront developers"
copyright = "2026, the sklearn_wavefront developers"
release = sklearn_wavefront.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "_inventories", "**/*.ipynb", "sg_execution_times.rst"]
templates_path = ["_templates"]
# The theme of scikit-learn and imbalanced-learn (the ``docs`` extra installs it).
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-wavefront {release}"
html_static_path = ["_static"]  # _static/results/*.png: benchmarks/plot_results.py's figures
html_css_files = ["custom.css"]
html_theme_options = {
    "logo": {"text": "sklearn-wavefront"},
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    # the result tables of "How well it works" need the page's whole width: no right-hand sidebar there
    "secondary_sidebar_items": {"**": ["page-toc"], "how_well_it_works": []},
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"how_well_it_works": []}
default_role = "literal"

# -- API reference ----------------------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
autodoc_typehints = "none"  # the numpydoc sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- intersphinx (see the module docstring) ---------------------------------------------------------
_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "sklearn": "https://scikit-learn.org/stable",
    "torch": "https://docs.pytorch.org/docs/stable",
    "skorch": "https://skorch.readthedocs.io/en/stable",
    "aeon": "https://www.aeon-toolkit.org/en/stable",
    "dask": "https://docs.dask.org/en/stable",
    "distributed": "https://distributed.dask.org/en/stable",
}
OFFLINE = os.environ.get("SPHINX_OFFLINE", "1") not in ("0", "", "false", "no")
intersphinx_mapping = {}
for _name, _url in _INVENTORIES.items():
    _cached = HERE / "_inventories" / f"{_name}.inv"
    if _cached.is_file():
        intersphinx_mapping[_name] = (_url, (str(_cached), None))
    elif not OFFLINE:
        intersphinx_mapping[_name] = (_url, None)
intersphinx_timeout = 10

# -- gallery ----------------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # every plot_*.py is executed
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sklearn_wavefront",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_wavefront": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
    "promote_jupyter_magic": False,
    "first_notebook_cell": None,
    "plot_gallery": "True",
}

# The examples run under matplotlib's non-interactive backend; keep their output quiet.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg", category=UserWarning)


# -- every public name is in the API reference ------------------------------------------------------
PUBLIC_MODULES = [
    "sklearn_wavefront",
    "sklearn_wavefront.frontends",
    "sklearn_wavefront.classifiers",
    "sklearn_wavefront.callbacks",
    "sklearn_wavefront.inspection",
    "sklearn_wavefront.sampling",
    "sklearn_wavefront.segmenting",
    "sklearn_wavefront.metrics",
    "sklearn_wavefront.datasets",
    "sklearn_wavefront.filterbanks",
    "sklearn_wavefront.networks",
    "sklearn_wavefront.ops",
    "sklearn_wavefront.cli",
    "sklearn_wavefront.exceptions",
    "sklearn_wavefront.persistence",
    "sklearn_wavefront.resampling",
    "sklearn_wavefront.temporal",
    "sklearn_wavefront.baselines",
    "sklearn_wavefront.comparison",
    "sklearn_wavefront.auto",
    "sklearn_wavefront.recipes",
    "sklearn_wavefront.registry",
    "sklearn_wavefront.training",
    "sklearn_wavefront.length_policy",
    "sklearn_wavefront.verdict",
    "sklearn_wavefront.report",
]


def _check_api_coverage(app):
    """Warn (an error under -W) for every name in a public ``__all__`` missing from api.rst."""
    import importlib

    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    listed = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", (HERE / "api.rst").read_text()))
    missing = []
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", []):
            if name not in listed:
                missing.append(f"{modname}.{name}")
    for name in sorted(set(missing)):
        logger.warning(f"public name {name} is not in the API reference (doc/api.rst)")


def _write_cli_help(app):
    """``generated/cli_help.rst``: the ``--help`` of ``wavefront`` and of each of its commands."""
    import argparse

    from sklearn_wavefront.cli import build_parser

    parser = build_parser()
    parts = [("wavefront", parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parts += [(f"wavefront {name}", sub) for name, sub in action.choices.items()]
    lines = []
    for title, p in parts:
        lines += [f"``{title}``", "-" * (len(title) + 4), "", ".. code-block:: text", ""]
        lines += ["    " + line if line else "" for line in p.format_help().splitlines()]
        lines.append("")
    out = HERE / "generated" / "cli_help.rst"
    out.parent.mkdir(exist_ok=True)
    text = "\n".join(lines)
    if not out.exists() or out.read_text() != text:
        out.write_text(text)


def _skip_member(app, what, name, obj, skip, options):
    """Leave out the ``set_*_request`` methods that scikit-learn generates for metadata routing."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("builder-inited", _check_api_coverage)
    app.connect("builder-inited", _write_cli_help)
