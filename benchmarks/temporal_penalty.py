"""How the ridge penalty of the MiniRocket and temporal rows is chosen, on the same folds.

    python benchmarks/temporal_penalty.py --set pascal_heart [--labels-from benchmarks/results/temporal_grouped]

Runs the rows of ``wavefront compare`` (``minirocket`` and the ``temporal`` rows of mel, gammatone and
iconnet, the current recipe: frames -> [MiniRocketHead, per-channel mean and std] -> scaler -> ridge) on the
folds of :mod:`benchmarks.real_data`'s preset (the labels file it derived, the same seeds), with three
ways of choosing the ridge penalty among the same ``TEMPORAL_ALPHAS``:

* ``loo``: leave-one-out over the training segments (the choice before grouped CV existed; done here by
  hiding the groups from ``SegmentedClassifier``);
* ``recordings``: K-fold CV over whole recordings (what ``wavefront compare`` does without ``--group-column``);
* ``user``: K-fold CV over the ``--group-column`` groups of the training part (speakers, patients; what
  ``wavefront compare`` does with ``--group-column``; not run for a set without one).

It separates the recipe change from the penalty change in the remeasured tables, and prints one
markdown table (mean ± std over folds of UA, and the penalties chosen). One thread is advised
(``OMP_NUM_THREADS=1``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from unittest import mock

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from real_data import PRESETS  # noqa: E402

from sklearn_wavefront import comparison as cmp  # noqa: E402
from sklearn_wavefront import segmenting  # noqa: E402
from sklearn_wavefront.recipes import groups_fit_parameter  # noqa: E402

ROWS = [("minirocket", "baseline"), ("mel", "temporal"), ("gammatone", "temporal"), ("iconnet", "temporal")]


def _ridge(est):
    inner = est.estimator_ if isinstance(est, segmenting.SegmentedClassifier) else est
    return inner.ridge_ if hasattr(inner, "ridge_") else inner["ridge"]


def run(name, labels_from, data_root, seed=0):
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    preset = PRESETS[name]
    labels = os.path.abspath(os.path.join(labels_from, name, "labels.csv"))
    bunch, labels_path = cmp.load_folder(os.path.join(data_root, name), labels=labels,
                                         sample_rate=preset["sample_rate"])
    group_column = preset["extra"][1] if preset["extra"][:1] == ["--group-column"] else None
    groups = cmp.folder_column(bunch, group_column, "group_column", labels_path)
    recordings, y, sr = list(bunch.data), np.asarray(bunch.target), int(bunch.sample_rate)
    desc = f"{labels_path} ({len(y)} recordings, {len(np.unique(y))} classes, {sr} Hz)"
    X, policy = cmp.apply_length_policy(recordings, sr, max_duration=preset["max_duration"])
    cv = (StratifiedKFold(preset["folds"], shuffle=True, random_state=seed) if groups is None
          else StratifiedGroupKFold(preset["folds"], shuffle=True, random_state=seed))
    splits = list(cv.split(np.zeros(len(y)), y, groups))
    settings = cmp.Settings(sample_rate=sr, n_filters=preset["n_filters"], device="cpu", random_state=seed,
                            segment_seconds=policy.segment_seconds if policy.mode == "segment" else None)
    print(f"{name}: {desc}; {policy.message}", file=sys.stderr)
    table = []
    for model, kind in ROWS:
        for mode in ("loo", "recordings", "user") if groups is not None else ("loo", "recordings"):
            scores, alphas, seconds = [], [], []
            for train, test in splits:
                est = cmp.make_estimator(model, kind, settings)
                fit_params = {}
                if mode == "user" and groups is not None:
                    fit_params[groups_fit_parameter(est)] = np.asarray(groups)[train]
                t0 = time.perf_counter()
                if mode == "loo":
                    with mock.patch.object(segmenting, "_groups_key", lambda estimator: None):
                        est.fit(X[train], y[train])
                else:
                    est.fit(X[train], y[train], **fit_params)
                seconds.append(time.perf_counter() - t0)
                scores.append(balanced_accuracy_score(y[test], est.predict(X[test])))
                alphas.append(_ridge(est).alpha_)
            entry = {"model": model, "kind": kind, "penalty": mode, "ua": float(np.mean(scores)),
                     "ua_std": float(np.std(scores)), "alphas": [float(a) for a in alphas],
                     "fit_seconds": float(np.mean(seconds))}
            table.append(entry)
            print(f"  {model} {kind} {mode}: UA {entry['ua']:.3f} ± {entry['ua_std']:.3f}, "
                  f"alphas {', '.join(f'{a:.3g}' for a in alphas)}", file=sys.stderr, flush=True)
    return {"set": name, "data": desc, "length_policy": policy.message, "folds": args.folds,
            "group_column": args.group_column, "rows": table}


def markdown(res):
    lines = [f"#### {res['set']}", "", f"- Data: {res['data']}; {res['folds']} folds"
             + (f" grouped by `{res['group_column']}`" if res["group_column"] else "") + ".",
             f"- Length policy: {res['length_policy']}.", "",
             "| model | kind | penalty chosen by | UA | alphas per fold | fit (s) |", "|---|---|---|---|---|---|"]
    for e in res["rows"]:
        alphas = ", ".join(f"{a:.3g}" for a in e["alphas"])
        lines.append(f"| {e['model']} | {e['kind']} | {e['penalty']} | {e['ua']:.3f} ± {e['ua_std']:.3f} | "
                     f"{alphas} | {e['fit_seconds']:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", choices=sorted(PRESETS), action="append", dest="sets", required=True)
    p.add_argument("--labels-from", default=os.path.join(HERE, "results", "temporal_grouped"),
                   help="folder of real_data.py's output whose <set>/labels.csv gives the recordings")
    p.add_argument("--data-root", default=os.path.join(os.path.dirname(HERE), "..", "shared", "data"))
    p.add_argument("--out", help="write <out>/<set>.json and <out>/<set>.md")
    a = p.parse_args()
    for s in a.sets:
        res = run(s, a.labels_from, os.path.abspath(a.data_root))
        md = markdown(res)
        print(md)
        if a.out:
            os.makedirs(a.out, exist_ok=True)
            with open(os.path.join(a.out, f"{s}.json"), "w") as f:
                json.dump(res, f, indent=2)
            with open(os.path.join(a.out, f"{s}.md"), "w") as f:
                f.write(f"Command: `python benchmarks/temporal_penalty.py --set {s}`\n\n{md}\n")
