"""`wavefront compare` tells the truth: baselines beside the front-ends, results files, length policy.

Tiny data, 2 folds, 1 epoch: these tests check behaviour and schema, not accuracy.
"""

import csv
import json

import numpy as np
import pytest

from sklearn_wavefront import comparison as cmp
from sklearn_wavefront.baselines import MFCCStatistics, delta
from sklearn_wavefront.cli import main

sf = pytest.importorskip("soundfile")

FAST = ["--epochs", "1", "--folds", "2", "--n-filters", "4", "--batch-size", "8", "--no-plots"]
TINY = ["--n-recordings", "16", "--n-classes", "2", "--sample-rate", "4000", "--duration", "0.25", *FAST]


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _table(out):
    """The printed table: its header cells and its rows as lists of cells, cut at the columns the
    rule under the header draws (cells such as "within noise" hold spaces)."""
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("model "))
    spans, start = [], 0
    for dashes in lines[i + 1].split("  "):
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 2

    def cells(line):
        return [line[a:b].strip() for a, b in spans]

    rows = []
    for line in lines[i + 2:]:
        if not line.strip() or line.startswith("results:"):
            break
        rows.append(cells(line))
    return cells(lines[i]), rows


def _json(path):
    with open(path / "results.json") as f:
        return json.load(f)


# ------------------------------------------------------------------------------------ table + JSON
def test_table_and_results_schema(tmp_path, capsys):
    code, out, err = _run(capsys, "compare", "--models", "dummy,mfcc+logreg,mel", "--kinds", "all", *TINY,
                          "--output-dir", str(tmp_path))
    assert code == 0, err
    header, rows = _table(out)
    assert header == ["model", "kind", "UA", "UF1", "MAcc", "fit (s)", "ΔUA (paired)", "p", "verdict", "best"]
    assert [(r[0], r[1]) for r in rows] == [
        ("dummy", "baseline"), ("mfcc+logreg", "baseline"), ("mel", "fixed"), ("mel", "temporal"), ("mel", "end-to-end")
    ]
    assert sum(r[-1] == "*" for r in rows) <= 1
    assert "ΔUA (paired): each fold's UA minus that of the best baseline" in out
    assert "corrected resampled t-test (Nadeau & Bengio, 2003)" in out
    assert ("temporal rows: fixed filters' frames -> [MiniRocketHead (4956 features), per-channel mean and std] "
            "-> scaler -> ridge") in out
    assert "the ridge penalties (MiniRocket, temporal rows) are chosen by leave-one-out inside each training fold" in out
    # progress: one line per (row, fold) with an ETA, on stderr
    progress = [line for line in err.splitlines() if line.startswith("[")]
    assert len(progress) == 10 and all("ETA" in line for line in progress)
    assert progress[-1].startswith("[10/10] mel")

    res = _json(tmp_path)
    assert set(res) == {"schema", "settings", "rows", "summary", "confusion_matrices", "folds"} and res["schema"] == 1
    assert len(res["rows"]) == 10
    for r in res["rows"]:
        assert set(r) == {"model", "kind", "fold", "ua", "uf1", "macc", "fit_seconds", "diverged", "choice"}
        assert r["diverged"] is None  # nothing diverged here (tests/test_cli.py covers a diverged row)
        assert r["kind"] in ("baseline", "fixed", "temporal", "learned", "end-to-end")
        assert isinstance(r["fold"], int) and 0 <= r["ua"] <= 1 and 0 <= r["uf1"] <= 1
        assert r["macc"] is not None and r["fit_seconds"] >= 0
    s = res["settings"]
    for key in ("versions", "random_state", "folds", "grouping", "sample_rate", "length_policy", "data", "command"):
        assert key in s
    assert set(s["versions"]) >= {"sklearn_wavefront", "torch", "scikit-learn", "aeon"}
    assert s["folds"] == 2 and s["sample_rate"] == 4000 and s["random_state"] == 0
    assert s["temporal_features"] == 5000 and s["kinds"] == ["baseline", "fixed", "temporal", "end-to-end"]
    assert "--models dummy,mfcc+logreg,mel --kinds all" in s["command"]
    assert s["length_policy"]["mode"] == "equal"
    # confusion matrices summed over folds: every recording counted once per row
    assert len(res["confusion_matrices"]) == 5
    for cm in res["confusion_matrices"]:
        assert np.asarray(cm["matrix"]).sum() == 16 and len(cm["labels"]) == 2

    # the table's UA column is the mean over the JSON's fold rows; ΔUA is the paired difference to
    # the best baseline on the same folds, its p the corrected resampled t-test, recomputed here
    from scipy import stats

    by_row = {(r[0], r[1]): r for r in rows}
    fold_ua = {}
    for (m, k) in by_row:
        fold_ua[m, k] = np.array([r["ua"] for r in sorted(res["rows"], key=lambda r: r["fold"])
                                  if r["model"] == m and r["kind"] == k])
        assert by_row[m, k][2].split(" ± ")[0] == f"{fold_ua[m, k].mean():.3f}"
    best = max([("dummy", "baseline"), ("mfcc+logreg", "baseline")], key=lambda key: fold_ua[key].mean())
    assert by_row[best][6:9] == ["0", "", "reference"]
    summary = {(e["model"], e["kind"]): e for e in res["summary"]}
    for key in [("mel", "fixed"), ("mel", "temporal"), ("mel", "end-to-end")]:
        d = fold_ua[key] - fold_ua[best]
        assert by_row[key][6] == f"{d.mean():+.3f} ± {d.std(ddof=1):.3f}"
        if d.std() == 0:  # no spread over two folds: no p, and no verdict but "within noise"
            assert summary[key]["p_value"] is None and by_row[key][7:9] == ["", "within noise"]
            continue
        t = d.mean() / np.sqrt((1 / 2 + 8 / 8) * d.var(ddof=1))  # 2 folds of 8 test, 8 training recordings
        p = 2 * stats.t.sf(abs(t), df=1)
        assert summary[key]["p_value"] == pytest.approx(p)
        assert by_row[key][7] == ("<0.001" if p < 0.001 else f"{p:.3f}")
        assert by_row[key][8] == ("within noise" if p >= 0.05 else "better" if d.mean() > 0 else "worse")
    # the star: the highest mean UA among the rows better than each baseline (recomputed), else none
    baselines = [key for key in by_row if key[1] == "baseline"]

    def beats_all(key):
        return key[1] != "baseline" and all(
            by_verdict(fold_ua[key], fold_ua[b]) == "better" for b in baselines)

    from sklearn_wavefront.verdict import paired_difference, verdict

    def by_verdict(a, b):
        return verdict(paired_difference(a, b, test_train_ratio=1.0))

    winners = [key for key in by_row if beats_all(key)]
    expected = max(winners, key=lambda key: fold_ua[key].mean()) if winners else None
    assert [key for key, r in by_row.items() if r[-1] == "*"] == ([expected] if expected else [])
    if expected is None:
        assert "no row is better than every baseline beyond the noise over these folds" in out

    # CSV: the same rows
    with open(tmp_path / "results.csv") as f:
        table = list(csv.DictReader(f))
    assert [(r["model"], r["kind"], r["fold"]) for r in table][:2] == [("dummy", "baseline", "0"), ("dummy", "baseline", "1")]
    assert [float(r["ua"]) for r in table] == pytest.approx([r["ua"] for r in res["rows"]], abs=1e-5)


