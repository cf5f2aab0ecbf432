"""Tests of the folder and PhysioNet loaders (on folders the tests write) and the generators."""

import numpy as np
import pytest
import soundfile as sf

from sklearn_wavefront.datasets import load_audio_folder
from sklearn_wavefront.datasets import load_physionet2016
from sklearn_wavefront.datasets import make_harmonic_tones, make_heart_sounds


def _sine(freq, rate, seconds, amp=0.5):
    return amp * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


@pytest.fixture
def folder(tmp_path):
    """4 files: 8 kHz WAV, 4 kHz FLAC, 8 kHz stereo WAV, 8 kHz WAV in a subfolder."""
    (tmp_path / "sub").mkdir()
    sf.write(tmp_path / "a.wav", _sine(100, 8000, 0.5), 8000, subtype="FLOAT")
    sf.write(tmp_path / "b.flac", _sine(100, 4000, 0.25), 4000)
    stereo = np.c_[np.full(800, 0.2), np.full(800, 0.4)]
    sf.write(tmp_path / "c.wav", stereo, 8000, subtype="FLOAT")
    sf.write(tmp_path / "sub" / "d.wav", _sine(50, 8000, 0.1), 8000, subtype="FLOAT")
    (tmp_path / "labels.csv").write_text(
        "path,label,speaker,domain,subject\n"
        "a.wav,yes,s1,0,7\n"
        "b.flac,no,s2,1,\n"
        "c.wav,yes,s1,0,9\n"
        "sub/d.wav,no,s3,1,9\n"
    )
    return tmp_path


def test_folder_resampled_bunch(folder):
    b = load_audio_folder(folder, sample_rate=2000)
    assert b.sample_rate == 2000
    assert [len(x) for x in b.data] == [1000, 500, 200, 200]
    assert b.lengths.tolist() == [1000, 500, 200, 200]
    assert b.original_sample_rates.tolist() == [8000, 4000, 8000, 8000]
    assert b.target.tolist() == ["yes", "no", "yes", "no"]
    assert b.columns == ["speaker", "domain", "subject"]
    assert b.speaker.tolist() == ["s1", "s2", "s1", "s3"]
    assert b.domain.dtype == np.int64 and b.domain.tolist() == [0, 1, 0, 1]
    assert b.subject.dtype == object and b.subject.tolist() == ["7", "", "9", "9"]  # empty cell kept
    assert b.paths[3].endswith("d.wav")
    assert all(x.dtype == np.float32 for x in b.data)
    # resampled content is the same 100 Hz sine at 2 kHz (away from the filter's edge effects)
    ref = _sine(100, 2000, 0.5)
    np.testing.assert_allclose(b.data[0][100:-100], ref[100:-100], atol=2e-3)
    ref_b = _sine(100, 2000, 0.25)
    np.testing.assert_allclose(b.data[1][100:-100], ref_b[100:-100], atol=2e-3)
    # stereo mixed to mono by averaging (DC survives resampling away from the edges)
    np.testing.assert_allclose(b.data[2][50:-50], 0.3, atol=1e-3)


def test_folder_mixed_rates_need_sample_rate(folder):
    with pytest.raises(ValueError, match=r"different sample rates \[4000, 8000\].*sample_rate="):
        load_audio_folder(folder)


def test_folder_native_rate_and_duration(folder, tmp_path):
    (folder / "eight.csv").write_text("path,label\na.wav,1\nc.wav,2\nsub/d.wav,3\n")
    b = load_audio_folder(folder, labels="eight.csv")
    assert b.sample_rate == 8000 and b.target.dtype == np.int64 and b.columns == []
    np.testing.assert_allclose(b.data[0], _sine(100, 8000, 0.5), atol=1e-6)
    fixed = load_audio_folder(folder, labels="eight.csv", duration=0.2)
    assert isinstance(fixed.data, np.ndarray) and fixed.data.shape == (3, 1600)
    np.testing.assert_allclose(fixed.data[0], _sine(100, 8000, 0.5)[:1600], atol=1e-6)  # cut
    np.testing.assert_allclose(fixed.data[2, :800], _sine(50, 8000, 0.1), atol=1e-6)  # padded
    assert np.all(fixed.data[2, 800:] == 0)
    assert fixed.lengths.tolist() == [4000, 800, 800]  # lengths before cutting / padding
    X, y = load_audio_folder(folder, labels="eight.csv", duration=0.2, return_X_y=True)
    assert X.shape == (3, 1600) and y.tolist() == [1, 2, 3]


