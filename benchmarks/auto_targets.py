"""The ``auto`` row against the baselines and against every candidate in hindsight, on the shared sets.

    python benchmarks/auto_targets.py --set gm_pitch [--budget 10] [--out benchmarks/results/auto]
    python benchmarks/auto_targets.py --summary --out benchmarks/results/auto   # the targets, every set

For one set (the subsets and folds of ``benchmarks/real_data.py``'s presets):

1. ``wavefront compare`` as a user runs it, with the baselines (chance, MFCC, openSMILE eGeMAPS and
   ComParE 2016, MiniRocket, MultiRocket-Hydra) and the default ``auto`` row (its choice per fold, the
   inner scores of every candidate);
2. **every candidate in hindsight**: each of ``auto``'s default candidates fitted on each outer
   training fold (the same recordings, settings and seed as the search's refit) and scored on its test
   fold, with its probabilities kept;
3. from these, with no further fit: the soft vote of the three best candidates by inner score (what
   ``auto-ensemble`` predicts), the regret (best candidate in hindsight minus ``auto``), and a check
   that ``auto``'s score in each fold is that of the candidate it chose.

``--summary`` reads every finished set and prints the issue's targets (``auto`` >= best baseline + 2
points where a candidate beats it by >= 3 in hindsight, never below it - 1; regret <= 1.5) and the
leave-one-set-out check of the candidate grid: for each set, the grid made of the candidates that
were the best in hindsight on *another* set (plus the baselines), and what ``auto`` restricted to
that grid scores on the held-out set (choices re-made from the saved inner scores: exact when the
search scored every candidate on all the recordings, which the summary says).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import real_data  # noqa: E402

from sklearn_wavefront import comparison as cmp  # noqa: E402
from sklearn_wavefront.auto import DEFAULT_CANDIDATES, RecipeClassifier, candidate_name  # noqa: E402
from sklearn_wavefront.cli import main  # noqa: E402
from sklearn_wavefront.length_policy import apply_length_policy  # noqa: E402
from sklearn_wavefront.metrics import unweighted_accuracy_score  # noqa: E402

BASELINE_MODELS = "dummy,mfcc+logreg,egemaps+logreg,compare2016+logreg,minirocket,mrhydra"


def run_compare(name, args, outdir):
    """Step 1: the user's command, baselines and auto."""
    preset = dict(real_data.PRESETS[name])
    if args.per_cell is not None:
        preset["per_cell"] = args.per_cell
    labels = real_data.write_labels(name, os.path.join(args.data_root, name), preset["per_cell"], args.seed, outdir)
    argv = [
        "compare", "--data", os.path.join(args.data_root, name), "--labels", os.path.abspath(labels),
        "--sample-rate", str(preset["sample_rate"]), "--max-duration", str(preset["max_duration"]),
        "--folds", str(preset["folds"]), "--models", BASELINE_MODELS + ",auto", "--kinds", "baseline,auto",
        "--budget", str(args.budget), "--random-state", str(args.seed), "--output-dir", os.path.join(outdir, "compare"),
        "--no-plots", "--no-report", *preset["extra"],
    ]
    t0 = time.perf_counter()
    code = main(argv)
    if code != 0:
        raise SystemExit(code)
    return preset, labels, time.perf_counter() - t0, "wavefront " + " ".join(argv)


