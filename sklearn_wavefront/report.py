"""``report.html``: a comparison to look at, in one self-contained file.

:func:`write_report` writes what :func:`sklearn_wavefront.compare` measured as one HTML file with
its images inline (``data:`` URIs, no network, no script): the table with the verdicts, every
fold's score as a dot per row, the confusion matrices of the best baseline and of the best package
row (scikit-learn's :class:`~sklearn.metrics.ConfusionMatrixDisplay`), the filters of every learned
and end-to-end row before and after training (its last fold), the settings, the command line and
the notes. Without matplotlib the report has the tables and says that the figures are missing.
"""

from __future__ import annotations

import base64
import html
import io
import json

import numpy as np

__all__ = ["write_report", "render_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;white-space:nowrap}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.best td{font-weight:bold;background:#eef7ee}
.better{color:#176c1b}.worse{color:#a31515}.noise{color:#555}
code,pre{background:#f6f6f6;padding:.1em .3em;white-space:pre-wrap;word-break:break-all}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#444}.pair{display:flex;flex-wrap:wrap;gap:1em}
"""


def _png(fig):
    """The figure as a ``data:`` URI (and closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _fold_dots(result, plt):
    # a row that diverged in some fold has no score: no dots, as no mean (summarize's rule)
    rows = [(e["model"], e["kind"]) for e in result.summary if not e.get("n_diverged")]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    for i, (m, k) in enumerate(rows):
        ua = [r["ua"] for r in result.rows if r["model"] == m and r["kind"] == k and r["ua"] is not None]
        color = "C1" if k == "baseline" else "C0"
        ax.plot(ua, [i] * len(ua), "o", alpha=0.6, color=color)
        if ua:
            ax.plot([np.mean(ua)], [i], "|", markersize=16, color="k")
    ax.set_yticks(range(len(rows)), [f"{m} {k}" for m, k in rows])
    ax.invert_yaxis()
    ax.set_xlabel("UA per fold (| = mean; orange: baselines)")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def _confusion(result, model, kind, plt):
    from sklearn.metrics import ConfusionMatrixDisplay

    entry = next(c for c in result.confusion_matrices if c["model"] == model and c["kind"] == kind)
    if entry["matrix"] is None:
        return None
    n = len(entry["labels"])
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * n, 0.8 + 0.5 * n))
    ConfusionMatrixDisplay(np.asarray(entry["matrix"]), display_labels=entry["labels"]).plot(
        ax=ax, colorbar=False, xticks_rotation="vertical")
    ax.set_title(f"{model} {kind}, summed over folds", fontsize=10)
    return _png(fig)


def _initial_filterbank(estimator):
    """The filterbank the fitted ``estimator`` started from: its unfitted clone's, built afresh."""
    from sklearn.base import clone

    inner = getattr(estimator, "estimator_", estimator)  # inside a SegmentedClassifier
    fresh = clone(inner)
    if hasattr(fresh, "steps"):
        return fresh["frontend"]._make_filterbank()
    fresh.set_params(module__n_classes=len(inner.classes_)).initialize()
    return fresh.module_.filterbank


def _filters(model, kind, estimator, plt):
    """Two images, the filters before and after training."""
    from .inspection import FilterbankDisplay

    out = []
    for when, source in (("before", _initial_filterbank(estimator)), ("after", estimator)):
        if when == "before":
            disp = FilterbankDisplay.from_filterbank(source, max_filters=64, name=f"{model} {kind}: before training")
        else:
            disp = FilterbankDisplay.from_estimator(source, max_filters=64, name=f"{model} {kind}: after training")
        fig = disp.figure_
        fig.set_size_inches(6, 3.2 if fig.axes and len(fig.axes) < 2 else 5)
        out.append(_png(fig))
    return out


def _cell(value):
    return html.escape("" if value is None else str(value))


def render_report(result):
    """The HTML text of the report of a :class:`~sklearn_wavefront.CompareResult`."""
    s = result.settings
    header, body = result.table_cells()  # through the result: this module sits above the comparison
    plt = _pyplot()
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>wavefront compare: report</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>wavefront compare</h1>",
             f"<p>{_cell(s['folds'])}-fold {_cell(s.get('grouping_text', ''))} cross-validation on "
             f"{_cell(s['data_description'])}.</p>",
             f"<p>Command: <code>{_cell(s.get('command'))}</code></p>"]
    text = result.format().split("\n")
    table_at = next(i for i, line in enumerate(text) if line.startswith("model "))
    parts.append("<ul>" + "".join(f"<li>{_cell(line)}</li>" for line in text[1:table_at]) + "</ul>")
    parts.append("<h2>Table</h2><table><thead><tr>" + "".join(f"<th>{_cell(h)}</th>" for h in header)
                 + "</tr></thead><tbody>")
    numeric = {i for i, h in enumerate(header) if h not in ("model", "kind", "verdict", "best")}
    for cells, entry in zip(body, result.summary):
        verdict = entry.get("verdict") or ""
        css = {"better": "better", "worse": "worse", "within noise": "noise"}.get(verdict, "")
        tds = []
        for i, c in enumerate(cells):
            cls = "num" if i in numeric else (css if header[i] == "verdict" else "")
            tds.append(f'<td class="{cls}">{_cell(c)}</td>' if cls else f"<td>{_cell(c)}</td>")
        parts.append(f'<tr class="{"best" if entry["best"] else ""}">' + "".join(tds) + "</tr>")
    parts.append("</tbody></table>")
    images = []
    if plt is None:
        parts.append("<p>matplotlib is not installed: no figures (pip install matplotlib).</p>")
    else:
        dots = _fold_dots(result, plt)
        images.append(dots)
        parts.append(f'<h2>Every fold</h2><figure><img src="{dots}" alt="UA per fold and row">'
                     "<figcaption>Each dot is one fold's UA; a margin is worth only as much as the folds "
                     "agree (the verdict column).</figcaption></figure>")
        scored = [e for e in result.summary if e["ua"] is not None]
        best_base = next((e for e in scored if e["kind"] == "baseline" and e["model"] == result.best_baseline), None)
        package = [e for e in scored if e["kind"] != "baseline"]
        best_pkg = next((e for e in package if e["best"]), None) or (max(package, key=lambda e: e["ua"]) if package else None)
        figs = []
        for label, e in (("best baseline", best_base), ("best package row", best_pkg)):
            if e is not None:
                uri = _confusion(result, e["model"], e["kind"], plt)
                if uri:
                    images.append(uri)
                    figs.append(f'<figure><img src="{uri}" alt="confusion matrix of {_cell(e["model"])} '
                                f'{_cell(e["kind"])}"><figcaption>{label}: {_cell(e["model"])} '
                                f'{_cell(e["kind"])}</figcaption></figure>')
        if figs:
            parts.append('<h2>Confusion matrices</h2><div class="pair">' + "".join(figs) + "</div>")
        from .registry import LEARNABLE

        learned = [(key, est) for key, (est, _) in result.estimators.items()
                   if key[1] in ("learned", "end-to-end") and key[0] in LEARNABLE]
        if learned:
            parts.append("<h2>Filters before and after training (last fold)</h2>")
            for (m, k), est in learned:
                try:
                    before, after = _filters(m, k, est, plt)
                except Exception as exc:  # noqa: BLE001 - a figure never costs the report its tables
                    parts.append(f"<p>{_cell(m)} {_cell(k)}: no filter figure ({_cell(exc)})</p>")
                    continue
                images += [before, after]
                parts.append('<div class="pair">' + "".join(
                    f'<figure><img src="{uri}" alt="{_cell(m)} {_cell(k)} filters {w} training">'
                    f"<figcaption>{_cell(m)} {_cell(k)}, {w} training</figcaption></figure>"
                    for uri, w in ((before, "before"), (after, "after"))) + "</div>")
        elif any(e["kind"] in ("learned", "end-to-end") for e in result.summary):
            parts.append("<p>The learned rows' filters are drawn when the run keeps its estimators "
                         "(plots on, with an output folder).</p>")
    notes = list(dict.fromkeys(s.get("notes", [])))
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_cell(n)}</li>" for n in notes) + "</ul>")
    shown = {k: v for k, v in s.items() if k not in ("notes", "command")}
    parts.append("<h2>Settings</h2><pre>" + _cell(json.dumps(shown, indent=1, default=str)) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts), images


def write_report(result, path):
    """Write the report of a :class:`~sklearn_wavefront.CompareResult` to ``path`` (atomically)."""
    from ._csv import atomic_write

    text, _ = render_report(result)
    with atomic_write(path, encoding="utf-8") as f:
        f.write(text)
    return path