def test_folder_missing_file_raises_or_skips(folder):
    (folder / "bad.csv").write_text("path,label,who\na.wav,1,x\nnope.wav,2,y\nsub/d.wav,3,z\n")
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        load_audio_folder(folder, labels="bad.csv")
    with pytest.warns(UserWarning, match=r"left out 1 of 3 files.*nope.wav"):
        b = load_audio_folder(folder, labels="bad.csv", on_error="skip")
    assert b.target.tolist() == [1, 3] and b.who.tolist() == ["x", "z"]  # rows stay aligned
    assert len(b.skipped) == 1 and b.skipped[0][0].endswith("nope.wav") and "not found" in b.skipped[0][1]


def test_folder_unreadable_file(folder):
    (folder / "junk.wav").write_bytes(b"this is not audio at all")
    (folder / "junk.csv").write_text("path,label\na.wav,1\njunk.wav,2\n")
    with pytest.raises(ValueError, match="junk.wav.*unreadable"):
        load_audio_folder(folder, labels="junk.csv")
    with pytest.warns(UserWarning, match="junk.wav"):
        b = load_audio_folder(folder, labels="junk.csv", on_error="skip")
    assert b.target.tolist() == [1]


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"labels": "none.csv"}, FileNotFoundError, "labels file not found"),
        ({"target_column": "class"}, ValueError, "target_column='class' is not a column"),
        ({"sample_rate": 2000.5}, ValueError, "sample_rate"),
        ({"sample_rate": 2000, "duration": -1}, ValueError, "duration"),
        ({"sample_rate": 2000, "on_error": "ignore"}, ValueError, "on_error"),
    ],
)
def test_folder_argument_errors(folder, kwargs, err, match):
    with pytest.raises(err, match=match):
        load_audio_folder(folder, **kwargs)


def test_folder_reserved_column(folder):
    (folder / "res.csv").write_text("path,label,data\na.wav,1,x\n")
    with pytest.raises(ValueError, match="reserved"):
        load_audio_folder(folder, labels="res.csv")


# --------------------------------------------------------------------------- PhysioNet 2016
@pytest.fixture
def physionet(tmp_path):
    for letter, rows in {"a": [("a0001", -1, 0.5), ("a0002", 1, 0.75)], "b": [("b0001", 1, 0.25)]}.items():
        sub = tmp_path / f"training-{letter}"
        sub.mkdir()
        lines = []
        for name, label, seconds in rows:
            sf.write(sub / f"{name}.wav", _sine(60, 2000, seconds), 2000, subtype="PCM_16")
            lines.append(f"{name},{label}")
        (sub / "REFERENCE.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "README.txt").write_text("not a subset")
    return tmp_path


def test_physionet_layout(physionet):
    b = load_physionet2016(physionet)
    assert b.records.tolist() == ["a0001", "a0002", "b0001"]
    assert b.target.tolist() == [-1, 1, 1]
    assert b.domains.tolist() == ["a", "a", "b"]
    assert b.sample_rate == 2000 and [len(x) for x in b.data] == [1000, 1500, 500]
    np.testing.assert_allclose(b.data[0], _sine(60, 2000, 0.5), atol=1 / 2**15)
    only_b = load_physionet2016(physionet, subsets="b", sample_rate=1000)
    assert only_b.records.tolist() == ["b0001"] and len(only_b.data[0]) == 250
    X, y = load_physionet2016(physionet, duration=0.5, return_X_y=True)
    assert X.shape == (3, 1000) and y.tolist() == [-1, 1, 1]


def test_physionet_errors(physionet, tmp_path_factory):
    with pytest.raises(FileNotFoundError, match="training-c"):
        load_physionet2016(physionet, subsets=["a", "c"])
    with pytest.raises(FileNotFoundError, match="no training-"):
        load_physionet2016(tmp_path_factory.mktemp("empty"))
    (physionet / "training-b" / "REFERENCE.csv").write_text("b0001,0\n")
    with pytest.raises(ValueError, match=r"line 1: label must be -1 \(normal\) or 1"):
        load_physionet2016(physionet)
    (physionet / "training-b" / "REFERENCE.csv").write_text("b0001,1\nb0002,-1\n")
    with pytest.raises(FileNotFoundError, match="b0002.wav"):
        load_physionet2016(physionet)
    with pytest.warns(UserWarning, match="b0002.wav"):
        b = load_physionet2016(physionet, on_error="skip")
    assert b.records.tolist() == ["a0001", "a0002", "b0001"] and b.target.tolist() == [-1, 1, 1]
    (physionet / "training-b" / "REFERENCE.csv").unlink()
    with pytest.raises(FileNotFoundError, match="REFERENCE.csv"):
        load_physionet2016(physionet)


# --------------------------------------------------------------------------- harmonic tones
def test_tones_deterministic_and_shapes():
    a = make_harmonic_tones(n_samples=30, n_classes=3, n_domains=2, random_state=1)
    b = make_harmonic_tones(n_samples=30, n_classes=3, n_domains=2, random_state=1)
    c = make_harmonic_tones(n_samples=30, n_classes=3, n_domains=2, random_state=2)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.target, b.target)
    assert not np.array_equal(a.data, c.data)
    assert a.data.shape == (30, 4000) and a.data.dtype == np.float32
    assert np.bincount(a.target).tolist() == [10, 10, 10]
    for k in range(3):  # 10 per class spread over 2 domains: 5 and 5
        assert np.bincount(a.domains[a.target == k]).tolist() == [5, 5]
    X, y = make_harmonic_tones(n_samples=30, n_classes=3, n_domains=2, random_state=1, return_X_y=True)
    np.testing.assert_array_equal(X, a.data)


