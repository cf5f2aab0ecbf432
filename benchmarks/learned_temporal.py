"""Learned filters through the temporal head, on the folds of a finished ``real_data.py`` run.

    python benchmarks/learned_temporal.py --run benchmarks/results/temporal_large/pascal_heart \
        --data-root ../shared/data/pascal_heart --models gammatone,iconnet --epochs 10

Question (issue 10): the ``temporal`` rows of ``wavefront compare`` use a front-end's *fixed* filters.
Do filters learned by the front-end's own supervised ``fit(X, y)`` do better through the same temporal
head? ``--heads`` picks what they learn through (``learning_head``): ``linear`` (a linear soft-max head
on per-filter mean and std) and/or ``temporal`` (dilated convolutions over the frames,
:class:`~sklearn_wavefront.networks.heads.TemporalConvHead`), ``max_epochs`` epochs each.
``--end-to-end`` adds the end-to-end classifier with ``--backend`` (default the temporal back-end,
``WaveformClassifier(backend="temporal")``: the compare's ``end-to-end`` row) for each model and for mel (fixed filters, the same back-end): the same network with the
filters learned or not. Every pipeline is the
compare's own temporal row (:func:`sklearn_wavefront.comparison.make_estimator`, with its length policy:
the same segments, per-recording decisions) on the run's recordings (its ``labels.csv``) and folds (the
test indices in its ``results.json``); the learned variant only sets the front-end's ``max_epochs``,
``batch_size`` and ``random_state``. The fixed row is recomputed and must equal the run's own ``temporal``
row (printed side by side: a check that the folds and data are the same).

Prints a markdown table: UA (MAcc for two classes) mean ± std over folds, per-fold scores, seconds per
fold. Nothing is tuned: ``--epochs`` is chosen before looking at any test fold.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sklearn_wavefront import comparison as cmp  # noqa: E402
from sklearn_wavefront.registry import BACKENDS  # noqa: E402
from sklearn_wavefront.datasets import load_audio_folder  # noqa: E402


def load_run(run, data_root):
    """A finished ``real_data.py`` run's recordings and folds, ready for new rows on the same folds.

    Returns ``(results, X, y, settings, policy, splits)``: the run's ``results.json``; its recordings
    (``labels.csv``, audio under ``data_root``) after the run's own length policy (checked to give the
    same mode and segment count); :class:`~sklearn_wavefront.comparison.Settings` of its rows on the
    CPU; the policy; ``(train, test)`` index pairs of its folds.
    """
    with open(os.path.join(run, "results.json")) as f:
        res = json.load(f)
    s = res["settings"]
    sr = int(s["sample_rate"])
    bunch = load_audio_folder(data_root, labels=os.path.abspath(os.path.join(run, "labels.csv")),
                              sample_rate=sr, duration=None)
    y = np.asarray(bunch.target)
    lp = s["length_policy"]
    X, policy = cmp.apply_length_policy(list(bunch.data), sr, max_duration=lp["cap_seconds"])
    assert policy.mode == lp["mode"] and policy.n_segments == lp["n_segments"], (policy, lp)
    settings = cmp.Settings(sample_rate=sr, n_filters=s["n_filters"], random_state=s["random_state"], device="cpu",
                            temporal_features=s.get("temporal_features", 5000),
                            segment_seconds=policy.segment_seconds if policy.mode == "segment" else None)
    n = len(y)
    splits = [(np.setdiff1d(np.arange(n), fold["test"]), np.asarray(fold["test"])) for fold in res["folds"]]
    return res, X, y, settings, policy, splits


def paper_estimator(name, settings, epochs):
    """The papers' training recipes (issue 10, mean 3), as far as this package has them.

    * ``iconnet``: :class:`~sklearn_wavefront.IConNetClassifier` (mel-spaced FIR-window bands, bands
      and windows learned), RAdam with the one-cycle schedule, an FFN of 512 with LayerNorm, up to
      ``epochs`` epochs with early stopping (patience 10) on an inner split of the training data
      grouped by recording;
    * ``spectnet``: :class:`~sklearn_wavefront.SpectNetClassifier` (mel-spaced gammatones, 2-D
      ResNet), the package's AdamW with the one-cycle schedule, the same early stopping.
    """
    import torch

    from sklearn_wavefront import IConNetClassifier, SpectNetClassifier
    from sklearn_wavefront.segmenting import SegmentedClassifier

    common = dict(sample_rate=settings.sample_rate, n_filters=settings.n_filters, max_epochs=epochs,
                  early_stopping=True, patience=10, batch_size=settings.batch_size, lr=settings.lr,
                  random_state=settings.random_state, device="cpu")
    fk = cmp.frontend_kwargs("iconnet" if name == "iconnet" else "gammatone", settings.sample_rate, settings.n_filters)
    if name == "iconnet":
        est = IConNetClassifier(optimizer=torch.optim.RAdam, module__hidden=(512,), module__kernel_size=fk["kernel_size"],
                                module__stride=fk["stride"], **common)
    elif name == "spectnet":
        est = SpectNetClassifier(module__kernel_size=fk["kernel_size"], **common)
    else:
        raise ValueError(f"unknown recipe {name!r}; choose from iconnet, spectnet")
    if settings.segment_seconds is not None:
        est = SegmentedClassifier(est, segment_seconds=settings.segment_seconds, sample_rate=settings.sample_rate)
    return est


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="a real_data.py output folder (results.json, labels.csv)")
    p.add_argument("--data-root", required=True, help="the set's folder (audio paths in labels.csv are absolute)")
    p.add_argument("--models", default="gammatone,iconnet")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--heads", default="linear", help="learning heads, comma-separated: linear, temporal")
    p.add_argument("--end-to-end", action="store_true", help="add end-to-end rows (back-end: --backend)")
    p.add_argument("--backend", default="temporal", choices=BACKENDS,
                   help="back-end of the end-to-end rows (default: %(default)s)")
    p.add_argument("--no-fixed", action="store_true", help="skip the fixed rows (already in an earlier table)")
    p.add_argument("--paper-epochs", type=int, default=60)
    p.add_argument("--paper", default="", help="papers' recipes, comma-separated: iconnet, spectnet (see paper_estimator)")
    args = p.parse_args(argv)
    res, X, y, settings, policy, splits = load_run(args.run, args.data_root)
    classes = np.unique(y)
    key = "macc" if len(classes) == 2 else "ua"
    n = len(y)
    print(f"# {args.run}: {n} recordings, {len(splits)} folds, {policy.mode}; {args.epochs} epochs", file=sys.stderr)
    lines = []
    heads = args.heads.split(",") if args.heads else []
    variants = [] if args.no_fixed else [("fixed", "temporal", None)]
    variants += [(f"learned ({args.epochs} ep, {h} head)", "temporal", h) for h in heads]
    if args.end_to_end:
        variants.append((f"end to end, {args.backend} back-end ({args.epochs} ep)", "end-to-end", None))
    models = [m for m in args.models.split(",") if m]
    if args.end_to_end and "mel" not in models:
        models.append("mel")  # the same network with fixed filters
    paper = [m for m in args.paper.split(",") if m]
    if paper:  # one row each, after the others
        models += [f"paper:{m}" for m in paper]
    prefix = "estimator__" if settings.segment_seconds is not None else ""
    e2e_settings = dataclasses.replace(settings, backend=args.backend, epochs=args.epochs, batch_size=args.batch_size)
    for model in models:
        own = [r[key] for r in res["rows"] if r["model"] == model and r["kind"] == "temporal"]
        rows = [(f"paper recipe ({args.paper_epochs} ep max, early stopping)", "paper", None)] \
            if model.startswith("paper:") else variants
        for label, kind, head in rows:
            if model == "mel" and (head is not None):
                continue  # no learnable filters
            scores, seconds = [], []
            for train, test in splits:
                if kind == "paper":
                    est = paper_estimator(model.split(":")[1], settings, args.paper_epochs)
                elif kind == "end-to-end":
                    est = cmp.make_estimator(model, kind, e2e_settings)
                else:
                    est = cmp.make_estimator(model, "temporal", settings)
                if head is not None:
                    est.set_params(**{f"{prefix}frontend__max_epochs": args.epochs,
                                      f"{prefix}frontend__learning_head": head,
                                      f"{prefix}frontend__batch_size": args.batch_size,
                                      f"{prefix}frontend__random_state": settings.random_state})
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit(X[train], y[train])
                    pred = est.predict(X[test])
                seconds.append(time.perf_counter() - t0)
                scores.append(cmp.fold_scores(y[test], pred, classes)["MAcc" if key == "macc" else "UA"])
                print(f"  {model} {label} fold {len(scores)}: {scores[-1]:.3f} ({seconds[-1]:.1f} s)", file=sys.stderr,
                      flush=True)
            ref = f" (run's own: {np.mean(own):.3f})" if label == "fixed" and own else ""
            name = f"{model} {label}" + (" -> head" if kind == "temporal" else "")
            lines.append(f"| {name} | {np.mean(scores):.3f} ± {np.std(scores):.3f}{ref} | "
                         f"{' / '.join(f'{v:.3f}' for v in scores)} | {np.mean(seconds):.1f} |")
            print(lines[-1], flush=True)
    print(f"\n| pipeline | {key.upper()} | per fold | s / fold |\n|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
