"""sklearn_wavefront: learnable, interpretable waveform front-ends as scikit-learn estimators.

Transformers (``CombFrontend``, ``IConNetFrontend``, ...) turn waveforms into features for any
scikit-learn model; classifiers (``CombNetClassifier``, ...) train a front-end and a back-end end to
end. Subpackages: ``filterbanks`` (front-end modules), ``ops`` (differentiable operators),
``networks`` (torch models), ``datasets`` (loaders, synthetic data), ``metrics`` (UA, UF1, MAcc, ...).
"""

from .callbacks import FilterbankHistory
from .classifiers import CombNetClassifier, IConNetClassifier, SpectNetClassifier, WaveformClassifier
from .frontends import CombFrontend, GammatoneFrontend, IConNetFrontend, MelFrontend, MFCCFrontend, SincFrontend
from .inspection import FilterbankDisplay, plot_filter_evolution
from .sampling import DoubleBalancedBatchSampler, DoubleBalancedMixin, SmallCellWarning
from .segmenting import SegmentedClassifier, segment_signals
from .temporal import FrameStatistics, MiniRocketHead

__version__ = "0.1.0.dev0"

__all__ = [
    "CombFrontend",
    "IConNetFrontend",
    "GammatoneFrontend",
    "SincFrontend",
    "MelFrontend",
    "MFCCFrontend",
    "CombNetClassifier",
    "IConNetClassifier",
    "SpectNetClassifier",
    "WaveformClassifier",
    "FilterbankDisplay",
    "plot_filter_evolution",
    "FilterbankHistory",
    "DoubleBalancedBatchSampler",
    "DoubleBalancedMixin",
    "SmallCellWarning",
    "SegmentedClassifier",
    "segment_signals",
    "MiniRocketHead",
    "FrameStatistics",
]
