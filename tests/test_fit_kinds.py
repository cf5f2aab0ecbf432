"""`wavefront fit` trains what `compare` scores: every kind, compare's length policy and defaults,
`--from-results`, the score kept in the model, both file formats."""

import inspect
import json

import numpy as np
import pytest

from sklearn_wavefront import compare
from sklearn_wavefront.cli import main
from sklearn_wavefront.datasets import make_harmonic_tones
from sklearn_wavefront.exceptions import InputError
from sklearn_wavefront.length_policy import apply_length_policy
from sklearn_wavefront.persistence import load_model, save_model
from sklearn_wavefront.recipes import Settings, make_estimator
from sklearn_wavefront.registry import FIT_KINDS, FRONTEND_KINDS, RECIPE_DEFAULTS
from sklearn_wavefront.training import train_model

SR = 8000
SMALL = dict(n_filters=4, epochs=1, batch_size=8, temporal_features=168)


@pytest.fixture(scope="module")
def data():
    """24 tones of 0.1 to 0.25 s, two classes; the first 16 train (several of them the longest), the
    last 8 are held out."""
    X, y = make_harmonic_tones(n_samples=24, n_classes=2, duration=0.25, noise=0.5, random_state=0, return_X_y=True)
    n = X.shape[1]
    recs = [x[: n - (i % 4) * n // 6].astype(np.float32) for i, x in enumerate(X)]  # 4 lengths, 0.125-0.25 s
    return recs, np.asarray(y), np.arange(16), np.arange(16, 24)


def _compares_model(recs, y, train, model, kind, max_duration=10.0):
    """The model compare fits for a row on the fold whose training part is ``train``: its length
    policy over all recordings, then make_estimator with the Settings compare builds."""
    X, policy = apply_length_policy(recs, SR, max_duration=max_duration)
    settings = Settings(sample_rate=SR, n_filters=SMALL["n_filters"], epochs=SMALL["epochs"],
                        batch_size=SMALL["batch_size"], lr=3e-3, backend="temporal", device="cpu", random_state=0,
                        balance=None, minirocket_kernels=10000, mrhydra_max_length=2000,
                        temporal_features=SMALL["temporal_features"],
                        segment_seconds=policy.segment_seconds if policy.mode == "segment" else None)
    return make_estimator(model, kind, settings).fit(X[train], y[train]), X


def test_defaults_and_kinds_are_compares():
    params = inspect.signature(compare).parameters
    for name, value in RECIPE_DEFAULTS.items():
        assert params[name].default == value, name
    assert FRONTEND_KINDS == ("fixed", "temporal", "learned", "end-to-end")
    assert FIT_KINDS == FRONTEND_KINDS + ("auto",)
    train = inspect.signature(train_model).parameters
    assert train["kind"].default is None and train["model"].default is None  # auto, or learned with a front-end
    assert all(train[name].default is None for name in RECIPE_DEFAULTS)  # None: compare's, or the result's


@pytest.mark.parametrize("model, kind, max_duration", [
    ("mel", "fixed", 10.0), ("gammatone", "fixed", 10.0), ("mel", "temporal", 10.0), ("sinc", "learned", 10.0),
    ("mel", "end-to-end", 10.0),
    ("mfcc", "temporal", 0.1), ("mel", "fixed", 0.1),  # longer than max_duration: segments, as compare cuts them
])
def test_fit_predicts_what_compares_model_predicts(data, model, kind, max_duration):
    recs, y, train, test = data
    ref, X = _compares_model(recs, y, train, model, kind, max_duration)
    fitted = train_model([recs[i] for i in train], y[train], SR, model=model, kind=kind, cv_folds=0, device="cpu",
                         max_duration=None if max_duration == 10.0 else max_duration, **SMALL)
    held_out = [recs[i] for i in test]  # as recorded: the model pads or cuts them itself
    np.testing.assert_array_equal(fitted.predict_proba(held_out), ref.predict_proba(X[test]))
    np.testing.assert_array_equal(fitted.predict(held_out), ref.predict(X[test]))
    s = fitted.settings
    expected = 0.1 if max_duration == 0.1 else 0.25  # the longest recording, or max_duration
    assert s["segment_seconds"] == pytest.approx(expected) and s["length_policy"]["mode"] == (
        "segment" if max_duration == 0.1 else "pad")
    assert s["recipe"] == {"model": model, "kind": kind, "built_as": kind, "note": None}


def test_fit_of_the_kind_auto_predicts_what_compares_auto_row_predicts(data):
    """The default kind: the same search on the same recordings chooses the same recipe, and the model
    keeps what it chose (and inspect prints it)."""
    from sklearn_wavefront.auto import make_recipe

    recs, y, train, test = data
    X, _ = apply_length_policy(recs, SR, max_duration=10.0)
    settings = Settings(sample_rate=SR, batch_size=8, lr=3e-3, device="cpu", random_state=0, temporal_features=168,
                        budget=0.01)
    ref = make_recipe("auto", "auto", settings).fit(X[train], y[train])
    fitted = train_model([recs[i] for i in train], y[train], SR, cv_folds=0, device="cpu", budget=0.01,
                         batch_size=8, temporal_features=168)
    s = fitted.settings
    assert (s["model"], s["kind"]) == ("auto", "auto") and s["budget"] == 0.01
    assert s["choice"]["name"] == ref.choice_["name"] and s["choice"]["inner_ua"] == ref.choice_["inner_ua"]
    held_out = [recs[i] for i in test]
    np.testing.assert_array_equal(fitted.predict_proba(held_out), ref.predict_proba(X[test]))
    assert f"chose: {ref.choice_['name']}" in fitted.describe()
    with pytest.raises(InputError, match="n_filters=4 is not used by kind='auto'"):
        train_model(recs, y, SR, n_filters=4)
    with pytest.raises(InputError, match="model='mel' names one recipe, but kind='auto' chooses among all"):
        train_model(recs, y, SR, model="mel", kind="auto")


def test_fit_of_the_kind_auto_on_segments_is_compares_search_over_recordings(data, tmp_path):
    """Recordings longer than max_duration: compare's auto row searches over recordings, each candidate
    cutting them into segments; fit does the same (its inner scores are over recordings), and the
    model saves and loads in both formats with the same predictions."""
    from sklearn_wavefront.auto import make_recipe

    recs, y, train, test = data
    X, policy = apply_length_policy(recs, SR, max_duration=0.1)
    assert policy.mode == "segment"
    settings = Settings(sample_rate=SR, batch_size=8, lr=3e-3, device="cpu", random_state=0, temporal_features=168,
                        budget=0.02, segment_seconds=policy.segment_seconds)
    ref = make_recipe("auto", "auto", settings).fit(X[train], y[train])
    fitted = train_model([recs[i] for i in train], y[train], SR, cv_folds=0, device="cpu", budget=0.02,
                         batch_size=8, temporal_features=168, max_duration=0.1)
    assert fitted.settings["choice"]["inner_scores"] == ref.choice_["inner_scores"]  # over the same 16 recordings
    assert {v["n_recordings"] for v in ref.choice_["inner_scores"].values()} <= {16}
    held_out = [recs[i] for i in test]
    expected = ref.predict_proba(X[test])
    np.testing.assert_array_equal(fitted.predict_proba(held_out), expected)
    for name in ("auto.skops", "auto.joblib"):
        save_model(fitted, tmp_path / name)
        np.testing.assert_array_equal(load_model(tmp_path / name).predict_proba(held_out), expected)


def test_a_padded_auto_model_saves_in_the_safe_format(data, tmp_path):
    recs, y, train, test = data
    fitted = train_model([recs[i] for i in train], y[train], SR, cv_folds=0, device="cpu", budget=0.02,
                         batch_size=8, temporal_features=168)
    save_model(fitted, tmp_path / "auto.skops")
    back = load_model(tmp_path / "auto.skops")
    held_out = [recs[i] for i in test]
    np.testing.assert_array_equal(back.predict_proba(held_out), fitted.predict_proba(held_out))
    assert back.settings["choice"] == fitted.settings["choice"]


def test_learned_of_a_fixed_front_end_is_its_fixed_recipe_and_says_so(data):
    recs, y, train, test = data
    ref, X = _compares_model(recs, y, train, "mfcc", "fixed")
    fitted = train_model([recs[i] for i in train], y[train], SR, model="mfcc", kind="learned", cv_folds=0, **SMALL)
    np.testing.assert_array_equal(fitted.predict_proba([recs[i] for i in test]), ref.predict_proba(X[test]))
    assert fitted.settings["recipe"]["built_as"] == "fixed"
    assert "mfcc has no learnable filters" in fitted.describe()


def test_inner_cv_estimates_the_score_with_the_same_recipe(data):
    recs, y, _, _ = data
    said = []
    m = train_model(recs, y, SR, model="mel", kind="temporal", cv_folds=3, progress=said.append, **SMALL)
    cv = m.settings["cv_score"]
    assert cv["source"] == "inner-cv" and cv["n_folds"] == 3 and len(cv["ua_folds"]) == 3
    assert cv["ua_mean"] == pytest.approx(np.mean(cv["ua_folds"])) and cv["ua_std"] == pytest.approx(np.std(cv["ua_folds"]))
    assert any(line.startswith("score: inner 3-fold stratified CV") for line in said)
    # grouped: whole groups in one fold
    groups = np.arange(len(y)) % 4
    m = train_model(recs, y, SR, model="mel", kind="fixed", groups=groups, cv_folds=2, **SMALL)
    assert m.settings["cv_score"]["grouping"] == "grouped, stratified"
    m = train_model(recs, y, SR, model="mel", kind="fixed", cv_folds=0, **SMALL)
    assert m.settings["cv_score"]["source"] is None and "cv score: not estimated" in m.describe()
    with pytest.raises(InputError, match=r"cv_folds=13.*cv_folds=0"):
        train_model(recs, y, SR, model="mel", kind="fixed", cv_folds=13)


@pytest.fixture(scope="module")
def results(data, tmp_path_factory):
    recs, y, _, _ = data
    out = tmp_path_factory.mktemp("compare")
    result = compare(recs, y, sample_rate=SR, folds=2, models="dummy,mel,sinc", kinds="baseline,temporal,learned",
                     rows="mel:fixed", random_state=3, output_dir=str(out), plots=False, report=False, progress=False,
                     max_duration=0.2, **SMALL)
    return out, result


def test_from_results_trains_the_rows_settings_and_keeps_its_score(data, results):
    recs, y, _, _ = data
    out, result = results
    said = []
    m = train_model(recs, y, SR, model="mel", kind="temporal", from_results=out, progress=said.append)
    s = m.settings
    assert (s["n_filters"], s["temporal_features"], s["random_state"], s["max_duration"]) == (4, 168, 3, 0.2)
    assert s["segment_seconds"] == pytest.approx(0.2) and s["length_policy"]["mode"] == "segment"
    row = next(e for e in result.summary if (e["model"], e["kind"]) == ("mel", "temporal"))
    folds = [r["ua"] for r in sorted(result.rows, key=lambda r: r["fold"]) if (r["model"], r["kind"]) == ("mel", "temporal")]
    cv = s["cv_score"]
    assert cv["source"] == "compare" and cv["n_folds"] == 2
    assert (cv["ua_mean"], cv["ua_std"], cv["ua_folds"]) == (row["ua"], row["ua_std"], folds)
    assert cv["data"] == "recordings given in Python" and cv["n_recordings"] == 24
    assert cv["results"] == str((out / "results.json").resolve())
    assert any("score: UA" in line and "results.json" in line for line in said)
    # the same model as trained with the same settings given by hand
    by_hand = train_model(recs, y, SR, model="mel", kind="temporal", max_duration=0.2, random_state=3, cv_folds=0,
                          **SMALL)
    np.testing.assert_array_equal(m.predict_proba(recs), by_hand.predict_proba(recs))
    # the results.json path works as well as its folder; a learned row keeps the front-end's own rate
    m = train_model(recs, y, SR, model="sinc", kind="learned", from_results=out / "results.json")
    assert m.settings["lr"] == 0.01 and m.settings["epochs"] == 1


def test_from_results_refuses_what_contradicts_it(data, results):
    recs, y, _, _ = data
    out, _ = results
    with pytest.raises(InputError, match=rf"from_results='{out}' has no row comb fixed; its front-end rows: "
                                         r"sinc temporal, sinc learned, mel fixed, mel temporal \(choose one with model "
                                         r"and kind\)"):
        train_model(recs, y, SR, model="comb", kind="fixed", from_results=out)
    with pytest.raises(InputError, match=r"mel has no learnable filters.*kind='fixed'"):
        train_model(recs, y, SR, model="mel", kind="learned", from_results=out)
    with pytest.raises(InputError, match=r"n_filters=8 contradicts from_results=.*with n_filters=4"):
        train_model(recs, y, SR, model="mel", kind="temporal", from_results=out, n_filters=8)
    with pytest.raises(InputError, match=r"max_duration=10.0 contradicts"):
        train_model(recs, y, SR, model="mel", kind="temporal", from_results=out, max_duration=10.0)
    with pytest.raises(InputError, match=r"lr=0.003 contradicts .*front-end's default learning rate"):
        train_model(recs, y, SR, model="sinc", kind="learned", from_results=out, lr=0.003)
    with pytest.raises(InputError, match=r"sample_rate=16000 contradicts .*8000 Hz"):
        train_model(recs, y, 16000, model="mel", kind="temporal", from_results=out)
    with pytest.raises(InputError, match=r"segment_seconds=0.1 contradicts"):
        train_model(recs, y, SR, model="mel", kind="temporal", from_results=out, segment_seconds=0.1)
    with pytest.raises(InputError, match=r"from_results=.*nowhere.*no compare result there"):
        train_model(recs, y, SR, model="mel", kind="temporal", from_results=out / "nowhere")
    # given with the result's own value: fine
    train_model(recs, y, SR, model="mel", kind="fixed", from_results=out, n_filters=4, random_state=3)


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def folder(data, tmp_path_factory):
    sf = pytest.importorskip("soundfile")
    recs, y, _, _ = data
    root = tmp_path_factory.mktemp("tones")
    with open(root / "labels.csv", "w") as f:
        f.write("path,label\n")
        for i, (x, label) in enumerate(zip(recs, y)):
            sf.write(root / f"t{i}.wav", x, SR, subtype="FLOAT")
            f.write(f"t{i}.wav,c{label}\n")
    return root


@pytest.mark.parametrize("max_duration", ["0.1", "1"])  # the search on segments; inside a SegmentedClassifier
def test_cli_fit_auto_then_inspect_prints_the_choice_and_predict_flags_padding(folder, tmp_path, capsys, max_duration):
    import soundfile as sf

    from sklearn_wavefront.auto import DEFAULT_CANDIDATES, candidate_name

    path = tmp_path / "auto.skops"
    code, _, err = _run(capsys, "fit", "--data", folder, "--max-duration", max_duration, "--budget", "0.02",
                        "--cv-folds", "0", "--batch-size", "8", "--temporal-features", "168", "--output", path)
    assert code == 0, err
    model = load_model(path)
    chosen = model.settings["choice"]["name"]
    assert chosen in [candidate_name(c) for c in DEFAULT_CANDIDATES]
    code, stdout, err = _run(capsys, "inspect", path, "--output-dir", tmp_path / "insp", "--no-plots")
    assert code == 0, err
    assert "model: auto (auto)" in stdout and f"chose: {chosen}" in stdout
    # a recording of 40 samples is mostly padding in every model's input: flagged, whatever the kind
    sf.write(tmp_path / "short.wav", np.full(40, 0.3), SR, subtype="FLOAT")
    code, _, err = _run(capsys, "predict", path, tmp_path / "short.wav", "--output", tmp_path / "p.csv")
    text = (tmp_path / "p.csv").read_text()
    assert ",flagged," in text and "padded to" in text, text


def test_cli_from_results_then_inspect_prints_recipe_settings_and_score(folder, tmp_path, capsys):
    out = tmp_path / "cmp"
    code, _, err = _run(capsys, "compare", "--data", folder, "--models", "mel", "--kinds", "fixed", "--folds", "2",
                        "--n-filters", "4", "--max-duration", "0.2", "--no-plots", "--no-report", "--output-dir", out,
                        "--quiet")
    assert code == 0, err
    path = tmp_path / "m.skops"
    code, stdout, err = _run(capsys, "fit", "--data", folder, "--model", "mel", "--kind", "fixed",
                             "--from-results", out, "--output", path)
    assert code == 0, err
    assert "score: UA" in err and "recipe: mel fixed, settings of" in err
    code, stdout, err = _run(capsys, "inspect", path, "--output-dir", tmp_path / "insp", "--no-plots")
    assert code == 0, err
    summary = json.loads((out / "results.json").read_text())["summary"][0]
    assert "recipe: mel fixed" in stdout
    assert "settings: n_filters 4, max_duration 0.2, random_state 0" in stdout
    assert f"cv score: UA {summary['ua']:.3f} ± {summary['ua_std']:.3f} over 2 stratified folds" in stdout
    assert "from wavefront compare" in stdout and "results.json" in stdout
    # errors name the flag
    for argv, needle in (
        (["--kind", "temporal"], "--from-results"), (["--n-filters", "8"], "--n-filters 8 contradicts --from-results"),
        (["--kind", "learned"], "--kind fixed"),
    ):
        code, _, err = _run(capsys, "fit", "--data", folder, "--model", "mel", "--kind", "fixed", "--from-results", out,
                            *argv, "--output", tmp_path / "x.joblib", "--quiet")
        assert code == 2 and needle in err.strip().splitlines()[-1], err


@pytest.mark.parametrize("model, kind", [("mel", "fixed"), ("comb", "temporal"), ("iconnet", "learned"),
                                         ("sinc", "end-to-end")])
def test_every_kind_saves_and_loads_in_both_formats(data, model, kind, tmp_path):
    pytest.importorskip("skops")
    recs, y, train, test = data
    m = train_model([recs[i] for i in train], y[train], SR, model=model, kind=kind, cv_folds=2, device="cpu", **SMALL)
    held_out = [recs[i] for i in test]
    for name in ("m.joblib", "m.skops"):
        save_model(m, tmp_path / name)
        back = load_model(tmp_path / name)
        np.testing.assert_array_equal(back.predict_proba(held_out), m.predict_proba(held_out))
        assert back.settings["cv_score"] == m.settings["cv_score"] and back.describe() == m.describe()


def test_old_model_files_without_recipe_or_score_still_inspect_and_predict(data, tmp_path, capsys):
    pytest.importorskip("skops")
    recs, y, train, _ = data
    m = train_model([recs[i] for i in train], y[train], SR, model="mel", kind="fixed", cv_folds=0, **SMALL)
    # the settings an older wavefront fit kept
    m.settings = {"model": "mel", "kind": "learned", "segment_seconds": 0.25, "hop_seconds": 0.25,
                  "aggregate": "mean_proba", "pad": "constant", "n_filters": 4, "epochs": 10, "batch_size": 16,
                  "lr": 0.01, "random_state": 0, "backend": None, "n_recordings": 16,
                  "initial_center_frequencies": m.settings["initial_center_frequencies"]}
    sf = pytest.importorskip("soundfile")
    sf.write(tmp_path / "new.wav", recs[20], SR, subtype="FLOAT")
    for name in ("old.joblib", "old.skops"):
        save_model(m, tmp_path / name)
        code, out, err = _run(capsys, "inspect", tmp_path / name, "--output-dir", tmp_path / "insp", "--no-plots")
        assert code == 0, err
        assert "model: mel (learned)" in out and "cv score: not recorded" in out and "recipe:" not in out
        code, out, err = _run(capsys, "predict", tmp_path / name, tmp_path / "new.wav", "--quiet")
        assert code == 0, err
        assert out.splitlines()[1].split(",")[1] == str(m.predict([recs[20]])[0])
