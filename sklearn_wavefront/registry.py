"""The names every layer agrees on: baselines, front-ends, row kinds, back-ends, recipe defaults.

The command line (:mod:`sklearn_wavefront.cli`), :func:`sklearn_wavefront.compare`, the model
recipes (:mod:`sklearn_wavefront.recipes`) and the benchmarks read these tuples instead of
spelling the names again. The module imports nothing, so the command line can build its parser
(``wavefront --help``) without importing torch or scikit-learn.
"""

__all__ = [
    "BASELINES",
    "BASELINE_LIBRARIES",
    "FRONTENDS",
    "LEARNABLE",
    "KINDS",
    "FRONTEND_KINDS",
    "BACKENDS",
    "FIT_KINDS",
    "FRONTEND_CLASSES",
    "AUTO_MODELS",
    "RECIPE_DEFAULTS",
    "DEFAULT_CV_FOLDS",
]

#: baseline rows of a comparison: chance; MFCC statistics, openSMILE's eGeMAPS and ComParE 2016
#: functionals, each + logistic regression; MiniRocket and MultiRocket-Hydra (aeon) on the waveform
BASELINES = ("dummy", "mfcc+logreg", "egemaps+logreg", "compare2016+logreg", "minirocket", "mrhydra")
#: the optional library each baseline needs (the others need none)
BASELINE_LIBRARIES = {"egemaps+logreg": "opensmile", "compare2016+logreg": "opensmile", "minirocket": "aeon",
                      "mrhydra": "aeon"}
#: front-ends, in table order
FRONTENDS = ("comb", "iconnet", "sinc", "gammatone", "mel", "mfcc")
#: front-ends whose filters learn (``fit(X, y)``); mel and MFCC are fixed
LEARNABLE = ("comb", "iconnet", "sinc", "gammatone")
#: kinds of a comparison row, in table order; ``auto`` rows choose their recipe on inner splits of each
#: training fold (:class:`~sklearn_wavefront.auto.AutoWavefrontClassifier`)
KINDS = ("baseline", "fixed", "temporal", "learned", "end-to-end", "auto")
#: the kinds a front-end's rows can have
FRONTEND_KINDS = ("fixed", "temporal", "learned", "end-to-end")
#: the rows of kind ``auto``: the best candidate alone, and the soft vote of the three best
AUTO_MODELS = ("auto", "auto-ensemble")
#: back-ends of the end-to-end network (:class:`~sklearn_wavefront.networks.heads.WaveformNet`)
BACKENDS = ("ffn", "conv", "temporal")
#: the kinds ``wavefront fit`` trains: every kind a front-end's rows of ``compare`` have ("learned"
#: of a fixed front-end, mel or MFCC, is its fixed recipe)
FIT_KINDS = FRONTEND_KINDS + ("auto",)
#: front-end name -> its transformer class in :mod:`sklearn_wavefront.frontends`
FRONTEND_CLASSES = {
    "comb": "CombFrontend",
    "iconnet": "IConNetFrontend",
    "sinc": "SincFrontend",
    "gammatone": "GammatoneFrontend",
    "mel": "MelFrontend",
    "mfcc": "MFCCFrontend",
}
#: the settings of a recipe and their defaults: those of :func:`sklearn_wavefront.compare`, which
#: ``wavefront fit`` (:func:`sklearn_wavefront.training.train_model`) shares (a test checks that they
#: agree). ``lr`` is the end-to-end networks' peak rate; the learned front-ends train at their own rate.
RECIPE_DEFAULTS = {
    "n_filters": 16, "epochs": 4, "batch_size": 16, "lr": 3e-3, "backend": "temporal", "temporal_features": 5000,
    "balance": None, "penalty_groups": "recordings", "duration": None, "max_duration": 10.0, "random_state": 0,
    "budget": 10.0,
}
#: folds of the inner cross-validation that estimates a fitted model's score when no compare result is given
DEFAULT_CV_FOLDS = 3
