"""Every public estimator validates its parameters through scikit-learn (issue 19, goal 4).

scikit-learn's own ``check_param_validation`` (run by scikit-learn's test suite on its estimators,
not by ``parametrize_with_checks``) asserts that ``_parameter_constraints`` names exactly the
estimator's parameters, and that ``fit`` rejects, for each parameter, a value of no valid type and a
value of a valid type outside every constraint with an ``InvalidParameterError`` that names the
parameter and the value. The skorch classifiers, whose ``get_params`` also lists skorch's own
parameters, are checked on their own constraints.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError, generate_invalid_param_val, make_constraint
from sklearn.utils.estimator_checks import check_param_validation

from sklearn_wavefront import (
    CombFrontend,
    CombNetClassifier,
    GammatoneFrontend,
    IConNetClassifier,
    IConNetFrontend,
    MelFrontend,
    MFCCFrontend,
    MiniRocketHead,
    SegmentedClassifier,
    SincFrontend,
    SpectNetClassifier,
    WaveformClassifier,
)
from sklearn_wavefront.baselines import MFCCStatistics, MiniRocketClassifier, SoftmaxRidgeClassifierCV
from sklearn_wavefront.resampling import DoubleBalancedResampler
from sklearn_wavefront.temporal import FrameStatistics

# small settings that fit the check's X (20 recordings of 5 samples) once the parameters are valid
ESTIMATORS = [
    CombFrontend(sample_rate=400, n_filters=3, window_length=4, hop_length=2),
    IConNetFrontend(sample_rate=400, n_filters=3, kernel_size=3, stride=2, fmin=10.0),
    SincFrontend(sample_rate=400, n_filters=3, kernel_size=3, stride=2, fmin=60.0, min_low_hz=50.0),
    GammatoneFrontend(sample_rate=400, n_filters=3, kernel_size=4, window_seconds=0.01, hop_seconds=0.005),
    MelFrontend(sample_rate=400, n_filters=3, n_fft=4, hop_length=2),
    MFCCFrontend(sample_rate=400, n_mfcc=2, n_filters=3, n_fft=4, hop_length=2),
    MiniRocketHead(n_kernels=84, random_state=0),
    FrameStatistics(),
    MFCCStatistics(sample_rate=400, n_mfcc=2, n_filters=3, n_fft=4, hop_length=2),
    MiniRocketClassifier(n_kernels=84, random_state=0),
    SoftmaxRidgeClassifierCV(),
    DoubleBalancedResampler(random_state=0),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_scikit_learn_validates_every_parameter(estimator):
    if isinstance(estimator, MiniRocketClassifier):
        pytest.importorskip("aeon")
    check_param_validation(type(estimator).__name__, estimator)


def test_segmented_classifier_validates_every_parameter():
    from sklearn.linear_model import LogisticRegression

    check_param_validation("SegmentedClassifier", SegmentedClassifier(LogisticRegression(), segment_seconds=1.0))


CLASSIFIERS = [
    CombNetClassifier(n_filters=3, module__channels=(4,), max_epochs=1, device="cpu"),
    IConNetClassifier(n_filters=3, module__kernel_size=15, module__stride=8, max_epochs=1, device="cpu"),
    SpectNetClassifier(n_filters=3, module__kernel_size=16, module__width=2, max_epochs=1, device="cpu"),
    WaveformClassifier(frontend="mel", n_filters=4, frontend_kwargs={"n_fft": 32, "hop_length": 16}, max_epochs=1,
                       device="cpu"),
]


@pytest.mark.parametrize("net", CLASSIFIERS, ids=lambda e: type(e).__name__)
def test_skorch_classifiers_validate_their_own_parameters(net):
    """Each constrained parameter: a value of no valid type, and a value of a valid type outside every
    constraint, are rejected by fit with scikit-learn's message, before any training."""
    from sklearn.base import clone

    X = np.random.default_rng(0).normal(size=(6, 400)).astype(np.float32)
    y = np.array([0, 1] * 3)
    name = type(net).__name__
    bad_type = type("BadType", (), {})()
    for param, constraints in net._parameter_constraints.items():
        bad_values = [bad_type]
        for constraint in map(make_constraint, constraints):
            try:
                bad_values.append(generate_invalid_param_val(constraint))
            except NotImplementedError:
                pass
        for bad in bad_values:
            if any(make_constraint(c).is_satisfied_by(bad) for c in constraints):
                continue  # e.g. -1 is batch_size's "all" for skorch
            est = clone(net).set_params(**{param: bad})
            with pytest.raises(InvalidParameterError, match=rf"The '{param}' parameter of {name} must be .* Got .* instead"):
                est.fit(X, y)
    assert set(net._parameter_constraints) <= set(net.get_params(deep=False))
