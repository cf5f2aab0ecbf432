"""sklearn_wavefront: learnable, interpretable waveform front-ends as scikit-learn estimators.

Subpackages: ``filterbanks`` (front-end modules), ``ops`` (differentiable operators),
``datasets`` (loaders and synthetic generators), ``metrics`` (UA, UF1, WF1, MAcc, ...).
"""

from .sampling import DoubleBalancedBatchSampler, DoubleBalancedMixin, SmallCellWarning
from .segmenting import SegmentedClassifier, segment_signals

__version__ = "0.1.0.dev0"

__all__ = [
    "DoubleBalancedBatchSampler",
    "DoubleBalancedMixin",
    "SmallCellWarning",
    "SegmentedClassifier",
    "segment_signals",
]