def run_hindsight(name, args, outdir, preset, labels):
    """Step 2: every default candidate on every outer fold, as the search would refit it."""
    result = cmp.CompareResult.from_json(os.path.join(outdir, "compare", "results.json"))
    s = result.settings
    extra = preset["extra"]
    group_column = extra[extra.index("--group-column") + 1] if "--group-column" in extra else None
    bunch, _ = cmp.load_folder(os.path.join(args.data_root, name), labels=labels, sample_rate=preset["sample_rate"])
    y = np.asarray(bunch.target)
    groups = None if group_column is None else np.asarray(cmp.folder_column(bunch, group_column, "group_column", labels))
    sr = int(bunch.sample_rate)
    X, policy = apply_length_policy(list(bunch.data), sr, max_duration=preset["max_duration"])
    classes = np.unique(y)
    tests = [np.asarray(f["test"]) for f in result.folds]
    out = {"classes": [str(c) for c in classes], "folds": []}
    path = os.path.join(outdir, "hindsight.json")
    for k, test in enumerate(tests):
        train = np.setdiff1d(np.arange(len(y)), test)
        fold = {"fold": k, "candidates": {}}
        for params in DEFAULT_CANDIDATES:
            nm = candidate_name(params)
            est = RecipeClassifier(
                sample_rate=sr, segment_seconds=policy.segment_seconds if policy.mode == "segment" else None,
                random_state=s["random_state"], batch_size=s["batch_size"], lr=s["lr"], backend=s["backend"],
                temporal_features=s["temporal_features"], minirocket_kernels=s["minirocket_kernels"],
                device=s["device"], penalty_groups=s.get("penalty_groups") == "group-column",
                **{k2: v for k2, v in params.items()})
            t0 = time.perf_counter()
            try:
                est.fit(X[train], y[train], groups=None if groups is None else groups[train])
            except ImportError as exc:  # a baseline's library is missing: said, not scored
                fold["candidates"][nm] = {"error": str(exc)}
                continue
            seconds = time.perf_counter() - t0
            proba = est.predict_proba(X[test])
            pred = est.classes_[proba.argmax(1)]
            fold["candidates"][nm] = {"ua": float(unweighted_accuracy_score(y[test], pred)), "fit_seconds": seconds,
                                      "epochs_run": est.epochs_run_, "proba": proba.tolist()}
            print(f"[hindsight {name}] fold {k + 1}/{len(tests)} {nm:<24} UA {fold['candidates'][nm]['ua']:.3f} "
                  f"fit {seconds:.1f} s", file=sys.stderr, flush=True)
        out["folds"].append(fold)
        with open(path, "w") as f:
            json.dump(out, f)
    out["y_test"] = [[str(v) for v in y[t]] for t in tests]
    with open(path, "w") as f:
        json.dump(out, f)
    return out


def _ua(y_true, proba, classes):
    return float(unweighted_accuracy_score(y_true, np.asarray(classes)[np.asarray(proba).argmax(1)]))


def analyse(name, outdir):
    """Step 3 for one set: the rows of its table, from the saved results (no fit)."""
    result = cmp.CompareResult.from_json(os.path.join(outdir, "compare", "results.json"))
    with open(os.path.join(outdir, "hindsight.json")) as f:
        hs = json.load(f)
    classes = hs["classes"]
    n_folds = len(result.folds)
    rows = {}
    for r in result.rows:
        key = r["model"] if r["kind"] != "auto" else "auto"
        rows.setdefault(key, [None] * n_folds)[r["fold"]] = r["ua"]
    choices = {r["fold"]: r["choice"] for r in result.rows if r["kind"] == "auto"}
    cand_names = [candidate_name(p) for p in DEFAULT_CANDIDATES]
    hind = {nm: [hs["folds"][k]["candidates"].get(nm, {}).get("ua") for k in range(n_folds)] for nm in cand_names}
    ens, exact = [], True
    for k in range(n_folds):
        inner = choices[k]["inner_scores"]
        # as AutoWavefrontClassifier(ensemble=3): the three best of the search's last round
        last = max(v["n_recordings"] for v in inner.values())
        ranked = sorted((nm for nm in inner if inner[nm]["ua"] is not None and inner[nm]["n_recordings"] == last),
                        key=lambda nm: (-inner[nm]["ua"], cand_names.index(nm)))
        top = [nm for nm in ranked if "proba" in hs["folds"][k]["candidates"].get(nm, {})][:3]
        # exact: every default candidate scored on all the recordings (none dropped by the budget or halved)
        exact &= len(inner) == len(cand_names) and len({v["n_recordings"] for v in inner.values()}) == 1
        proba = np.mean([hs["folds"][k]["candidates"][nm]["proba"] for nm in top], axis=0)
        ens.append(_ua(hs["y_test"][k], proba, classes))
        chosen = choices[k]["name"]
        expected = hs["folds"][k]["candidates"].get(chosen, {}).get("ua")
        if expected is not None and abs(expected - rows["auto"][k]) > 1e-9:
            print(f"note: {name} fold {k + 1}: auto scored {rows['auto'][k]:.4f} but its choice {chosen} "
                  f"{expected:.4f} in hindsight", file=sys.stderr)
    rows["auto-ensemble (top 3)"] = ens
    return {"rows": rows, "hindsight": hind, "choices": choices, "exhaustive": exact, "settings": result.settings}