def test_tones_peak_at_pitch():
    b = make_harmonic_tones(n_samples=24, n_classes=6, n_domains=3, noise=0.2, random_state=0)
    np.testing.assert_allclose(b.class_frequencies, 220 * 2 ** (np.arange(6) / 12))
    cents = 1200 * np.log2(b.f0 / b.class_frequencies[b.target])
    assert np.all(np.abs(cents) <= 20)
    n = b.data.shape[1]
    freqs = np.fft.rfftfreq(4 * n, 1 / b.sample_rate)  # zero-padded: 0.5 Hz bins
    for x, f0 in zip(b.data, b.f0):
        spec = np.abs(np.fft.rfft(x * np.hanning(n), 4 * n))
        assert abs(freqs[np.argmax(spec)] - f0) < 3.0


def test_tones_domains_change_timbre_not_pitch():
    b = make_harmonic_tones(n_samples=40, n_classes=1, n_domains=2, noise=0.0, random_state=0)
    n = b.data.shape[1]
    ratios = []
    for x, f0 in zip(b.data, b.f0):
        spec = np.abs(np.fft.rfft(x * np.hanning(n)))
        bins = np.fft.rfftfreq(n, 1 / b.sample_rate)
        h1 = spec[np.argmin(np.abs(bins - f0))]
        h3 = spec[np.argmin(np.abs(bins - 3 * f0))]
        ratios.append(h3 / h1)
    ratios = np.array(ratios)
    # a_3 / a_1 = 3 ** -p: p = 0.7 in domain 0, p = 2 in domain 1
    assert np.median(ratios[b.domains == 0]) == pytest.approx(3**-0.7, rel=0.15)
    assert np.median(ratios[b.domains == 1]) == pytest.approx(3**-2.0, rel=0.15)


def test_tones_errors():
    with pytest.raises(ValueError, match="Nyquist"):
        make_harmonic_tones(n_classes=12, n_harmonics=20, sample_rate=8000)
    with pytest.raises(ValueError, match="n_classes"):
        make_harmonic_tones(n_samples=2, n_classes=3)
    with pytest.raises(ValueError, match="noise"):
        make_harmonic_tones(noise=-0.1)


# --------------------------------------------------------------------------- heart sounds
@pytest.fixture(scope="module")
def hearts():
    return make_heart_sounds(n_recordings=60, duration=(3.0, 5.0), abnormal_fraction=(0.25, 0.5),
                             recordings_per_subject=3, random_state=0)


def test_hearts_deterministic(hearts):
    again = make_heart_sounds(n_recordings=60, duration=(3.0, 5.0), abnormal_fraction=(0.25, 0.5),
                              recordings_per_subject=3, random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip(hearts.data, again.data))
    np.testing.assert_array_equal(hearts.groups, again.groups)
    other = make_heart_sounds(n_recordings=60, duration=(3.0, 5.0), random_state=1)
    assert not np.array_equal(hearts.data[0][:100], other.data[0][:100])