def test_mfcc_logreg_rows_match_scikit_learn_on_the_same_folds(tmp_path, capsys):
    """Independent reference: cross_validate of the same pipeline on the folds written to the JSON."""
    from sklearn.metrics import balanced_accuracy_score

    from sklearn_wavefront.baselines import make_mfcc_logreg
    from sklearn_wavefront.datasets import make_harmonic_tones

    code, _, err = _run(capsys, "compare", "--models", "mfcc+logreg", *TINY, "--quiet", "--output-dir", str(tmp_path))
    assert code == 0, err
    res = _json(tmp_path)
    bunch = make_harmonic_tones(n_samples=16, n_classes=2, sample_rate=4000, duration=0.25, noise=1.0,
                                n_domains=2, random_state=0)
    X, y = np.asarray(bunch.data, dtype=np.float32), np.asarray(bunch.target)
    for fold in res["folds"]:
        test = np.array(fold["test"])
        train = np.setdiff1d(np.arange(len(y)), test)
        pred = make_mfcc_logreg(4000).fit(X[train], y[train]).predict(X[test])
        row = next(r for r in res["rows"] if r["fold"] == fold["fold"])
        assert row["ua"] == pytest.approx(balanced_accuracy_score(y[test], pred))


def test_plan_rows_with_extra_rows():
    rows, _ = cmp.plan_rows("dummy,mel", "baseline,fixed", extra_rows="comb:learned, mel:end-to-end")
    assert rows == [("dummy", "baseline"), ("comb", "learned"), ("mel", "fixed"), ("mel", "end-to-end")]
    for bad in ("mel:learned", "dummy:fixed", "comb:baseline", "comb", "wavelet:fixed", "dummy:temporal",
                "mel:temporel"):
        with pytest.raises(ValueError, match="--rows"):
            cmp.plan_rows("dummy", "baseline", extra_rows=bad)


