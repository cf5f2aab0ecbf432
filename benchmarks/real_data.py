"""`wavefront compare` on the four shared data sets; writes one markdown table per set.

    python benchmarks/real_data.py --set fsdd          [--data-root ../shared/data] [--out benchmarks/results]
    python benchmarks/real_data.py --set yaseen_heart
    python benchmarks/real_data.py --set pascal_heart
    python benchmarks/real_data.py --set gm_pitch
    python benchmarks/real_data.py --across --out DIR  # one table over every finished set, with verdicts

Each set runs the same command a user would (:func:`sklearn_wavefront.cli.main`) on a labels file
this script derives (a subset of the recordings, the label mapping, the grouping columns), written
beside the results with absolute paths. Settings are sized to about 30 minutes per set on 2 cores;
``--per-cell``, ``--folds``, ``--epochs``, ``--models``, ``--kinds``, ``--extra-rows`` override them (and are
recorded). Rows: the baselines (chance, MFCC, openSMILE eGeMAPS and ComParE 2016 functionals, MiniRocket,
MultiRocket-Hydra on the decimated waveform) and every front-end with fixed filters, plus the rows in
``extra_rows``:
the cheap temporal rows of mel, gammatone and iconnet (fixed filters' frames -> MiniRocketHead and
per-channel mean/std -> scaler -> ridge)
and the costly ones (learned comb and gammatone filters, end-to-end comb and mel) that the budget allows,
and the ``auto`` row (the recipe chosen on inner splits of each training fold, within ``--budget``
minutes per fold; ``benchmarks/auto_targets.py`` sets it beside every candidate in hindsight).

* ``fsdd`` (Free Spoken Digit Dataset): 10 digits, folds grouped by **speaker** (no speaker in both
  the training and the test part), ``--per-cell`` recordings per (digit, speaker) drawn at random.
* ``yaseen_heart``: 5 classes, stratified 5-fold. **Caveat**: the set has no patient ids, so
  recordings of one patient may sit in training and test folds; scores can be optimistic.
* ``pascal_heart`` (PASCAL CHSC2011 A+B): labels mapped to **normal** (normal, noisynormal) vs
  **abnormal** (murmur, noisymurmur, extrahls, extrastole); ``artifact`` and ``unlabelled`` dropped.
  Domain = ``dataset`` (set_a iStethoscope 44.1 kHz vs set_b DigiScope 4 kHz, resampled to 4 kHz);
  end-to-end rows train on double-balanced (class x device) batches; folds grouped by patient
  (set_b ``id_prefix``, a probable patient id; set_a recordings have no subject information and each
  is its own group); recordings cut into segments and decided per recording (MAcc is recording-level).
* ``gm_pitch``: 12 pitch classes of eight General MIDI instruments (rendered, 1 s at 16 kHz), folds
  grouped by **instrument** (the test timbres are never heard in training), ``--per-cell`` notes per
  (pitch class, instrument).

Output: ``<out>/<set>.md`` (date, hardware, command, settings, the table) and ``<out>/<set>/``
(``results.json``, ``results.csv``, the derived ``labels.csv``).

Runs kept in ``benchmarks/results/`` (indexed in ``benchmarks/README.md``; the tables are in the
documentation's *How well it works*):

* ``main/``, ``fixed_rows/``, ``mel_end_to_end/``, ``comb_end_to_end/``, ``gammatone_learned/``
  (2026-11-27, the ``ffn`` back-end): one set's rows split over five processes on the same recordings,
  folds and seeds, merged by ``--render-only --also``; ``main/<set>.md`` is the merged table. The
  ``main`` run was stopped once its rows were done: its per-fold scores are in ``main/<set>.log``; the
  per-fold JSON lines that ``--render-only --also`` reads (``main/<set>/results.partial.jsonl``, with UF1
  and confusion matrices) were removed with the other leftovers of interrupted runs and stay in the
  history: ``git show 3159cf9:benchmarks/results/main/fsdd/results.partial.jsonl``.
* ``default_kinds/``, ``temporal/``, ``temporal_large/``: the previous temporal recipe (MiniRocket
  features alone, unscaled, penalty by leave-one-out over segments).
* ``default_kinds_grouped/``, ``temporal_grouped/``, ``temporal_grouped_large/``: the current recipe.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sklearn_wavefront import comparison as cmp  # noqa: E402
from sklearn_wavefront.cli import main  # noqa: E402

# sized for ~30 min per set on 2 (shared) cores; every value is printed with the table
_ROWS = dict(
    models="dummy,mfcc+logreg,egemaps+logreg,compare2016+logreg,minirocket,mrhydra,comb,iconnet,gammatone,mel,mfcc",
    kinds="baseline,fixed,auto",
    # the costly rows (learned filters, end to end), chosen to fit the time budget
    extra_rows="comb:learned,gammatone:learned,comb:end-to-end,mel:end-to-end,"
               "mel:temporal,gammatone:temporal,iconnet:temporal",
)
PRESETS = {
    "fsdd": dict(per_cell=5, folds=3, sample_rate=8000, max_duration=1.0, epochs=4, n_filters=16,
                 extra=["--group-column", "speaker"], **_ROWS),
    "yaseen_heart": dict(per_cell=20, folds=5, sample_rate=4000, max_duration=2.0, epochs=4, n_filters=16,
                         extra=[], **_ROWS),
    "pascal_heart": dict(per_cell=20, folds=4, sample_rate=4000, max_duration=3.0, epochs=4, n_filters=16,
                         extra=["--group-column", "patient", "--domain-column", "dataset", "--balance", "class_domain"],
                         **_ROWS),
    # pitch classes of eight General MIDI instruments; folds grouped by instrument (a timbre never heard)
    "gm_pitch": dict(per_cell=2, folds=4, sample_rate=16000, max_duration=1.0, epochs=4, n_filters=16,
                     extra=["--group-column", "instrument"], **_ROWS),
}

PASCAL_MAP = {"normal": "normal", "murmur": "abnormal", "extrahls": "abnormal", "extrastole": "abnormal"}


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _subset(rows, key, per_cell, seed):
    """At most ``per_cell`` rows of every cell ``key(row)``, drawn at random (fixed seed)."""
    if per_cell is None:
        return rows
    rng = np.random.default_rng(seed)
    cells = {}
    for r in rows:
        cells.setdefault(key(r), []).append(r)
    out = []
    for k in sorted(cells):
        idx = rng.permutation(len(cells[k]))[:per_cell]
        out += [cells[k][i] for i in sorted(idx)]
    return out


def derive_labels(name, root, per_cell, seed):
    """Rows (path absolute, label, groups/domains) of the derived labels file, and its columns."""
    rows = _read(os.path.join(root, "labels.csv"))
    for r in rows:
        r["path"] = os.path.join(root, r["path"])
    if name == "fsdd":
        rows = _subset(rows, lambda r: (r["label"], r["speaker"]), per_cell, seed)
        return [{"path": r["path"], "label": r["label"], "speaker": r["speaker"]} for r in rows], ["path", "label", "speaker"]
    if name == "yaseen_heart":
        rows = _subset(rows, lambda r: r["label"], per_cell, seed)
        return [{"path": r["path"], "label": r["label"]} for r in rows], ["path", "label"]
    if name == "pascal_heart":
        rows = [r for r in rows if r["label"] in PASCAL_MAP]
        out = []
        for r in rows:
            patient = f"b{r['id_prefix']}" if r["id_prefix"] else f"a:{os.path.basename(r['path'])}"
            out.append({"path": r["path"], "label": PASCAL_MAP[r["label"]], "dataset": r["dataset"], "patient": patient})
        out = _subset(out, lambda r: (r["label"], r["dataset"]), per_cell, seed)
        return out, ["path", "label", "dataset", "patient"]
    if name == "gm_pitch":
        rows = _subset(rows, lambda r: (r["label"], r["instrument"]), per_cell, seed)
        return ([{"path": r["path"], "label": r["label"], "instrument": r["instrument"]} for r in rows],
                ["path", "label", "instrument"])
    raise ValueError(f"unknown set {name!r}")


def write_labels(name, root, per_cell, seed, outdir):
    """The labels file of the subset (:func:`derive_labels`), written to ``outdir``; returns its path."""
    rows, columns = derive_labels(name, root, per_cell, seed)
    labels = os.path.join(outdir, "labels.csv")
    with open(labels, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return labels


def hardware():
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        model = platform.processor() or "?"
    return f"{os.cpu_count()} CPU cores ({model}), {platform.system()} {platform.machine()}; load average at start {load[0]:.1f}"


def run(name, args):
    preset = dict(PRESETS[name])
    for key in ("per_cell", "folds", "epochs", "models", "kinds", "extra_rows", "max_duration", "n_filters"):
        value = getattr(args, key)
        if value is not None:
            preset[key] = value
    root = os.path.join(args.data_root, name)
    outdir = os.path.join(args.out, name)
    os.makedirs(outdir, exist_ok=True)
    labels = write_labels(name, root, preset["per_cell"], args.seed, outdir)
    argv = [
        "compare", "--data", root, "--labels", os.path.abspath(labels),
        "--sample-rate", str(preset["sample_rate"]), "--max-duration", str(preset["max_duration"]),
        "--folds", str(preset["folds"]), "--epochs", str(preset["epochs"]), "--n-filters", str(preset["n_filters"]),
        "--backend", preset.get("backend", "temporal"),
        "--models", preset["models"], "--kinds", preset["kinds"], "--rows", preset["extra_rows"],
        "--budget", str(args.budget),
        "--random-state", str(args.seed),
        "--n-jobs", str(args.n_jobs), "--output-dir", outdir, "--no-plots", *preset["extra"],
    ]
    started = datetime.datetime.now(datetime.timezone.utc)
    hw = hardware()
    t0 = time.perf_counter()
    code = main(argv)
    wall = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(code)
    command = f"python benchmarks/real_data.py --set {name}" + "".join(
        f" --{k.replace('_', '-')} {getattr(args, k)}"
        for k in ("per_cell", "folds", "epochs", "models", "kinds", "extra_rows", "max_duration", "n_filters")
        if getattr(args, k) is not None
    )
    with open(os.path.join(outdir, "benchmark.json"), "w") as f:
        json.dump({"started": f"{started:%Y-%m-%d %H:%M} UTC", "hardware": hw, "wall_minutes": wall / 60,
                   "per_cell": preset["per_cell"], "command": command}, f, indent=2)
    print(render(name, args.out))


def _rows_of(outdir):
    """Finished (row, fold) results of a run folder: ``results.json`` rows, else the partial file."""
    if os.path.exists(os.path.join(outdir, "results.json")):
        with open(os.path.join(outdir, "results.json")) as f:
            return json.load(f)["rows"]
    path = os.path.join(outdir, "results.partial.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _partial(name, out, log, also=()):
    """``results.json``-like content of an unfinished run: its finished rows (all folds done).

    Reads ``results.partial.jsonl`` (written as each (row, fold) finishes) and the run's log (for
    the data description and the length policy); rows with missing folds are listed as unfinished.
    """
    from sklearn_wavefront import __version__  # noqa: F401

    outdir = os.path.join(out, name)
    done, seen = [], set()
    for d in [outdir, *(os.path.join(a, name) for a in also)]:
        if also and _read(os.path.join(d, "labels.csv")) != _read(os.path.join(outdir, "labels.csv")):
            raise ValueError(f"{d} ran on other recordings than {outdir}: not the same folds")
        for r in _rows_of(d):
            key = (r["model"], r["kind"], r["fold"])
            if key not in seen:
                seen.add(key)
                done.append(r)
    preset = PRESETS[name]
    text = open(log).read().splitlines() if log and os.path.exists(log) else []
    policy = next((t.split("length policy: ", 1)[1] for t in text if t.startswith("length policy: ")), "see the log")
    head = next((t for t in text if t.startswith("wavefront compare: ")), "")
    folds = preset["folds"]
    planned = head.split(" CV of ")[-1].split(" rows")[0] if " CV of " in head else "?"
    order = [k for k in ([(m, "baseline") for m in cmp.BASELINES]
                         + [(m, k) for m in cmp.FRONTENDS for k in cmp.FRONTEND_KINDS])
             if any((r["model"], r["kind"]) == k for r in done)]
    complete = [k for k in order if sum((r["model"], r["kind"]) == k for r in done) == folds]
    planned_rows, _ = cmp.plan_rows(preset["models"], preset["kinds"], extra_rows=preset["extra_rows"])
    missing = [k for k in planned_rows if k not in order]
    unfinished = [k for k in order if k not in complete]
    labels = _read(os.path.join(outdir, "labels.csv"))
    classes = sorted({r["label"] for r in labels})
    cls = np.array(classes)
    summary, _ = cmp.summarize(done, complete, cls)
    groups = {"fsdd": "speaker", "pascal_heart": "patient"}.get(name)
    settings = {
        "classes": classes, "n_recordings": len(labels), "sample_rate": preset["sample_rate"], "folds": folds,
        "grouping": {"group_column": groups,
                     "n_groups": len({r[groups] for r in labels}) if groups else None},
        "length_policy": {"message": policy}, "n_filters": preset["n_filters"], "epochs": preset["epochs"],
        # the end-to-end back-end of the merged runs (the tables before the temporal back-end used ffn)
        "backend": preset.get("backend", "temporal"), "temporal_features": 5000,
        "balance": "class_domain" if name == "pascal_heart" else None, "domain_column":
        "dataset" if name == "pascal_heart" else None, "minirocket_kernels": 10000, "random_state": 0,
        "versions": cmp.versions(), "macc_positive_class": classes[1] if len(classes) == 2 else None,
        "notes": [f"all {len(complete)} planned rows have all {folds} folds, merged from {1 + len(also)} runs on the "
                  "same recordings, folds and seeds (started one after the other: fit times of different runs were "
                  "measured under different CPU load)"] if not unfinished and not missing else [
                  f"UNFINISHED run: {len(complete)} of the {planned} planned rows have all {folds} folds; "
                  + ("left out, with some folds done: " + ", ".join(f"{m} {k}" for m, k in unfinished)
                     if unfinished else "no row partly done")
                  + (f"; not run: {', '.join(f'{m} {k}' for m, k in missing)}" if missing else "")
                  + ". The full run is the command below"
                  + (f" (rows merged from {1 + len(also)} runs on the same recordings, folds and seeds)" if also else "")],
    }
    st = os.stat(os.path.join(outdir, "labels.csv")).st_mtime
    bench = {"started": f"{datetime.datetime.fromtimestamp(st, datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
             "hardware": hardware().split("; load")[0] + " (shared with other jobs, load average 10-16)",
             # not a run time: from the start of the (first) run to this rendering of its partial or merged rows
             "elapsed_minutes": (time.time() - st) / 60, "per_cell": preset["per_cell"],
             "command": f"python benchmarks/real_data.py --set {name}"}
    return {"settings": settings, "summary": summary}, bench


def render(name, out, fmt="md", log=None, also=()):
    """The markdown of one set, from its ``results.json`` and ``benchmark.json`` (or a partial run)."""
    outdir = os.path.join(out, name)
    if not also and os.path.exists(os.path.join(outdir, "results.json")):
        with open(os.path.join(outdir, "results.json")) as f:
            res = json.load(f)
        with open(os.path.join(outdir, "benchmark.json")) as f:
            bench = json.load(f)
    else:
        res, bench = _partial(name, out, log, also)
    s = res["settings"]
    two = len(s["classes"]) == 2
    cell = {"fsdd": "(digit, speaker)", "yaseen_heart": "class", "pascal_heart": "(class, device)",
            "gm_pitch": "(pitch class, instrument)"}[name]
    folds = (f"{s['folds']}-fold CV grouped by `{s['grouping']['group_column']}` ({s['grouping']['n_groups']} groups), "
             "stratified" if s["grouping"]["group_column"] else f"{s['folds']}-fold stratified CV")
    subset = (f"at most {bench['per_cell']} recordings per {cell}, drawn at random (seed {s['random_state']})"
              if bench["per_cell"] else "all labelled recordings")
    items = [
        f"Measured {bench['started']} on {bench['hardware']}; "
        + (f"wall time {bench['wall_minutes']:.1f} min" if "wall_minutes" in bench else
           f"rendered {bench['elapsed_minutes']:.1f} min after the first run started (merged runs: not one run's "
           "wall time)")
        + ". The CPU was "
        "shared with other jobs: fit times are inflated and comparable only within the table.",
        f"Data: {s['n_recordings']} recordings ({subset}), {len(s['classes'])} classes, {s['sample_rate']} Hz; {folds}.",
        f"Length policy: {s['length_policy']['message']}.",
        f"Front-ends: {s['n_filters']} filters; learned and end-to-end rows: {s['epochs']} epoch(s), back-end "
        f"{s['backend']}" + (f", {s['balance']}-balanced batches (domain column `{s['domain_column']}`)" if s["balance"] else "")
        + f"; MiniRocket {s['minirocket_kernels']} kernels"
        + (f"; temporal rows: frames -> [MiniRocketHead ({84 * (s['temporal_features'] // 84)} features), per-channel "
           "mean and std] -> scaler -> ridge (penalty: "
           + ("K-fold CV over the group column's groups" if s.get("penalty_groups") == "group-column"
              else "leave-one-out, or K-fold CV over whole recordings when segmented") + ")"
           if any(e["kind"] == "temporal" for e in res["summary"]) else "")
        + f"; random_state {s['random_state']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in s["versions"].items()) + ".",
        f"Command: `{bench['command']}`",
    ]
    if two:
        items.append(f"MAcc = (sensitivity + specificity) / 2 per recording, positive class `{s['macc_positive_class']}`.")
    if name == "yaseen_heart":
        items.append("Caveat: the set has no patient ids; one patient's recordings may sit in both the training and "
                     "the test part of a fold, which favours every row (most of all those that memorise recordings).")
    if name == "pascal_heart":
        items.append("Labels: normal (normal, noisynormal) vs abnormal (murmur, noisymurmur, extrahls, extrastole); "
                     "artifact and unlabelled recordings dropped. Groups: set_b `id_prefix` (probable patient id); "
                     "each set_a recording its own group (no subject information).")
    if s.get("mrhydra_input"):
        items.append(s["mrhydra_input"][0].upper() + s["mrhydra_input"][1:] + ".")
    if s.get("warm_up_seconds"):
        items.append("Compilation warm-up (once per run, outside the folds' fit times): "
                     + ", ".join(f"{m} {t:.1f} s" for m, t in s["warm_up_seconds"].items()) + ".")
    items += [f"Note: {note}." for note in s["notes"]]
    best_base = next((e["model"] for e in res["summary"] if e.get("verdict") == "reference"), None) or next(
        (e["model"] for e in res["summary"] if e["kind"] == "baseline" and e["delta_ua"] == 0.0), None)
    legend = (f"ΔUA (paired): each fold's UA minus that of the best baseline ({best_base}) on the same fold, mean ± "
              "std over folds; p and verdict: corrected resampled t-test (Nadeau & Bengio 2003), better / worse at "
              "p < 0.05, else within noise; the starred row (in bold), if any, is better than every baseline beyond "
              "the noise.")
    if fmt == "rst":
        title = {"fsdd": "Spoken digits (FSDD)", "yaseen_heart": "Heart-sound classes (Yaseen et al.)",
                 "pascal_heart": "Normal vs abnormal heart sounds across two devices (PASCAL A+B)",
                 "gm_pitch": "Pitch classes of unheard instruments (General MIDI, rendered)"}[name]
        return "\n".join([title, "~" * len(title), ""] + [f"* {_rst(i)}" for i in items]
                         + ["", _rst(legend), "", rst_table(res["summary"], two), ""])
    text = "\n".join([f"#### {name}", ""] + [f"- {item}" for item in items] + ["", legend, "",
                                                                              cmp.markdown_table(res["summary"], two), ""])
    with open(os.path.join(out, f"{name}.md"), "w") as f:
        f.write(text)
    return text


def _rst(text):
    return text.replace("`", "``").replace("````", "``")


def rst_table(summary, two):
    """reStructuredText list-table of a summary (the starred row in bold)."""
    header, body = cmp.table_cells(summary, two)
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for i, cells in enumerate([header, *body]):
        if i and cells[-1] == "*":
            cells = [f"**{c}**" for c in cells[:-1]] + ["**yes**"]
        for j, c in enumerate(cells):
            lines.append((("   * - " if j == 0 else "     - ") + c).rstrip())
    return "\n".join(lines)


def across_sets(out, sets=("fsdd", "yaseen_heart", "pascal_heart", "gm_pitch")):
    """One reStructuredText list-table of every row of ``out``'s finished sets, a column group per set:
    mean ± std UA (MAcc for two classes, which then equals UA), fit seconds, the paired ΔUA to that
    set's best baseline with its verdict (corrected resampled t-test: + better, = within noise,
    - worse beyond the noise); the starred row of each set (better than every baseline beyond the
    noise) in bold."""
    done = [n for n in sets if os.path.exists(os.path.join(out, n, "results.json"))]
    summaries = {}
    for name in done:
        with open(os.path.join(out, name, "results.json")) as f:
            summaries[name] = {(e["model"], e["kind"]): e for e in json.load(f)["summary"]}
    order = []
    for name in done:
        order += [k for k in summaries[name] if k not in order]
    header = ["model", "kind"]
    for name in done:
        header += [f"{name} {'MAcc' if summaries[name] and next(iter(summaries[name].values()))['macc'] is not None else 'UA'}",
                   "fit (s)", "ΔUA (verdict)"]
    lines = [".. list-table::", "   :header-rows: 1", ""]
    body = []
    for key in order:
        cells = list(key)
        for name in done:
            e = summaries[name].get(key)
            if e is None:
                cells += ["", "", ""]
                continue
            if e.get("n_diverged"):  # a row whose training diverged in some fold has no score
                cells += [f"diverged ({e['n_diverged']}/{e['n_folds']} folds)", f"{e['fit_seconds']:.1f}", "n/a"]
                continue
            score, std = (e["macc"], e["macc_std"]) if e["macc"] is not None else (e["ua"], e["ua_std"])
            bold = "**" if e["best"] else ""
            mark = {"better": " (+)", "within noise": " (=)", "worse": " (-)"}.get(e.get("verdict"), "")
            cells += [f"{bold}{score:.3f} ± {std:.3f}{bold}", f"{e['fit_seconds']:.1f}",
                      "n/a" if e["delta_ua"] is None else ("0 (ref.)" if e.get("verdict") == "reference"
                                                            else f"{e['delta_ua']:+.3f}{mark}")]
        body.append(cells)
    for cells in [header, *body]:
        for j, c in enumerate(cells):
            lines.append((("   * - " if j == 0 else "     - ") + c).rstrip())
    return "\n".join(lines)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--set", choices=sorted(PRESETS), action="append", dest="sets")
    p.add_argument("--data-root", default=os.path.join(os.path.dirname(HERE), "..", "shared", "data"))
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--per-cell", type=int)
    p.add_argument("--folds", type=int)
    p.add_argument("--epochs", type=int)
    p.add_argument("--models")
    p.add_argument("--kinds")
    p.add_argument("--extra-rows", help="model:kind pairs besides --models x --kinds (the CLI's --rows)")
    p.add_argument("--max-duration", type=float)
    p.add_argument("--n-filters", type=int)
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--budget", type=float, default=10.0, help="minutes of the auto row per outer fold (the CLI's --budget)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--render-only", action="store_true", help="only rewrite <out>/<set>.md from finished results")
    p.add_argument("--rst", action="store_true", help="with --render-only: print reStructuredText (for the documentation)")
    p.add_argument("--also", action="append", default=[],
                   help="with --render-only: another --out folder whose run of the same set adds rows")
    p.add_argument("--log", help="with --render-only of an unfinished run: its log (data description, length policy)")
    p.add_argument("--across", action="store_true",
                   help="print one reStructuredText table of every finished set under --out (a column group per set)")
    args = p.parse_args(argv)
    if not args.sets and not args.across:
        p.error("give --set NAME (one or more) or --across")
    return args


if __name__ == "__main__":
    args = parse()
    args.data_root = os.path.abspath(args.data_root)
    if args.across:
        print(across_sets(args.out))
    for name in args.sets or []:
        print(render(name, args.out, "rst" if args.rst else "md", args.log, args.also)) if args.render_only else run(name, args)