def _mean(v):
    v = [x for x in v if x is not None]
    return float(np.mean(v)) if v else float("nan")


def render(name, outdir, info):
    from sklearn_wavefront.verdict import paired_difference, verdict

    a = analyse(name, outdir)
    rows, hind = a["rows"], a["hindsight"]
    baselines = [m for m in rows if m in BASELINE_MODELS.split(",")]
    best_base = max(baselines, key=lambda m: _mean(rows[m]))
    best_cand = max(hind, key=lambda m: _mean(hind[m]))
    s = a["settings"]
    ratio = s.get("test_train_ratio")
    lines = [f"#### {name}", "",
             f"- {info.get('started', '')}; {s['data_description']}; {s['folds']} folds ({s['grouping_text']}); "
             f"budget {s.get('budget')} min per outer fold; wall {info.get('wall_minutes', float('nan')):.1f} min "
             f"(compare {info.get('compare_minutes', float('nan')):.1f}, hindsight {info.get('hindsight_minutes', float('nan')):.1f}).",
             f"- Length policy: {s['length_policy']['message']}",
             f"- Command: `{info.get('command', '')}`",
             "- Searches scored every candidate on all recordings (choices exact under other grids)" if a["exhaustive"]
             else "- Some searches halved (their inner scores of early losers are on fewer recordings)",
             "",
             "| row | UA (mean ± std) | per fold | ΔUA vs best baseline (paired) | p | verdict |",
             "|---|---|---|---|---|---|"]

    def line(label, ua):
        arr = np.array([np.nan if v is None else v for v in ua], dtype=float)
        d = paired_difference(arr, np.array(rows[best_base], dtype=float), ratio)
        ref = label == best_base
        lines.append(f"| {label} | {np.nanmean(arr):.3f} ± {np.nanstd(arr):.3f} | "
                     f"{' / '.join('n/a' if np.isnan(v) else f'{v:.3f}' for v in arr)} | "
                     + ("0 (reference) | | |" if ref else
                        f"{d.mean:+.3f} ± {d.std:.3f} | {'' if np.isnan(d.p_value) else f'{d.p_value:.3f}'} | {verdict(d)} |"))

    for m in baselines:
        line(m, rows[m])
    line("**auto**", rows["auto"])
    line("auto-ensemble (top 3, from the same search)", rows["auto-ensemble (top 3)"])
    for nm in hind:
        line(f"candidate: {nm}", hind[nm])
    margin = _mean(hind[best_cand]) - _mean(rows[best_base])
    gain = _mean(rows["auto"]) - _mean(rows[best_base])
    regret = _mean(hind[best_cand]) - _mean(rows["auto"])
    target = ("auto >= best baseline + 0.02" if margin >= 0.03 else "auto >= best baseline - 0.01")
    met = gain >= 0.02 if margin >= 0.03 else gain >= -0.01
    lines += ["", f"- Best baseline: {best_base} {_mean(rows[best_base]):.3f}; best candidate in hindsight: {best_cand} "
              f"{_mean(hind[best_cand]):.3f} ({margin:+.3f} over the baseline).",
              f"- Target: {target}: auto {gain:+.3f} -> {'met' if met else 'NOT met'}; regret {regret:+.3f} -> "
              f"{'met' if regret <= 0.015 else 'NOT met'} (<= 0.015).",
              "- auto's choices per fold: " + "; ".join(f"{k + 1}: {cmp.choice_text(c)}"
                                                       for k, c in sorted(a["choices"].items()))]
    return "\n".join(lines), {"best_baseline": best_base, "margin": margin, "gain": gain, "regret": regret,
                              "met": met, "rows": rows, "hindsight": hind, "choices": a["choices"]}


