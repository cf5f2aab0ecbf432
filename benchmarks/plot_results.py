"""Per-fold scores of the committed result tables, one figure per data set, for the documentation.

    python benchmarks/plot_results.py [--results benchmarks/results] [--out doc/_static/results]

Question: are the margins in *How well it works* larger than the spread over folds? A mean ± std hides
that; this draws every fold. It reads only the committed ``results.json`` files (no data, no training,
a few seconds) and writes one PNG per data set to ``--out``:

* ``demo.png``: ``benchmarks/results/demo/`` (``make demo``: built-in harmonic tones);
* ``judge.png``: the four shared sets of ``benchmarks/results/judge/`` beside the strongest baselines;
* ``fsdd.png``, ``yaseen_heart.png``, ``pascal_heart.png``: two panels each, the small subsets of
  ``benchmarks/results/default_kinds_grouped/`` (every row of ``wavefront compare``'s default kinds) and
  the larger subsets of ``benchmarks/results/temporal_grouped_large/`` (baselines, the temporal rows and
  three fixed rows).

Each panel has one line per row: the best baseline (the baseline with the highest mean UA, whose mean is
the dashed line) and every row of the package (fixed, temporal, learned, end-to-end), best mean first.
A dot is one test fold's UA (on the two-class PASCAL set MAcc, which equals UA); the bar is the mean.
The PNGs are committed under ``doc/_static/results/`` and shown by ``doc/how_well_it_works.rst``: rerun
this script after a result folder changes. Needs matplotlib (the ``plot`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: (figure file stem, title, [(panel title, results.json relative to --results), ...])
FIGURES = [
    ("demo", "Built-in harmonic tones (make demo)",
     [("120 recordings, 4 pitch classes, 5 folds", "demo/results.json")]),
    ("fsdd", "Spoken digits (FSDD), folds grouped by speaker",
     [("300 recordings, 3 folds", "default_kinds_grouped/fsdd/results.json"),
      ("1500 recordings, 3 folds", "temporal_grouped_large/fsdd/results.json")]),
    ("yaseen_heart", "Heart-sound classes (Yaseen et al.), no patient ids",
     [("100 recordings, 5 folds", "default_kinds_grouped/yaseen_heart/results.json"),
      ("1000 recordings, 5 folds", "temporal_grouped_large/yaseen_heart/results.json")]),
    ("pascal_heart", "Normal vs abnormal heart sounds (PASCAL A+B), folds grouped by patient",
     [("80 recordings, 4 folds", "default_kinds_grouped/pascal_heart/results.json"),
      ("545 recordings, 4 folds", "temporal_grouped_large/pascal_heart/results.json")]),
    ("judge", "Beside the strongest baselines (openSMILE, MultiRocket-Hydra), 7 December 2026",
     [("spoken digits: 300, 3 folds by speaker", "judge/fsdd/results.json"),
      ("Yaseen heart: 100, 5 folds", "judge/yaseen_heart/results.json"),
      ("PASCAL heart: 80, 4 folds by patient", "judge/pascal_heart/results.json"),
      ("gm_pitch: 192, 4 folds by instrument", "judge/gm_pitch/results.json")]),
]

KIND_COLOURS = {"baseline": "#555555", "fixed": "#1f77b4", "temporal": "#d62728", "learned": "#2ca02c",
                "end-to-end": "#9467bd"}


def panel_rows(path):
    """``[(label, kind, [per-fold scores], mean)]``: the best baseline, then the package rows by mean."""
    with open(path) as fh:
        res = json.load(fh)
    two_class = len(res["settings"].get("classes") or []) == 2
    metric = "macc" if two_class else "ua"
    folds = defaultdict(list)
    for row in res["rows"]:
        value = row.get(metric) if row.get(metric) is not None else row.get("ua")
        if value is not None and not row.get("diverged"):
            folds[(row["model"], row["kind"])].append(value)
    means = {key: sum(v) / len(v) for key, v in folds.items() if v}
    baselines = [key for key in means if key[1] == "baseline" and key[0] != "dummy"]
    best = max(baselines, key=means.get)
    package = sorted((key for key in means if key[1] != "baseline"), key=lambda k: (-means[k], k))
    rows = [(f"{m} ({k})", k, folds[(m, k)], means[(m, k)]) for m, k in [best, *package]]
    return rows, means[best], "MAcc" if two_class else "UA", res["settings"].get("versions", {})


def draw(stem, title, panels, results, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = [(name, *panel_rows(os.path.join(results, rel)), rel) for name, rel in panels]
    heights = [len(d[1]) + 1.5 for d in data]
    fig, axes = plt.subplots(len(data), 1, figsize=(8.0, 0.26 * sum(heights) + 0.9),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (name, rows, best_mean, metric, _, rel) in zip(axes[:, 0], data):
        n = len(rows)
        for i, (label, kind, scores, mean) in enumerate(rows):
            y = n - 1 - i
            offsets = [(j - (len(scores) - 1) / 2) * 0.08 for j in range(len(scores))]
            ax.scatter(scores, [y + o for o in offsets], s=18, color=KIND_COLOURS[kind], alpha=0.8, zorder=3,
                       linewidths=0)
            ax.plot([mean, mean], [y - 0.3, y + 0.3], color=KIND_COLOURS[kind], lw=2, zorder=4)
        ax.axvline(best_mean, color=KIND_COLOURS["baseline"], ls="--", lw=1, zorder=2)
        ax.set_yticks(range(n))
        ax.set_yticklabels([r[0] for r in reversed(rows)], fontsize=8)
        for tick, (_, kind, _, _) in zip(ax.get_yticklabels(), reversed(rows)):
            tick.set_color(KIND_COLOURS[kind])
        ax.set_ylim(-0.7, n - 0.3)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(f"{name}  ({os.path.dirname(rel)}/)", fontsize=9, loc="left")
        ax.set_xlabel(f"{metric} per test fold (dots), mean (bar); dashed: best baseline's mean", fontsize=8)
    fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{stem}.png")
    fig.savefig(path, dpi=100, metadata={"Software": None})  # no version stamp: reruns give the same bytes
    plt.close(fig)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", default=os.path.join(HERE, "results"), help="the benchmarks' results folder")
    p.add_argument("--out", default=os.path.join(ROOT, "doc", "_static", "results"), help="where the PNGs go")
    args = p.parse_args(argv)
    for stem, title, panels in FIGURES:
        print(draw(stem, title, panels, args.results, args.out))


if __name__ == "__main__":
    main()
