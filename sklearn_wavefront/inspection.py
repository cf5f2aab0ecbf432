"""Look inside fitted front-ends: magnitude responses, centre frequencies, learned windows, evolution.

matplotlib is optional: it is imported only when something is drawn.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["FilterbankDisplay", "plot_filter_evolution", "find_filterbank", "filter_table", "write_filter_report"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting needs matplotlib, an optional dependency: pip install matplotlib "
            "(or pip install 'sklearn-wavefront[plot]')"
        ) from exc
    return plt


def find_filterbank(estimator):
    """The fitted filterbank module inside ``estimator``.

    Accepts a filterbank module itself, a fitted front-end transformer (``filterbank_``), a fitted
    skorch classifier of this package (``module_.filterbank``), a scikit-learn ``Pipeline`` holding
    one of them (the first found, in step order), or a fitted meta-estimator around any of these:
    :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` (``estimator_``), a search such as
    ``GridSearchCV`` (``best_estimator_``) or :class:`~sklearn_wavefront.AutoWavefrontClassifier` (the
    recipe it chose, ``estimators_[0]``).
    """
    from sklearn.exceptions import NotFittedError

    if isinstance(estimator, torch.nn.Module) and hasattr(estimator, "frequency_response"):
        return estimator
    steps = getattr(estimator, "steps", None)
    if steps is not None:
        for _, step in steps:
            try:
                return find_filterbank(step)
            except (TypeError, NotFittedError):
                continue
        raise TypeError(f"no step of the pipeline holds a fitted filterbank: {[n for n, _ in steps]}")
    # meta-estimators: the fitted inner estimator (SegmentedClassifier.estimator_, a search's
    # best_estimator_, the recipe an AutoWavefrontClassifier chose: estimators_[0]) holds the filterbank
    chosen = getattr(estimator, "estimators_", None)
    if hasattr(estimator, "choice_") and chosen:
        return find_filterbank(chosen[0])
    for attr in ("best_estimator_", "estimator_"):
        inner = getattr(estimator, attr, None)
        if inner is not None:
            return find_filterbank(inner)
    template = getattr(estimator, "estimator", None)
    if template is not None and hasattr(estimator, "fit") and not isinstance(estimator, torch.nn.Module):
        try:
            find_filterbank(template)
        except NotFittedError:
            pass  # an unfitted template: the wrapper is not fitted either
        raise NotFittedError(
            f"{type(estimator).__name__} is not fitted yet (or was fitted with refit=False): call fit "
            "before plotting its filters"
        )
    fb = getattr(estimator, "filterbank_", None)
    if fb is None:
        fb = getattr(getattr(estimator, "module_", None), "filterbank", None)
    if fb is not None:
        return fb
    fitted = hasattr(estimator, "module_") or hasattr(estimator, "filterbank_")
    if hasattr(estimator, "fit") and not fitted and type(estimator).__module__.startswith("sklearn_wavefront"):
        raise NotFittedError(f"{type(estimator).__name__} is not fitted yet: call fit before plotting its filters")
    raise TypeError(
        f"{type(estimator).__name__} holds no filterbank: pass a fitted front-end transformer, a fitted "
        "classifier of sklearn_wavefront, a Pipeline holding one, or a filterbank module"
    )


class FilterbankDisplay:
    """Magnitude responses of a filterbank on a Hz axis, its centre frequencies, and learned windows.

    Follows the scikit-learn Display convention: build it with :meth:`from_estimator` (or
    :meth:`from_filterbank`), which computes the data and calls :meth:`plot`; the drawn artists are
    stored as attributes.

    Parameters
    ----------
    frequencies : ndarray of shape (n_freqs,)
        Frequency grid in Hz.
    responses : ndarray of shape (n_filters, n_freqs)
        Linear magnitude response of each filter (the filters actually applied: the exact DTFT of FIR
        kernels, the training operator of comb filters).
    center_frequencies : ndarray of shape (n_filters,)
        Centre (comb: fundamental) frequency of each filter in Hz.
    windows : ndarray of shape (n_filters, kernel_size) or None, default=None
        Learned windows (IConNet), drawn in a second panel.
    name : str or None, default=None
        Used in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The response panel.
    windows_ax_ : matplotlib Axes or None
        The window panel.
    figure_ : matplotlib Figure
    lines_ : list of matplotlib Line2D
        One response curve per drawn filter (``kind="lines"``; empty for images).
    image_ : matplotlib QuadMesh or None
        The response image (``kind="image"``).
    centers_ : matplotlib PathCollection
        The centre-frequency markers.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_wavefront.frontends import CombFrontend
    >>> from sklearn_wavefront.inspection import FilterbankDisplay
    >>> front = CombFrontend(sample_rate=8000, n_filters=4).fit(np.zeros((2, 4000)))
    >>> disp = FilterbankDisplay.from_estimator(front, kind="lines")
    >>> len(disp.lines_), disp.responses.shape
    (4, (4, 1024))
    """

    def __init__(self, frequencies, responses, center_frequencies, *, windows=None, name=None):
        self.frequencies = np.asarray(frequencies)
        self.responses = np.asarray(responses)
        self.center_frequencies = np.asarray(center_frequencies)
        self.windows = None if windows is None else np.asarray(windows)
        self.name = name

    @classmethod
    def from_filterbank(cls, filterbank, *, n_freqs=1024, ax=None, db=True, max_filters=None, name=None, kind="auto"):
        """Compute the responses of a filterbank module and plot them (see :meth:`plot`).

        ``kind="auto"`` draws an image for comb filterbanks and for more than 32 filters, lines otherwise.
        """
        with torch.no_grad():
            freqs, mags = filterbank.frequency_response(n_freqs)
            windows = filterbank.windows().detach().cpu().double().numpy() if hasattr(filterbank, "windows") else None
        disp = cls(freqs, mags, filterbank.center_frequencies(), windows=windows, name=name or type(filterbank).__name__)
        if kind == "auto":
            shown = mags.shape[0] if max_filters is None else min(max_filters, mags.shape[0])
            kind = "image" if hasattr(filterbank, "delays") or shown > 32 else "lines"
        return disp.plot(ax=ax, db=db, max_filters=max_filters, kind=kind)

    @classmethod
    def from_estimator(cls, estimator, *, n_freqs=1024, ax=None, db=True, max_filters=None, name=None, kind="auto"):
        """Plot the filters of a fitted front-end, classifier, pipeline or filterbank module.

        Parameters
        ----------
        estimator : object
            See :func:`find_filterbank`.
        n_freqs : int, default=1024
            Points of the frequency grid (0 to Nyquist).
        ax : matplotlib Axes, or a pair of Axes (responses, windows), or None
            Where to draw; ``None`` creates a figure (two panels when there are windows).
        db : bool, default=True
            Responses in dB (``20 log10``) rather than linear.
        max_filters : int or None, default=None
            Draw at most this many filters, evenly chosen.
        name : str or None
            Title; defaults to the estimator's class name.
        kind : {"auto", "lines", "image"}, default="auto"
            See :meth:`plot`; ``"auto"`` draws an image for comb filterbanks (a peak at every
            harmonic) and for more than 32 filters, lines otherwise.

        Returns
        -------
        display : FilterbankDisplay
        """
        fb = find_filterbank(estimator)
        return cls.from_filterbank(
            fb, n_freqs=n_freqs, ax=ax, db=db, max_filters=max_filters, name=name or type(estimator).__name__, kind=kind
        )

    def plot(self, ax=None, *, db=True, max_filters=None, kind="lines"):
        """Draw the responses (and windows). Returns ``self``.

        ``kind="lines"``: one curve per filter, centre frequencies marked by triangles.
        ``kind="image"``: one row per filter (sorted by centre frequency), colour = magnitude, centre
        frequencies marked by dots; readable for many filters and for comb filters, whose responses
        have a peak at every harmonic.
        """
        if kind not in ("lines", "image"):
            raise ValueError(f"kind must be 'lines' or 'image', got kind={kind!r}")
        plt = _pyplot()
        n = self.responses.shape[0]
        idx = np.arange(n)
        if max_filters is not None and max_filters < n:
            idx = np.unique(np.linspace(0, n - 1, max_filters).round().astype(int))
        with_windows = self.windows is not None
        if ax is None:
            if with_windows:
                fig, (ax, wax) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 1]})
            else:
                fig, ax = plt.subplots(figsize=(8, 4))
                wax = None
        elif isinstance(ax, (tuple, list, np.ndarray)):
            ax, wax = ax[0], ax[1]
            fig = ax.figure
        else:
            fig, wax = ax.figure, None
        resp = self.responses[idx]
        values = 20 * np.log10(np.maximum(resp, 1e-8)) if db else resp
        cf = self.center_frequencies[idx]
        colors = plt.get_cmap("viridis")(np.linspace(0, 1, len(idx))) if len(idx) else []
        label = "magnitude (dB)" if db else "magnitude"
        lo = None
        if db and values.size:
            top = float(values.max())
            lo = max(top - 60.0, float(values.min()))
        if kind == "lines":
            self.lines_ = [ax.plot(self.frequencies, v, color=c, lw=0.9)[0] for v, c in zip(values, colors)]
            at = np.array([np.interp(f, self.frequencies, v) for f, v in zip(cf, values)])
            self.centers_ = ax.scatter(cf, at, marker="v", color="k", s=14, zorder=3, label="centre frequency")
            ax.set_ylabel(label)
            if lo is not None:
                ax.set_ylim(lo - 1.0, top + 3.0)
            self.image_ = None
        else:
            order = np.argsort(cf, kind="stable")
            self.lines_ = []
            self.image_ = ax.pcolormesh(
                self.frequencies, np.arange(len(idx)), values[order], shading="nearest", vmin=lo, cmap="magma"
            )
            fig.colorbar(self.image_, ax=ax, label=label)
            self.centers_ = ax.scatter(
                cf[order], np.arange(len(idx)), marker="o", facecolor="none", edgecolor="c", s=18, zorder=3,
                label="centre frequency",
            )
            ax.set_ylabel("filter (by centre frequency)")
            ax.set_ylim(-0.5, len(idx) - 0.5)
        ax.set_xlabel("frequency (Hz)")
        ax.set_xlim(self.frequencies[0], self.frequencies[-1])
        ax.set_title(f"{self.name or 'filterbank'}: {n} filters")
        ax.legend(loc="lower right", fontsize="small")
        self.windows_ax_ = None
        if with_windows and wax is not None:
            for w, c in zip(self.windows[idx], colors):
                wax.plot(np.arange(w.size), w, color=c, lw=0.9)
            wax.set_xlabel("tap")
            wax.set_ylabel("window")
            wax.set_title("learned windows")
            self.windows_ax_ = wax
        self.ax_ = ax
        self.figure_ = fig
        return self


def plot_filter_evolution(history, ax=None, *, log=True, key="center_frequencies"):
    """Centre frequencies (comb: f0) of every channel against the training epoch.

    Parameters
    ----------
    history : FilterbankHistory, skorch net, or array-like of shape (n_records, n_filters)
        A :class:`~sklearn_wavefront.callbacks.FilterbankHistory` callback (row 0 is before training),
        a fitted net that used it (its history column ``key``, epochs 1..E), or the array itself.
    ax : matplotlib Axes or None
    log : bool, default=True
        Logarithmic frequency axis.
    key : str, default="center_frequencies"
        History column when ``history`` is a net.

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = _pyplot()
    start = 0
    if hasattr(history, "as_array"):
        values = history.as_array()
    elif hasattr(history, "history"):
        values = np.asarray(history.history[:, key], dtype=float)
        start = 1
    else:
        values = np.asarray(history, dtype=float)
    if values.ndim != 2 or values.shape[0] == 0:
        raise ValueError(f"nothing to plot: expected (n_records, n_filters) values, got shape {values.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    epochs = np.arange(start, start + values.shape[0])
    colors = plt.get_cmap("viridis")(np.linspace(0, 1, values.shape[1]))
    for c in range(values.shape[1]):
        ax.plot(epochs, values[:, c], color=colors[c], lw=1.0)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("centre frequency / f0 (Hz)")
    ax.set_title("filter frequencies during training")
    return ax


# ------------------------------------------------------------------------------- a saved model's filters
def filter_table(filterbank, initial_center_frequencies=None):
    """The filters of a filterbank module as columns: ``(names, rows)``.

    Every filterbank gives ``filter`` and its centre frequency (``f0_hz`` for comb channels,
    ``center_hz`` otherwise); comb filterbanks add ``delay_samples`` and ``alpha``; band-pass FIR
    filterbanks (IConNet, SincNet) ``low_hz``, ``high_hz``, ``bandwidth_hz``; gammatone
    ``bandwidth_hz`` (the ``b`` of ``exp(-2 pi b t)``) and ``order``; mel/MFCC the edges of each
    triangle. ``initial_center_frequencies`` (before training) adds an ``initial_...`` column.
    """
    with torch.no_grad():
        cf = np.asarray(filterbank.center_frequencies(), dtype=np.float64)
        cols = {}
        comb = hasattr(filterbank, "delays")
        cols["f0_hz" if comb else "center_hz"] = cf
        if initial_center_frequencies is not None and len(initial_center_frequencies) == len(cf):
            cols["initial_f0_hz" if comb else "initial_center_hz"] = np.asarray(initial_center_frequencies, float)
        if comb:
            cols["delay_samples"] = filterbank.delays().double().cpu().numpy()
            cols["alpha"] = filterbank.alphas().double().cpu().numpy()
        elif hasattr(filterbank, "bands"):
            bands = np.asarray(filterbank.bands(), dtype=np.float64)
            cols["low_hz"], cols["high_hz"] = bands[:, 0], bands[:, 1]
            cols["bandwidth_hz"] = bands[:, 1] - bands[:, 0]
        elif hasattr(filterbank, "orders"):
            cols["bandwidth_hz"] = filterbank.bandwidth_hz().double().cpu().numpy()
            cols["order"] = filterbank.orders().double().cpu().numpy()
        elif hasattr(filterbank, "mel_matrix"):
            from .filterbanks._scales import hz_to_mel, mel_to_hz

            htk = bool(getattr(filterbank, "htk", False))
            pts = mel_to_hz(np.linspace(hz_to_mel(filterbank.fmin, htk), hz_to_mel(filterbank.fmax, htk),
                                        len(cf) + 2), htk)
            cols["low_hz"], cols["high_hz"] = np.asarray(pts[:-2]), np.asarray(pts[2:])
            cols["bandwidth_hz"] = cols["high_hz"] - cols["low_hz"]
    names = ["filter", *cols]
    rows = [[i, *(float(cols[c][i]) for c in cols)] for i in range(len(cf))]
    return names, rows


def write_filter_report(model, output_dir, plots=True, protect=()):
    """Write a saved model's filters: ``filters.csv`` (:func:`filter_table`), and with ``plots``
    ``filters.png`` (magnitude responses, centre frequencies) and, when a per-epoch history was
    recorded (end-to-end models), ``evolution.png``. What ``wavefront inspect`` writes.

    Parameters
    ----------
    model : WavefrontModel
    output_dir : str
        An existing, writable folder.
    plots : bool
    protect : iterable of paths
        Files that must not be replaced (the model file): a ``ValueError`` before anything is written.

    Returns
    -------
    written : list of str
        The paths written.
    n_filters : int
    notes : list of str
        What was not written and why.
    """
    import csv
    import os

    fb = find_filterbank(model.estimator)
    history = model.filter_history
    initial = history[0] if history is not None and len(history) else model.settings.get("initial_center_frequencies")
    names, rows = filter_table(fb, initial)
    written, notes = [], []
    from ._csv import atomic_write, refuse_inputs

    csv_path = os.path.join(output_dir, "filters.csv")
    for name in ("filters.csv", "filters.png", "evolution.png"):
        refuse_inputs(os.path.join(output_dir, name), protect)
    with atomic_write(csv_path, newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for row in rows:
            w.writerow([row[0], *(f"{v:.6g}" for v in row[1:])])
    written.append(csv_path)
    if not plots:
        return written, len(rows), notes
    try:
        plt = _pyplot()
    except ImportError:
        notes.append("matplotlib is not installed: no plots written (pip install matplotlib)")
        return written, len(rows), notes
    name = f"{model.settings.get('model', '')} ({model.settings.get('kind', '')})"
    disp = FilterbankDisplay.from_estimator(model.estimator, name=name, max_filters=64)
    path = os.path.join(output_dir, "filters.png")
    disp.figure_.tight_layout()
    disp.figure_.savefig(path, dpi=100)
    plt.close(disp.figure_)
    written.append(path)
    if history is not None and len(history) > 1:
        ax = plot_filter_evolution(history)
        label = "f0" if names[1] == "f0_hz" else "centre frequencies"
        ax.set_title(f"{name}: {label} during training")
        path = os.path.join(output_dir, "evolution.png")
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=100)
        plt.close(ax.figure)
        written.append(path)
    elif model.settings.get("kind") == "learned":
        notes.append("no per-epoch history: it is recorded for --kind end-to-end models "
                     "(filters.csv compares the learned filters with the initial ones)")
    return written, len(rows), notes