def loso(outroot, sets):
    """Leave one set out: the grid chosen on the other sets, checked on the held-out one."""
    data = {}
    for name in sets:
        with open(os.path.join(outroot, name, "benchmark.json")) as f:
            info = json.load(f)
        data[name] = render(name, os.path.join(outroot, name), info)[1]
    base_names = [m for m in BASELINE_MODELS.split(",")]
    lines = ["| held-out set | grid chosen on the others | auto (full grid) | auto (that grid) | best baseline |",
             "|---|---|---|---|---|"]
    for held in sets:
        grid = {max(data[o]["hindsight"], key=lambda m: _mean(data[o]["hindsight"][m])) for o in sets if o != held}
        grid |= {candidate_name(p) for p in DEFAULT_CANDIDATES if p["model"] in base_names}
        scores = []
        for k, c in sorted(data[held]["choices"].items()):
            inner = {nm: v["ua"] for nm, v in c["inner_scores"].items() if nm in grid and v["ua"] is not None}
            if not inner:  # no candidate of the grid was scored in this fold: no choice to re-make
                scores.append(None)
                continue
            pick = max(inner, key=lambda nm: inner[nm])  # the first on a tie, as the search
            scores.append(data[held]["hindsight"][pick][k])
        lines.append(f"| {held} | {', '.join(sorted(grid))} | {_mean(data[held]['rows']['auto']):.3f} | "
                     f"{_mean(scores):.3f} | {data[held]['best_baseline']} {_mean(data[held]['rows'][data[held]['best_baseline']]):.3f} |")
    return "\n".join(lines)


def main_cli():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", choices=sorted(real_data.PRESETS), action="append", dest="sets")
    p.add_argument("--data-root", default=os.path.join(os.path.dirname(HERE), "..", "shared", "data"))
    p.add_argument("--out", default=os.path.join(HERE, "results", "auto"))
    p.add_argument("--budget", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--per-cell", type=int, help="recordings per cell of the subset (default: the preset's)")
    p.add_argument("--summary", action="store_true", help="the targets and the leave-one-set-out check of every finished set")
    args = p.parse_args()
    if args.summary:
        sets = [s for s in sorted(real_data.PRESETS) if os.path.exists(os.path.join(args.out, s, "benchmark.json"))]
        for name in sets:
            with open(os.path.join(args.out, name, "benchmark.json")) as f:
                print(render(name, os.path.join(args.out, name), json.load(f))[0] + "\n")
        if len(sets) > 1:
            print(loso(args.out, sets))
        return
    for name in args.sets or []:
        outdir = os.path.join(args.out, name)
        os.makedirs(outdir, exist_ok=True)
        started = datetime.datetime.now(datetime.timezone.utc)
        t0 = time.perf_counter()
        preset, labels, compare_seconds, command = run_compare(name, args, outdir)
        t1 = time.perf_counter()
        run_hindsight(name, args, outdir, preset, labels)
        info = {"started": f"{started:%Y-%m-%d %H:%M} UTC, {real_data.hardware()}",
                "wall_minutes": (time.perf_counter() - t0) / 60, "compare_minutes": compare_seconds / 60,
                "hindsight_minutes": (time.perf_counter() - t1) / 60, "command": command}
        with open(os.path.join(outdir, "benchmark.json"), "w") as f:
            json.dump(info, f, indent=2)
        text = render(name, outdir, info)[0]
        with open(os.path.join(args.out, f"{name}.md"), "w") as f:
            f.write(text + "\n")
        print(text)


if __name__ == "__main__":
    main_cli()