# -------------------------------------------------------------------------------------- temporal rows
def test_temporal_rows_are_planned_for_every_front_end():
    rows, _ = cmp.plan_rows("dummy,mel,comb", "baseline,fixed,temporal")
    assert rows == [("dummy", "baseline"), ("comb", "fixed"), ("comb", "temporal"), ("mel", "fixed"),
                    ("mel", "temporal")]
    rows, _ = cmp.plan_rows("all", "temporal")
    assert rows == [(m, "temporal") for m in cmp.FRONTENDS]
    rows, _ = cmp.plan_rows("dummy", "baseline", extra_rows="gammatone:temporal,mel:temporal")
    assert rows == [("dummy", "baseline"), ("gammatone", "temporal"), ("mel", "temporal")]
    with pytest.raises(ValueError, match="'temporel'.*--kinds"):
        cmp.plan_rows("mel", "temporel")
    with pytest.raises(ValueError, match="unknown kind 'tempo'"):
        cmp.make_estimator("mel", "tempo", cmp.Settings(sample_rate=4000))


def _tiny_tones():
    from sklearn_wavefront.datasets import make_harmonic_tones

    bunch = make_harmonic_tones(n_samples=16, n_classes=2, sample_rate=4000, duration=0.25, noise=1.0,
                                n_domains=2, random_state=0)
    return np.asarray(bunch.data, dtype=np.float32), np.asarray(bunch.target)


def test_temporal_row_is_the_pipeline_built_by_hand(tmp_path, capsys):
    """The CLI's temporal row = MelFrontend(frames) -> [MiniRocketHead, per-channel mean and std of the
    frames] -> StandardScaler -> RidgeClassifierCV written out here with explicit settings (4000 Hz:
    128-point FFT, 40-sample hop; the statistics by numpy), on the folds of the JSON."""
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.metrics import balanced_accuracy_score, confusion_matrix
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from sklearn_wavefront import MelFrontend, MiniRocketHead

    def mean_std(F):  # flattened (4 channels, n_frames) frames -> 4 means, then 4 stds
        Z = np.asarray(F, dtype=np.float64).reshape(len(F), 4, -1)
        return np.hstack([Z.mean(axis=2), Z.std(axis=2)])

    # --device cpu: the pipeline by hand runs on the CPU, and CUDA agrees with it only to rounding
    code, out, err = _run(capsys, "compare", "--models", "mel", "--kinds", "temporal", "--temporal-features", "840",
                          *TINY, "--quiet", "--device", "cpu", "--output-dir", str(tmp_path))
    assert code == 0, err
    assert [(r[0], r[1]) for r in _table(out)[1]] == [("mel", "temporal")]
    res = _json(tmp_path)
    assert res["settings"]["temporal_features"] == 840
    X, y = _tiny_tones()
    settings = cmp.Settings(sample_rate=4000, n_filters=4, temporal_features=840, device="cpu", random_state=0)
    total = np.zeros((2, 2), dtype=int)
    for fold in res["folds"]:
        test = np.array(fold["test"])
        train = np.setdiff1d(np.arange(len(y)), test)
        by_hand = make_pipeline(
            MelFrontend(sample_rate=4000, n_filters=4, n_fft=128, hop_length=40, output="frames"),
            make_union(MiniRocketHead(n_kernels=840, n_channels=4, random_state=0), FunctionTransformer(mean_std)),
            StandardScaler(),
            RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)),
        ).fit(X[train], y[train])
        pred = by_hand.predict(X[test])
        row_est = cmp.make_estimator("mel", "temporal", settings).fit(X[train], y[train])
        np.testing.assert_array_equal(row_est.predict(X[test]), pred)
        np.testing.assert_allclose(row_est.decision_function(X[test]), by_hand.decision_function(X[test]),
                                   rtol=1e-6, atol=1e-6)
        row = next(r for r in res["rows"] if r["fold"] == fold["fold"])
        assert row["ua"] == pytest.approx(balanced_accuracy_score(y[test], pred))
        total += confusion_matrix(y[test], pred, labels=np.unique(y))
    assert res["confusion_matrices"][0]["matrix"] == total.tolist()


def test_temporal_rows_are_deterministic_with_random_state():
    X, y = _tiny_tones()
    for model in ("gammatone", "mfcc"):
        def fit(seed):
            # 16 filters: mfcc's head sees 13 coefficients, not n_filters channels
            s = cmp.Settings(sample_rate=4000, n_filters=16, temporal_features=168, device="cpu", random_state=seed)
            return cmp.make_estimator(model, "temporal", s).fit(X[:12], y[:12])

        a, b, c = fit(3), fit(3), fit(4)
        np.testing.assert_array_equal(a.decision_function(X[12:]), b.decision_function(X[12:]))
        head_a, head_b, head_c = (e["features"]["minirocket"] for e in (a, b, c))
        np.testing.assert_array_equal(head_a.channel_masks_, head_b.channel_masks_)
        # the head's random draws follow the seed
        assert head_a.random_state == 3 and head_c.random_state == 4
        assert not np.array_equal(head_a.bias_examples_, head_c.bias_examples_)
        # frames of every channel reach the head and the statistics: mfcc has min(13, n_filters) coefficients
        n_channels = 13 if model == "mfcc" else 16
        stats = a["features"]["statistics"]
        assert head_a.n_channels_ == stats.n_channels_ == n_channels
        assert head_a.n_frames_ == stats.n_frames_ == a["frontend"].n_frames_
        # 168 MiniRocket features, then a mean and a std per channel, all into the scaler and the ridge
        assert a["scaler"].n_features_in_ == a["ridge"].n_features_in_ == 168 + 2 * n_channels


