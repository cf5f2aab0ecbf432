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
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("model "))
    header = lines[i]
    rows = []
    for line in lines[i + 2:]:
        if not line.strip() or line.startswith("results:"):
            break
        rows.append(line.split())
    return header, rows


def _json(path):
    with open(path / "results.json") as f:
        return json.load(f)


# ------------------------------------------------------------------------------------ table + JSON
def test_table_and_results_schema(tmp_path, capsys):
    code, out, err = _run(capsys, "compare", "--models", "dummy,mfcc+logreg,mel", "--kinds", "all", *TINY,
                          "--output-dir", str(tmp_path))
    assert code == 0, err
    header, rows = _table(out)
    assert header.split() == ["model", "kind", "UA", "UF1", "MAcc", "fit", "(s)", "ΔUA", "best"]
    assert [(r[0], r[1]) for r in rows] == [
        ("dummy", "baseline"), ("mfcc+logreg", "baseline"), ("mel", "fixed"), ("mel", "end-to-end")
    ]
    assert sum(r[-1] == "*" for r in rows) == 1
    assert "ΔUA: mean UA minus that of the best baseline" in out
    # progress: one line per (row, fold) with an ETA, on stderr
    progress = [line for line in err.splitlines() if line.startswith("[")]
    assert len(progress) == 8 and all("ETA" in line for line in progress)
    assert progress[-1].startswith("[8/8] mel")

    res = _json(tmp_path)
    assert set(res) == {"settings", "rows", "summary", "confusion_matrices", "folds"}
    assert len(res["rows"]) == 8
    for r in res["rows"]:
        assert set(r) == {"model", "kind", "fold", "ua", "uf1", "macc", "fit_seconds"}
        assert r["kind"] in ("baseline", "fixed", "learned", "end-to-end")
        assert isinstance(r["fold"], int) and 0 <= r["ua"] <= 1 and 0 <= r["uf1"] <= 1
        assert r["macc"] is not None and r["fit_seconds"] >= 0
    s = res["settings"]
    for key in ("versions", "random_state", "folds", "grouping", "sample_rate", "length_policy", "data", "command"):
        assert key in s
    assert set(s["versions"]) >= {"sklearn_wavefront", "torch", "scikit-learn", "aeon"}
    assert s["folds"] == 2 and s["sample_rate"] == 4000 and s["random_state"] == 0
    assert "--models dummy,mfcc+logreg,mel --kinds all" in s["command"]
    assert s["length_policy"]["mode"] == "equal"
    # confusion matrices summed over folds: every recording counted once per row
    assert len(res["confusion_matrices"]) == 4
    for cm in res["confusion_matrices"]:
        assert np.asarray(cm["matrix"]).sum() == 16 and len(cm["labels"]) == 2

    # the table's UA column is the mean over the JSON's fold rows; ΔUA against the best baseline
    by_row = {(r[0], r[1]): r for r in rows}
    means = {}
    for (m, k) in by_row:
        means[m, k] = np.mean([r["ua"] for r in res["rows"] if r["model"] == m and r["kind"] == k])
        assert by_row[m, k][2] == f"{means[m, k]:.3f}"
    best_base = max(means["dummy", "baseline"], means["mfcc+logreg", "baseline"])
    assert by_row["mel", "fixed"][-2 if by_row["mel", "fixed"][-1] == "*" else -1] == f"{means['mel', 'fixed'] - best_base:+.3f}"

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
    for bad in ("mel:learned", "dummy:fixed", "comb:baseline", "comb", "wavelet:fixed"):
        with pytest.raises(ValueError, match="--rows"):
            cmp.plan_rows("dummy", "baseline", extra_rows=bad)


def test_default_rows_leave_end_to_end_out():
    from sklearn_wavefront.cli import build_parser

    args = build_parser().parse_args(["compare"])
    rows, _ = cmp.plan_rows(args.models, args.kinds)
    kinds = {k for _, k in rows}
    assert kinds == {"baseline", "fixed", "learned"}
    assert [m for m, k in rows if k == "baseline"] == ["dummy", "mfcc+logreg", "minirocket"]
    assert {m for m, k in rows if k == "fixed"} == set(cmp.FRONTENDS)


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
    assert rows == [("dummy", "baseline"), ("mfcc+logreg", "baseline")]
    assert len(notes) == 1 and "aeon" in notes[0] and "baselines" in notes[0]
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