def test_hearts_shapes_subjects_and_imbalance(hearts):
    b = hearts
    assert len(b.data) == len(b.target) == len(b.domains) == len(b.groups) == 60
    assert all(x.dtype == np.float32 and 6000 <= len(x) <= 10000 for x in b.data)
    assert len(np.unique(b.groups)) == 20  # 60 / 3
    for g in np.unique(b.groups):  # a subject keeps its class and its domain
        assert len(set(b.target[b.groups == g])) == 1 and len(set(b.domains[b.groups == g])) == 1
    # 10 subjects per domain; abnormal subjects: round(0.25 * 10) = 2 and round(0.5 * 10) = 5
    subj = np.unique(b.groups)
    subj_dom = np.array([b.domains[b.groups == g][0] for g in subj])
    subj_cls = np.array([b.target[b.groups == g][0] for g in subj])
    assert np.bincount(subj_dom).tolist() == [10, 10]
    assert subj_cls[subj_dom == 0].sum() == 2 and subj_cls[subj_dom == 1].sum() == 5
    assert b.target.sum() == 7 * 3


def test_hearts_beats_at_stated_times(hearts):
    fs = hearts.sample_rate
    for x, s1, hr in zip(hearts.data[:10], hearts.s1_onsets, hearts.heart_rate):
        rr = np.diff(s1)
        assert np.median(rr) == pytest.approx(60 / hr, rel=0.1)
        e = x.astype(float) ** 2
        at_s1 = np.mean([e[int(t * fs) - 20:int(t * fs) + 20].mean() for t in s1[1:-1]])
        # late diastole, 100 ms before the next S1: after S2 and any murmur, before the next beat
        between = np.mean([e[int((a + r - 0.1) * fs) - 20:int((a + r - 0.1) * fs) + 20].mean()
                           for a, r in zip(s1[1:-1], rr[1:])])
        assert at_s1 > 5 * between


def _systolic_high_energy(x, s1, s2, fs):
    """Mean energy above 150 Hz in the windows S1 + 80 ms .. S2 - 40 ms."""
    vals = []
    for a, b in zip(s1, s2):
        seg = x[int((a + 0.08) * fs):int((b - 0.04) * fs)].astype(float)
        if len(seg) < 32:
            continue
        spec = np.abs(np.fft.rfft(seg)) ** 2
        freqs = np.fft.rfftfreq(len(seg), 1 / fs)
        vals.append(spec[freqs > 150].sum() / len(seg))
    return np.mean(vals)


def test_hearts_murmur_in_systole(hearts):
    b = hearts
    energy = np.array([_systolic_high_energy(x, s1, s2, b.sample_rate)
                       for x, s1, s2 in zip(b.data, b.s1_onsets, b.s2_onsets)])
    for d in (0, 1):  # on both devices, abnormal recordings carry more high-frequency systolic energy
        abn = energy[(b.target == 1) & (b.domains == d)]
        nor = energy[(b.target == 0) & (b.domains == d)]
        assert np.median(abn) > 3 * np.median(nor)


def test_hearts_errors():
    with pytest.raises(ValueError, match="abnormal_fraction"):
        make_heart_sounds(abnormal_fraction=(0.1, 0.2, 0.3), n_domains=2)
    with pytest.raises(ValueError, match="sample_rate must be >= 1000"):
        make_heart_sounds(sample_rate=500)
    with pytest.raises(ValueError, match="duration"):
        make_heart_sounds(duration=(5.0, 2.0))
    with pytest.raises(ValueError, match="heart_rate"):
        make_heart_sounds(heart_rate=300)


# --------------------------------------------------------------------------- review regressions
@pytest.mark.parametrize(
    "column, expected",
    [
        (["01", "1", "10", "1_0"], ["01", "1", "10", "1_0"]),  # distinct labels are never merged
        (["007", "7"], ["007", "7"]),
        (["1", "1.0"], ["1", "1.0"]),
        (["0.10", "0.5"], ["0.10", "0.5"]),
        (["1e3", "2"], ["1e3", "2"]),
        (["+3", "4"], ["+3", "4"]),
        (["3", "-4", " 5"], [3, -4, 5]),
        (["0.5", "1", "-2.25"], [0.5, 1.0, -2.25]),
    ],
)
def test_folder_columns_convert_only_when_exact(folder, column, expected):
    paths = ["a.wav", "b.flac", "c.wav", "sub/d.wav"][: len(column)]
    lines = ["path,label,code"] + [f"{p},{v},{v}" for p, v in zip(paths, column)]
    (folder / "codes.csv").write_text("\n".join(lines) + "\n")
    bunch = load_audio_folder(folder, labels="codes.csv", sample_rate=8000)
    for got in (bunch.target, bunch["code"]):
        assert got.tolist() == expected
        assert len(np.unique(got.astype(str))) == len(set(v.strip() for v in column))
        if isinstance(expected[0], str):
            assert got.dtype == object
        elif all(isinstance(v, int) for v in expected):
            assert got.dtype == np.int64
        else:
            assert got.dtype == np.float64