def test_temporal_rows_take_recordings_of_unequal_length(tmp_path, capsys):
    """Padded or segmented by the length policy, the frames that reach the head have one length."""
    from sklearn_wavefront.segmenting import SegmentedClassifier

    for lengths, cap, mode in (([1000, 1200, 1600, 2000] * 3, "10", "pad"), ([1000, 1200, 3000, 4400] * 3, "0.5", "segment")):
        (tmp_path / mode).mkdir()
        root, _ = _folder(tmp_path / mode, lengths)
        out_dir = tmp_path / mode / "out"
        code, out, err = _run(capsys, "compare", "--data", str(root), "--models", "dummy,mel", "--kinds",
                              "baseline,temporal", "--temporal-features", "168", "--max-duration", cap, *FAST,
                              "--output-dir", str(out_dir), "--quiet")
        assert code == 0, err
        res = _json(out_dir)
        assert res["settings"]["length_policy"]["mode"] == mode
        assert [(e["model"], e["kind"]) for e in res["summary"]] == [("dummy", "baseline"), ("mel", "temporal")]
        assert all(np.asarray(cm["matrix"]).sum() == 12 for cm in res["confusion_matrices"])  # per recording
    # the segmented row: every 0.5 s segment gives 1 + 2000 // 40 frames
    recs = [np.random.default_rng(i).normal(size=n).astype(np.float32) for i, n in enumerate([1000, 3000, 4400, 1200])]
    X, policy = cmp.apply_length_policy(recs, 4000, max_duration=0.5)
    s = cmp.Settings(sample_rate=4000, n_filters=4, temporal_features=168, device="cpu",
                     segment_seconds=policy.segment_seconds)
    est = cmp.make_estimator("mel", "temporal", s)
    assert isinstance(est, SegmentedClassifier)
    est.fit(X, np.array([0, 1, 0, 1]))
    inner = est.estimator_
    assert inner["frontend"].n_frames_ == inner["features"]["minirocket"].n_frames_ == 1 + 2000 // 40
    proba = est.predict_proba(X)
    assert proba.shape == (4, 2) and np.allclose(proba.sum(axis=1), 1.0)


def test_softmax_ridge_classifier_is_ridge_with_probabilities():
    from sklearn.linear_model import RidgeClassifierCV

    from sklearn_wavefront.baselines import SoftmaxRidgeClassifierCV

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 5))
    for n_classes in (2, 3):
        y = np.resize(["a", "b", "c"][:n_classes], 30)
        X_shift = X + (np.searchsorted(["a", "b", "c"], y)[:, None] * 0.8)
        ours = SoftmaxRidgeClassifierCV(alphas=[0.1, 1.0, 10.0]).fit(X_shift, y)
        ref = RidgeClassifierCV(alphas=[0.1, 1.0, 10.0]).fit(X_shift, y)
        np.testing.assert_array_equal(ours.predict(X_shift), ref.predict(X_shift))
        d = ref.decision_function(X_shift)
        proba = ours.predict_proba(X_shift)
        if n_classes == 2:  # the positive class's score through a sigmoid
            np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-d)))
        else:
            np.testing.assert_allclose(proba, np.exp(d) / np.exp(d).sum(axis=1, keepdims=True))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert proba.shape == (30, n_classes) and (ours.classes_[proba.argmax(axis=1)] == ours.predict(X_shift)).all()


def test_default_rows_leave_end_to_end_out():
    from sklearn_wavefront.cli import build_parser

    args = build_parser().parse_args(["compare"])
    rows, _ = cmp.plan_rows(args.models, args.kinds, extra_rows=args.rows)
    kinds = {k for _, k in rows}
    assert kinds == {"baseline", "fixed", "temporal", "learned", "auto"}
    # the recipe chosen on inner splits: a default row (its candidates are its own, whatever --models says)
    assert rows[-1] == ("auto", "auto") and [r for r in rows if r[1] == "auto"] == [("auto", "auto")]
    assert [m for m, k in rows if k == "baseline"] == ["dummy", "mfcc+logreg", "egemaps+logreg", "compare2016+logreg",
                                                       "minirocket", "mrhydra"]
    assert {m for m, k in rows if k == "fixed"} == set(cmp.FRONTENDS)
    # the temporal recipe is a default row of every front-end, right after its fixed row
    assert {m for m, k in rows if k == "temporal"} == set(cmp.FRONTENDS)
    assert rows[rows.index(("mel", "fixed")) + 1] == ("mel", "temporal")
    assert args.temporal_features == 5000


