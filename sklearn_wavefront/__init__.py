"""sklearn_wavefront: learnable, interpretable waveform front-ends as scikit-learn estimators.

Transformers (``CombFrontend``, ``IConNetFrontend``, ...) turn waveforms into features for any
scikit-learn model; classifiers (``CombNetClassifier``, ...) train a front-end and a back-end end to
end; :func:`compare` cross-validates them beside the baselines on the same folds. Subpackages:
``filterbanks`` (front-end modules), ``ops`` (differentiable operators), ``networks`` (torch
models), ``datasets`` (loaders, synthetic data), ``metrics`` (UA, UF1, MAcc, ...).

The public names are imported on first use (PEP 562), as scikit-learn and SciPy do for their
submodules: ``import sklearn_wavefront`` alone imports neither torch nor scikit-learn, so the
``wavefront`` command starts in a fraction of a second and imports torch only for the command that
needs it.
"""

import importlib

from ._version import __version__

# public name -> the module that defines it
_PUBLIC = {
    "CombFrontend": "frontends",
    "IConNetFrontend": "frontends",
    "GammatoneFrontend": "frontends",
    "SincFrontend": "frontends",
    "MelFrontend": "frontends",
    "MFCCFrontend": "frontends",
    "CombNetClassifier": "classifiers",
    "IConNetClassifier": "classifiers",
    "SpectNetClassifier": "classifiers",
    "WaveformClassifier": "classifiers",
    "FilterbankDisplay": "inspection",
    "plot_filter_evolution": "inspection",
    "FilterbankHistory": "callbacks",
    "DoubleBalancedBatchSampler": "sampling",
    "DoubleBalancedMixin": "sampling",
    "SmallCellWarning": "sampling",
    "SegmentedClassifier": "segmenting",
    "segment_signals": "segmenting",
    "MiniRocketHead": "temporal",
    "FrameStatistics": "temporal",
    "compare": "comparison",
    "CompareResult": "comparison",
    "AutoWavefrontClassifier": "auto",
    "RecipeClassifier": "auto",
}

__all__ = list(_PUBLIC)


#: subpackages and modules reachable as attributes (``sklearn_wavefront.frontends``), imported on first use
_SUBMODULES = {
    "auto", "baselines", "callbacks", "classifiers", "cli", "comparison", "datasets", "exceptions", "filterbanks",
    "frontends", "inspection", "length_policy", "metrics", "networks", "ops", "persistence", "recipes",
    "registry", "report", "resampling", "sampling", "segmenting", "temporal", "training", "verdict",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)  # the import binds it here as well
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
