"""FilterbankDisplay, the filter-recording callback and the evolution plot."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_wavefront.callbacks import FilterbankHistory
from sklearn_wavefront.classifiers import CombNetClassifier, IConNetClassifier
from sklearn_wavefront.frontends import CombFrontend, IConNetFrontend
from sklearn_wavefront.inspection import FilterbankDisplay, find_filterbank, plot_filter_evolution

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SR = 4000


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _tones(n_per_class=6, n=1600, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    X = [np.sin(2 * np.pi * f * (1 + 0.01 * rng.normal()) * t) + 0.2 * rng.normal(size=n)
         for f in (110.0, 300.0) for _ in range(n_per_class)]
    return np.asarray(X, dtype=np.float32), np.repeat(["low", "high"], n_per_class)


def test_display_draws_true_responses_and_centres():
    X, _ = _tones(n_per_class=1)
    front = CombFrontend(sample_rate=SR, n_filters=5, fmax=800.0).fit(X)
    disp = FilterbankDisplay.from_estimator(front, n_freqs=256, kind="lines", db=False)
    freqs, mags = front.filterbank_.frequency_response(256)
    np.testing.assert_allclose(disp.frequencies, freqs)
    np.testing.assert_allclose(disp.responses, mags)
    assert len(disp.lines_) == 5
    np.testing.assert_allclose(disp.lines_[2].get_ydata(), mags[2])
    np.testing.assert_allclose(disp.centers_.get_offsets()[:, 0], front.center_frequencies_)
    assert disp.ax_.get_xlabel() == "frequency (Hz)"
    assert disp.ax_.get_xlim() == (0.0, SR / 2)
    assert disp.windows_ax_ is None


def test_display_image_for_comb_by_default():
    front = CombFrontend(sample_rate=SR, n_filters=6, fmax=800.0).fit(np.zeros((2, 800)))
    disp = FilterbankDisplay.from_estimator(front)
    assert disp.image_ is not None and disp.lines_ == []
    np.testing.assert_allclose(np.sort(disp.centers_.get_offsets()[:, 0]), np.sort(front.center_frequencies_))


def test_display_iconnet_classifier_shows_learned_windows():
    X, y = _tones()
    clf = IConNetClassifier(sample_rate=SR, n_filters=4, module__kernel_size=31, module__stride=40,
                            max_epochs=1, random_state=0).fit(X, y)
    disp = FilterbankDisplay.from_estimator(clf)
    fb = clf.module_.filterbank
    np.testing.assert_allclose(disp.windows, fb.windows().detach().double().cpu().numpy())
    assert disp.windows_ax_ is not None and len(disp.windows_ax_.lines) == 4
    np.testing.assert_allclose(disp.windows_ax_.lines[0].get_ydata(), disp.windows[0])
    assert len(disp.lines_) == 4


def test_find_filterbank_in_pipeline_and_errors():
    X, y = _tones(n_per_class=2)
    pipe = make_pipeline(IConNetFrontend(sample_rate=SR, n_filters=3, kernel_size=31, stride=40),
                         LogisticRegression()).fit(X, y)
    assert find_filterbank(pipe) is pipe[0].filterbank_
    with pytest.raises(NotFittedError):
        FilterbankDisplay.from_estimator(CombFrontend())
    with pytest.raises(TypeError, match="holds no filterbank"):
        find_filterbank(LogisticRegression().fit(X[:, :3], y))
    with pytest.raises(ValueError, match="kind"):
        FilterbankDisplay([0, 1], [[1, 1]], [0.5]).plot(kind="bars")


def test_history_callback_records_f0_every_epoch_and_plot():
    X, y = _tones()
    rec = FilterbankHistory()
    clf = CombNetClassifier(sample_rate=SR, n_filters=4, module__fmax=800.0, max_epochs=3, lr=0.05,
                            batch_size=4, callbacks=[rec], random_state=0).fit(X, y)
    values = rec.as_array()
    assert values.shape == (4, 4)  # before training + 3 epochs
    np.testing.assert_allclose(values[-1], clf.module_.filterbank.center_frequencies())
    assert np.max(np.abs(values[-1] - values[0])) > 0  # f0 moved during training
    assert len(clf.history[:, "center_frequencies"]) == 3
    assert set(rec.parameters_[0]) == {"f0_logit"}
    ax = plot_filter_evolution(rec)
    assert len(ax.lines) == 4
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 1, 2, 3])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), values[:, 1])
    ax2 = plot_filter_evolution(clf)  # from the net's history: epochs 1..3
    np.testing.assert_array_equal(ax2.lines[0].get_xdata(), [1, 2, 3])
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_filter_evolution(np.zeros((0, 3)))


def test_history_callback_names_missing_attribute():
    X, y = _tones(n_per_class=2)
    clf = CombNetClassifier(sample_rate=SR, n_filters=3, max_epochs=1, callbacks=[FilterbankHistory("frontend")])
    with pytest.raises(ValueError, match="'frontend'"):
        clf.fit(X, y)


def test_matplotlib_stays_optional():
    code = (
        "import sys; import sklearn_wavefront.inspection, sklearn_wavefront.callbacks, "
        "sklearn_wavefront.frontends, sklearn_wavefront.classifiers, sklearn_wavefront.cli; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_find_filterbank_in_segmented_classifier_and_grid_search():
    from sklearn.model_selection import GridSearchCV

    from sklearn_wavefront.segmenting import SegmentedClassifier

    X, y = _tones(n_per_class=4)
    net = CombNetClassifier(sample_rate=SR, n_filters=4, module__fmax=800.0, module__channels=(4,), max_epochs=1,
                            batch_size=8, random_state=0)
    seg = SegmentedClassifier(net, segment_seconds=0.2, sample_rate=SR)
    with pytest.raises(NotFittedError):
        find_filterbank(seg)
    seg.fit(list(X), y)
    assert find_filterbank(seg) is seg.estimator_.module_.filterbank
    grid = GridSearchCV(net, {"n_filters": [3]}, cv=2)
    with pytest.raises(NotFittedError):
        find_filterbank(grid)
    grid.fit(X, y)
    assert find_filterbank(grid) is grid.best_estimator_.module_.filterbank
    nested = GridSearchCV(seg, {"aggregate": ["majority"]}, cv=2).fit(list(X), y)
    assert find_filterbank(nested) is nested.best_estimator_.estimator_.module_.filterbank
    FilterbankDisplay.from_estimator(seg)