def test_learned_rows_and_kinds_subset(tmp_path, capsys):
    code, out, err = _run(capsys, "compare", "--models", "comb,mel", "--kinds", "fixed,learned", *TINY,
                          "--output-dir", str(tmp_path), "--quiet")
    assert code == 0, err
    _, rows = _table(out)
    # mel has nothing to learn: no learned row; no baseline asked for: ΔUA n/a
    assert [(r[0], r[1]) for r in rows] == [("comb", "fixed"), ("comb", "learned"), ("mel", "fixed")]
    assert all("n/a" in r for r in rows)


# ------------------------------------------------------------------------------------------ baselines
def test_minirocket_baseline(tmp_path, capsys):
    pytest.importorskip("aeon")
    code, out, err = _run(capsys, "compare", "--models", "dummy,minirocket", "--minirocket-kernels", "1000",
                          "--n-recordings", "24", "--n-classes", "2", "--sample-rate", "4000", "--duration", "0.25",
                          "--noise", "0.3", *FAST, "--output-dir", str(tmp_path), "--quiet")
    assert code == 0, err
    _, rows = _table(out)
    assert [(r[0], r[1]) for r in rows] == [("dummy", "baseline"), ("minirocket", "baseline")]
    res = _json(tmp_path)
    assert res["settings"]["versions"]["aeon"] is not None
    ua = np.mean([r["ua"] for r in res["rows"] if r["model"] == "minirocket"])
    assert ua >= 0.75  # two pitches a semitone apart at moderate noise: far from the 0.5 of chance


