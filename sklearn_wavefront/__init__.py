"""sklearn_wavefront: learnable, interpretable waveform front-ends as scikit-learn estimators."""

__version__ = "0.1.0.dev0"