def test_minirocket_classifier_agrees_with_aeons_own():
    pytest.importorskip("aeon")
    from aeon.classification.convolution_based import MiniRocketClassifier as AeonMiniRocket

    from sklearn_wavefront.baselines import MiniRocketClassifier
    from sklearn_wavefront.datasets import make_harmonic_tones

    X, y = make_harmonic_tones(n_samples=40, n_classes=3, sample_rate=4000, duration=0.25, noise=1.0,
                               random_state=1, return_X_y=True)
    X = np.asarray(X, dtype=np.float64)
    ours = MiniRocketClassifier(n_kernels=1000, random_state=0).fit(X[:30], y[:30])
    ref = AeonMiniRocket(n_kernels=1000, random_state=0).fit(X[:30, None, :], y[:30])
    assert (ours.predict(X[30:]) == ref.predict(X[30:, None, :])).mean() >= 0.9
    proba = ours.predict_proba(X[30:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(ours.classes_[proba.argmax(axis=1)], ours.predict(X[30:]))


def test_minirocket_without_aeon_is_a_note_not_a_crash(tmp_path, capsys, monkeypatch):
    import sklearn_wavefront.baselines as baselines

    monkeypatch.setattr(baselines, "aeon_version", lambda: None)
    rows, notes = cmp.plan_rows("all", "baseline", aeon_available=False)
    assert rows == [("dummy", "baseline"), ("mfcc+logreg", "baseline"), ("egemaps+logreg", "baseline"),
                    ("compare2016+logreg", "baseline")]
    assert notes == ["minirocket, mrhydra baselines skipped: aeon is not installed "
                     "(pip install 'sklearn-wavefront[baselines]')"]
    rows, notes = cmp.plan_rows("all", "baseline", aeon_available=False, opensmile_available=False)
    assert rows == [("dummy", "baseline"), ("mfcc+logreg", "baseline")]
    assert len(notes) == 2 and "opensmile is not installed" in notes[0] + notes[1]
    code, out, err = _run(capsys, "compare", "--models", "dummy,minirocket", *TINY, "--output-dir", str(tmp_path))
    assert code == 0, err
    assert [r[0] for r in _table(out)[1]] == ["dummy"]
    assert sum("minirocket baseline skipped" in line for line in out.splitlines()) == 1


def test_delta_matches_the_regression_formula():
    rng = np.random.default_rng(0)
    C = rng.normal(size=(3, 11))
    width = 2
    P = np.concatenate([np.repeat(C[:, :1], width, 1), C, np.repeat(C[:, -1:], width, 1)], axis=1)
    ref = np.zeros_like(C)
    for t in range(C.shape[1]):
        for n in range(1, width + 1):
            ref[:, t] += n * (P[:, t + width + n] - P[:, t + width - n])
    ref /= 2 * (1 + 4)
    np.testing.assert_allclose(delta(C, width), ref, rtol=1e-12)


def test_mfcc_statistics_are_mean_and_std_of_mfcc_and_deltas():
    from sklearn_wavefront import MFCCFrontend

    X = np.random.default_rng(1).normal(size=(4, 2000))
    F = MFCCStatistics(sample_rate=8000, n_mfcc=5, n_filters=20).fit_transform(X)
    frames = MFCCFrontend(sample_rate=8000, n_mfcc=5, n_filters=20, n_fft=256, hop_length=80, output="frames").fit_transform(X)
    C = frames.reshape(4, 5, -1)
    D1 = delta(C)
    D2 = delta(D1)
    ref = np.concatenate([C.mean(-1), D1.mean(-1), D2.mean(-1), C.std(-1), D1.std(-1), D2.std(-1)], axis=1)
    np.testing.assert_allclose(F, ref, rtol=1e-10)


# --------------------------------------------------------------------------------------- folds, jobs
def _folder(tmp_path, lengths, rate=4000, n_speakers=4, domain=False):
    root = tmp_path / "data"
    root.mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for i, n in enumerate(lengths):
        label = "yes" if i % 2 else "no"
        t = np.arange(n) / rate
        x = np.sin(2 * np.pi * (300 if label == "yes" else 700) * t) + 0.3 * rng.normal(size=n)
        sf.write(root / f"r{i}.wav", x, rate)
        rows.append((f"r{i}.wav", label, f"spk{(i // 2) % n_speakers}", f"dev{i % 3}"))
    with open(root / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "speaker", "device"])
        w.writerows(rows)
    return root, [r[2] for r in rows]


def test_grouped_folds_never_split_a_group(tmp_path, capsys):
    root, speakers = _folder(tmp_path, [1000] * 16, n_speakers=4)
    code, out, err = _run(capsys, "compare", "--data", str(root), "--group-column", "speaker", "--models", "dummy",
                          *FAST, "--output-dir", str(tmp_path / "out"), "--quiet")
    assert code == 0, err
    res = _json(tmp_path / "out")
    fold_of = {}
    for fold in res["folds"]:
        for i in fold["test"]:
            assert i not in fold_of
            fold_of[i] = fold["fold"]
    assert sorted(fold_of) == list(range(16))
    for spk in set(speakers):
        assert len({fold_of[i] for i, s in enumerate(speakers) if s == spk}) == 1, spk
    assert res["settings"]["grouping"] == {"group_column": "speaker", "n_groups": 4}
    assert "grouped by 'speaker'" in out


def test_n_jobs_2_equals_n_jobs_1(tmp_path, capsys):
    results = []
    for jobs in ("1", "2"):
        out_dir = tmp_path / f"jobs{jobs}"
        code, _, err = _run(capsys, "compare", "--models", "dummy,comb", "--kinds", "baseline,learned,end-to-end",
                            *TINY, "--n-jobs", jobs, "--output-dir", str(out_dir), "--quiet")
        assert code == 0, err
        results.append(_json(out_dir))
    a, b = results
    strip = [{k: v for k, v in r.items() if k != "fit_seconds"} for r in a["rows"]]
    assert strip == [{k: v for k, v in r.items() if k != "fit_seconds"} for r in b["rows"]]
    assert a["confusion_matrices"] == b["confusion_matrices"]
    assert a["settings"]["n_jobs"] == 1 and b["settings"]["n_jobs"] == 2


# ----------------------------------------------------------------------------------- length policy
def test_length_policy_pads_to_the_longest_and_reports_it(tmp_path, capsys):
    lengths = [1000, 1200, 1600, 2000] * 3
    root, _ = _folder(tmp_path, lengths)
    code, out, err = _run(capsys, "compare", "--data", str(root), "--models", "dummy", *FAST,
                          "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    policy = _json(tmp_path / "out")["settings"]["length_policy"]
    assert policy["mode"] == "pad" and policy["n_padded"] == 9 and policy["n_cropped"] == 0
    assert policy["target_seconds"] == pytest.approx(0.5) and policy["max_pad_seconds"] == pytest.approx(0.25)
    assert "9 of 12 recordings zero-padded at the end to the longest, 0.50 s" in out
    assert "length policy:" in err


def test_length_policy_segments_beyond_the_cap(tmp_path, capsys):
    lengths = [1000, 1200, 3000, 4400] * 3  # at 4000 Hz; cap 0.5 s = 2000 samples
    root, _ = _folder(tmp_path, lengths)
    code, out, err = _run(capsys, "compare", "--data", str(root), "--models", "dummy,mel", "--kinds", "baseline,fixed",
                          "--max-duration", "0.5", *FAST, "--output-dir", str(tmp_path / "out"), "--quiet")
    assert code == 0, err
    res = _json(tmp_path / "out")
    policy = res["settings"]["length_policy"]
    # 3000 -> 2 segments, 4400 -> 3 segments (the last ends at the recording's end)
    assert policy["mode"] == "segment" and policy["n_segmented"] == 6 and policy["n_padded"] == 6
    assert policy["n_segments"] == 6 * 1 + 3 * 2 + 3 * 3
    assert "6 of 12 recordings cut into 15 segments" in out
    # decisions per recording: the confusion matrices count recordings, not segments
    assert all(np.asarray(cm["matrix"]).sum() == 12 for cm in res["confusion_matrices"])


def test_duration_forces_a_length_and_reports_the_crop(tmp_path, capsys):
    root, _ = _folder(tmp_path, [1000, 1200, 1600, 2000] * 3)
    code, out, _ = _run(capsys, "compare", "--data", str(root), "--models", "dummy", "--duration", "0.3", *FAST,
                        "--output-dir", str(tmp_path / "out"), "--quiet")
    assert code == 0
    policy = _json(tmp_path / "out")["settings"]["length_policy"]
    assert policy["mode"] == "crop" and policy["n_cropped"] == 6 and policy["n_padded"] == 3
    assert policy["max_crop_seconds"] == pytest.approx(0.2)
    assert "6 of 12 cropped at the end (by up to 0.20 s" in out


def test_domains_and_double_balanced_end_to_end(tmp_path, capsys):
    root, _ = _folder(tmp_path, [1000] * 12)
    code, out, err = _run(capsys, "compare", "--data", str(root), "--models", "mel", "--kinds", "end-to-end",
                          "--domain-column", "device", "--balance", "class_domain", *FAST,
                          "--output-dir", str(tmp_path / "out"), "--quiet")
    assert code == 0, err
    s = _json(tmp_path / "out")["settings"]
    assert s["balance"] == "class_domain" and s["domain_column"] == "device"
    assert "class_domain-balanced batches" in out


# ------------------------------------------------------------------------------------- bad options
@pytest.mark.parametrize(
    "argv, named",
    [
        (["--models", "dummy,wavelet"], "'wavelet'"),
        (["--kinds", "fixed,tuned"], "'tuned'"),
        (["--models", "mel", "--kinds", "learned"], "no row"),
        (["--n-jobs", "0"], "--n-jobs"),
        (["--max-duration", "0"], "--max-duration"),
        (["--balance", "class_domain"], "--domain-column"),
        (["--balance", "domain"], "--balance"),
        (["--domain-column", "device"], "'device'"),
        (["--minirocket-kernels", "10"], "--minirocket-kernels"),
        (["--n-jobs", "two"], "--n-jobs"),
        (["--no-such-option"], "--no-such-option"),
        (["--rows", "mel:learned"], "--rows"),
        (["--kinds", "fixed,temporel"], "'temporel'"),
        (["--rows", "dummy:temporal"], "--rows"),
        (["--temporal-features", "83"], "--temporal-features"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(tmp_path, capsys, argv, named):
    code, out, err = _run(capsys, "compare", *TINY, "--output-dir", str(tmp_path / "out"), *argv)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wavefront: error:"), err
    assert named in lines[0]
    assert not (tmp_path / "out" / "results.json").exists()


def test_version(capsys):
    from sklearn_wavefront import __version__

    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == f"wavefront (sklearn-wavefront) {__version__}"


def test_apply_length_policy_keeps_every_sample():
    recs = [np.arange(1, 801, dtype=float), np.arange(1, 3001, dtype=float)]
    X, p = cmp.apply_length_policy(recs, 1000, max_duration=1.0)
    assert p.mode == "segment" and [len(x) for x in X] == [800, 3000]
    np.testing.assert_array_equal(X[1], recs[1])
    X, p = cmp.apply_length_policy(recs, 1000, max_duration=5.0)
    assert X.shape == (2, 3000) and np.all(X[0, 800:] == 0) and np.array_equal(X[0, :800], recs[0])


def test_aeon_stays_optional(monkeypatch):
    import subprocess
    import sys

    code = ("import sys; import sklearn_wavefront, sklearn_wavefront.cli, sklearn_wavefront.comparison, "
            "sklearn_wavefront.baselines; print('aeon' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    # without aeon, fitting the MiniRocket baseline names the extra to install
    from sklearn_wavefront.baselines import MiniRocketClassifier

    for name in [m for m in sys.modules if m == "aeon" or m.startswith("aeon.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "aeon", None)
    with pytest.raises(ImportError, match=r"sklearn-wavefront\[baselines\]"):
        MiniRocketClassifier().fit(np.zeros((4, 100)), [0, 1, 0, 1])


def test_user_groups_choose_the_temporal_and_minirocket_penalties():
    """--group-column's groups of the training part reach the ridge of the temporal rows (directly, or
    through SegmentedClassifier ahead of its recordings) and MiniRocket's; the fold's predictions
    equal the estimator fitted by hand with those groups."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedGroupKFold

    X, y = _tiny_tones()
    speakers = np.arange(len(y)) % 4
    splits = list(StratifiedGroupKFold(2).split(X, y, speakers))
    rows = [("mel", "temporal")] + ([("minirocket", "baseline")] if _has_aeon() else [])
    for segment_seconds in (None, 0.1):
        s = cmp.Settings(sample_rate=4000, n_filters=4, temporal_features=168, device="cpu", minirocket_kernels=168,
                         segment_seconds=segment_seconds)
        Xs = X if segment_seconds is None else np.array(list(X) + [None], dtype=object)[:-1]
        results = cmp.run_rows(rows, splits, s, Xs, y, groups=speakers)
        for r in results:
            train, test = splits[r["fold"]]
            est = cmp.make_estimator(r["model"], r["kind"], s)
            key = "groups" if r["model"] == "minirocket" else "ridge__groups"
            est.fit(Xs[train], y[train], **{key: speakers[train]})
            assert r["ua"] == pytest.approx(balanced_accuracy_score(y[test], est.predict(Xs[test])))
            inner = est if segment_seconds is None else est.estimator_
            ridge = inner.ridge_ if r["model"] == "minirocket" else inner["ridge"]
            # chosen over 2 held-out speakers, not by leave-one-out: the criterion differs
            loo = cmp.make_estimator(r["model"], r["kind"], s).fit(Xs[train], y[train])
            loo_inner = loo if segment_seconds is None else loo.estimator_
            loo_ridge = loo_inner.ridge_ if r["model"] == "minirocket" else loo_inner["ridge"]
            assert ridge.best_score_ != loo_ridge.best_score_


def _has_aeon():
    from sklearn_wavefront.baselines import aeon_version

    return aeon_version() is not None


def test_cli_says_how_the_penalties_were_chosen(tmp_path, capsys, monkeypatch):
    root, speakers = _folder(tmp_path, [1000] * 16, n_speakers=4)
    base = ["compare", "--data", str(root), "--group-column", "speaker", "--models", "mel", "--kinds", "temporal",
            "--temporal-features", "168", *FAST, "--quiet"]
    seen = []
    real_run_rows = cmp.run_rows

    def spy(*args, **kwargs):
        seen.append(kwargs.get("groups"))
        return real_run_rows(*args, **kwargs)

    monkeypatch.setattr(cmp, "run_rows", spy)
    # default: the speakers make the folds only; the penalty by leave-one-out (nothing segmented)
    code, out, err = _run(capsys, *base, "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    assert "are chosen by leave-one-out inside each training fold" in out
    assert seen[-1] is None and _json(tmp_path / "out")["settings"]["penalty_groups"] == "recordings"
    # opt-in: the speakers also choose the penalty
    code, out, err = _run(capsys, *base, "--penalty-groups", "group-column", "--output-dir", str(tmp_path / "out1"))
    assert code == 0, err
    assert "are chosen by K-fold CV over the training part's groups ('speaker') inside each training fold" in out
    assert list(seen[-1]) == speakers and _json(tmp_path / "out1")["settings"]["penalty_groups"] == "group-column"
    # segmented recordings: K-fold CV over recordings
    code, out, err = _run(capsys, "compare", "--data", str(root), "--models", "mel", "--kinds", "temporal",
                          "--temporal-features", "168", "--max-duration", "0.1", *FAST,
                          "--output-dir", str(tmp_path / "out2"), "--quiet")
    assert code == 0, err
    assert "are chosen by K-fold CV over recordings (segments of one recording together)" in out
    code, out, err = _run(capsys, "compare", "--data", str(root), "--models", "mel", "--penalty-groups", "group-column",
                          *FAST, "--output-dir", str(tmp_path / "out3"))
    assert code == 2 and "--penalty-groups group-column needs --group-column" in err


def test_penalty_over_groups_needs_two_groups_in_every_training_part(tmp_path, capsys):
    root, _ = _folder(tmp_path, [1000] * 8, n_speakers=2)
    code, out, err = _run(capsys, "compare", "--data", str(root), "--group-column", "speaker", "--folds", "2",
                          "--models", "mel", "--kinds", "temporal", "--temporal-features", "168",
                          "--penalty-groups", "group-column", *FAST, "--output-dir", str(tmp_path / "out"), "--quiet")
    assert code == 2
    assert "training part of fold 1 holds 1 'speaker' group(s)" in err and "Traceback" not in err
