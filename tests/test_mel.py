"""Tests of the fixed mel-spectrogram and MFCC front-ends against a numpy re-derivation (and librosa if present)."""

import numpy as np
import pytest
import scipy.fft
import scipy.signal
import torch

from sklearn_wavefront.filterbanks._dct import dct_ii_matrix
from sklearn_wavefront.filterbanks.mel import MelFilterbank, MFCCFilterbank, mel_weights


# --------------------------------------------------------------------------- independent numpy references
def ref_hz_to_mel(f, htk):
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    return f / (200.0 / 3) if f < 1000 else 15.0 + 27.0 * np.log(f / 1000.0) / np.log(6.4)


def ref_mel_to_hz(m, htk):
    if htk:
        return 700.0 * (10 ** (m / 2595.0) - 1.0)
    return m * 200.0 / 3 if m < 15.0 else 1000.0 * 6.4 ** ((m - 15.0) / 27.0)


def ref_mel_matrix(fs, n_fft, n_mels, fmin, fmax, htk, norm):
    """Loop-by-loop triangular filters on the rfft bin frequencies."""
    lo_m, hi_m = ref_hz_to_mel(fmin, htk), ref_hz_to_mel(fmax, htk)
    pts = [ref_mel_to_hz(lo_m + (hi_m - lo_m) * j / (n_mels + 1), htk) for j in range(n_mels + 2)]
    out = np.zeros((n_mels, n_fft // 2 + 1))
    for i in range(n_mels):
        a, c, b = pts[i], pts[i + 1], pts[i + 2]
        for k in range(n_fft // 2 + 1):
            f = k * fs / n_fft
            if a < f <= c:
                out[i, k] = (f - a) / (c - a)
            elif c < f < b:
                out[i, k] = (b - f) / (b - c)
        if norm == "slaney":
            out[i] *= 2.0 / (b - a)
    return out


def ref_power_spectrogram(x, n_fft, hop, win_length, center):
    """Explicit framing: zero padding, periodic Hann centred in n_fft, rfft, |.|^2."""
    if center:
        x = np.concatenate([np.zeros(n_fft // 2), x, np.zeros(n_fft // 2)])
    win = np.zeros(n_fft)
    off = (n_fft - win_length) // 2
    win[off : off + win_length] = scipy.signal.get_window("hann", win_length, fftbins=True)
    n_frames = 1 + (len(x) - n_fft) // hop
    frames = np.stack([x[t * hop : t * hop + n_fft] * win for t in range(n_frames)], axis=1)
    return np.abs(np.fft.rfft(frames, axis=0)) ** 2


def ref_db(p, amin=1e-10):
    return 10 * np.log10(np.maximum(p, amin))


# --------------------------------------------------------------------------- mel matrix
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None])
@pytest.mark.parametrize("fs, n_fft, n_mels, fmin, fmax", [(16000, 512, 40, 0.0, None), (22050, 1024, 64, 30.0, 8000.0), (8000, 256, 20, 100.0, 4000.0)])
def test_mel_matrix_matches_numpy_rederivation(htk, norm, fs, n_fft, n_mels, fmin, fmax):
    fb = MelFilterbank(sample_rate=fs, n_filters=n_mels, n_fft=n_fft, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
    ref = ref_mel_matrix(fs, n_fft, n_mels, fmin, fs / 2 if fmax is None else fmax, htk, norm)
    np.testing.assert_allclose(fb.mel_matrix.numpy(), ref, rtol=1e-5, atol=1e-9)
    assert fb.mel_matrix.shape == (n_mels, n_fft // 2 + 1)


def test_frequency_response_is_the_exact_triangles():
    fb = MelFilterbank(sample_rate=16000, n_filters=10, n_fft=512, fmin=50.0)
    c = fb.center_frequencies()
    freqs, w = fb.frequency_response(16001)  # 0.5 Hz grid
    assert w.shape == (10, 16001)
    mels = np.linspace(ref_hz_to_mel(50.0, False), ref_hz_to_mel(8000.0, False), 12)
    pts = np.array([ref_mel_to_hz(m, False) for m in mels])
    np.testing.assert_allclose(c, pts[1:-1], rtol=1e-9)
    peaks = mel_weights(c, 50.0, 8000.0, 10).diagonal()
    np.testing.assert_allclose(peaks, 2.0 / (pts[2:] - pts[:-2]), rtol=1e-9)  # Slaney area norm: height 2/width
    # at the STFT bin frequencies the response is the matrix actually applied
    bins = np.arange(257) * 16000 / 512
    np.testing.assert_allclose(mel_weights(bins, 50.0, 8000.0, 10), fb.mel_matrix.numpy(), rtol=1e-6)
    # unit area in Hz (trapezoid on a fine grid)
    np.testing.assert_allclose(np.trapezoid(w, freqs, axis=1), 1.0, rtol=1e-3)


# --------------------------------------------------------------------------- spectrograms
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("n_fft, hop, win_length", [(512, 160, None), (400, 100, 300), (256, 64, 256)])
def test_mel_spectrogram_matches_numpy(center, n_fft, hop, win_length):
    fs = 16000
    fb = MelFilterbank(sample_rate=fs, n_filters=32, n_fft=n_fft, hop_length=hop, win_length=win_length, center=center)
    x = np.random.default_rng(0).standard_normal((2, 3001))
    out = fb(torch.as_tensor(x)).numpy()
    mel = ref_mel_matrix(fs, n_fft, 32, 0.0, fs / 2, False, "slaney")
    for b in range(2):
        power = ref_power_spectrogram(x[b], n_fft, hop, win_length or n_fft, center)
        np.testing.assert_allclose(out[b], ref_db(mel @ power), rtol=1e-5, atol=1e-4)
    assert out.shape[-1] == fb.output_length(3001)


@pytest.mark.parametrize("compression", ["log", "log1p", None])
def test_other_compressions(compression):
    fb = MelFilterbank(sample_rate=8000, n_filters=16, n_fft=256, hop_length=80, compression=compression)
    x = torch.randn(1, 800, dtype=torch.float64)
    e = fb.mel_spectrogram(x)
    expected = {"log": torch.log(e + 1e-10), "log1p": torch.log1p(e), None: e}[compression]
    torch.testing.assert_close(fb(x), expected)


def test_mfcc_is_orthonormal_dct_of_db_mel():
    x = torch.randn(2, 4000, dtype=torch.float64)
    db = MelFilterbank(sample_rate=8000, n_filters=40, n_fft=256, hop_length=80)(x).numpy()
    fb = MFCCFilterbank(sample_rate=8000, n_mfcc=13, n_filters=40, n_fft=256, hop_length=80)
    assert fb.n_outputs == 13 and fb.n_filters == 40
    out = fb(x).numpy()
    np.testing.assert_allclose(out, scipy.fft.dct(db, type=2, norm="ortho", axis=1)[:, :13], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(fb.center_frequencies(), MelFilterbank(sample_rate=8000, n_filters=40).center_frequencies())


@pytest.mark.parametrize("n_in, n_out", [(1, 1), (8, 8), (40, 13), (64, 20)])
def test_dct_matrix_is_orthonormal_dct_ii(n_in, n_out):
    d = dct_ii_matrix(n_in, n_out, dtype=torch.float64).numpy()
    np.testing.assert_allclose(d, scipy.fft.dct(np.eye(n_in), type=2, norm="ortho", axis=0)[:n_out], atol=1e-12)
    full = dct_ii_matrix(n_in, dtype=torch.float64).numpy()
    np.testing.assert_allclose(full @ full.T, np.eye(n_in), atol=1e-12)


# --------------------------------------------------------------------------- librosa (optional)
@pytest.mark.parametrize("htk", [False, True])
def test_mel_matrix_matches_librosa_if_installed(htk):
    librosa = pytest.importorskip("librosa")
    ref = librosa.filters.mel(sr=22050, n_fft=1024, n_mels=48, fmin=20.0, fmax=9000.0, htk=htk, norm="slaney")
    ours = MelFilterbank(sample_rate=22050, n_filters=48, n_fft=1024, fmin=20.0, fmax=9000.0, htk=htk)
    np.testing.assert_allclose(ours.mel_matrix.numpy(), ref, rtol=1e-5, atol=1e-8)


def test_spectrogram_and_mfcc_match_librosa_if_installed():
    librosa = pytest.importorskip("librosa")
    fs = 22050
    x = np.random.default_rng(1).standard_normal(fs // 2)
    kw = dict(sr=fs, n_fft=1024, hop_length=256, n_mels=48, fmin=20.0, fmax=9000.0, center=True, pad_mode="constant")
    S = librosa.feature.melspectrogram(y=x, power=2.0, **kw)
    db = librosa.power_to_db(S, top_db=None)  # no top_db: it would make every frame depend on the loudest one
    ours = MelFilterbank(sample_rate=fs, n_filters=48, n_fft=1024, hop_length=256, fmin=20.0, fmax=9000.0)
    np.testing.assert_allclose(ours(torch.as_tensor(x[None])).numpy()[0], db, atol=1e-4)
    mfcc = librosa.feature.mfcc(S=db, n_mfcc=13)
    ours = MFCCFilterbank(sample_rate=fs, n_mfcc=13, n_filters=48, n_fft=1024, hop_length=256, fmin=20.0, fmax=9000.0)
    np.testing.assert_allclose(ours(torch.as_tensor(x[None])).numpy()[0], mfcc, atol=1e-3)


# --------------------------------------------------------------------------- shapes and padding
@pytest.mark.parametrize("N", [1, 100, 255, 256, 257, 1000, 4099])
@pytest.mark.parametrize("n_fft, hop", [(256, 64), (256, 256), (400, 160), (512, 1)])
@pytest.mark.parametrize("center", [True, False])
def test_output_length_rule(N, n_fft, hop, center):
    fb = MelFilterbank(sample_rate=8000, n_filters=8, n_fft=n_fft, hop_length=hop, center=center)
    expected = 1 + N // hop if center else ((N - n_fft) // hop + 1 if N >= n_fft else 0)
    assert fb.output_length(N) == expected
    if expected == 0:
        with pytest.raises(ValueError, match=f"n_fft={n_fft}"):
            fb(torch.randn(1, N))
    else:
        assert fb(torch.randn(2, N)).shape == (2, 8, expected)
        assert fb(torch.randn(2, 1, N)).shape == (2, 8, expected)


@pytest.mark.parametrize("cls", [MelFilterbank, MFCCFilterbank])
@pytest.mark.parametrize("center", [True, False])
def test_zero_padding_does_not_change_frames(cls, center):
    fb = cls(sample_rate=8000, n_filters=24, n_fft=256, hop_length=80, center=center)
    x = torch.randn(2, 1001, dtype=torch.float64)
    n = fb.output_length(1001)
    y = fb(torch.cat([x, torch.zeros(2, 555, dtype=torch.float64)], 1))
    torch.testing.assert_close(y[..., :n], fb(x))


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(n_filters=0), "n_filters"),
        (dict(fmax=8001.0), "fmax"),
        (dict(fmin=-1.0), "fmin"),
        (dict(fmin=9000.0), "fmax"),
        (dict(fmin=5000.0, fmax=4000.0), "fmin"),
        (dict(n_fft=1), "n_fft"),
        (dict(hop_length=0), "hop_length"),
        (dict(win_length=1024), "win_length"),
        (dict(norm="l2"), "norm"),
        (dict(compression="sqrt"), "compression"),
        (dict(amin=0.0), "amin"),
    ],
)
def test_bad_parameters_raise(kw, match):
    params = dict(sample_rate=16000, n_filters=40, n_fft=512)
    params.update(kw)
    with pytest.raises(ValueError, match=match):
        MelFilterbank(**params)


def test_bad_mfcc_parameters_raise():
    with pytest.raises(ValueError, match="n_mfcc"):
        MFCCFilterbank(n_mfcc=50, n_filters=40)
    with pytest.raises(ValueError, match="n_mfcc"):
        MFCCFilterbank(n_mfcc=0)


@pytest.mark.parametrize(
    "x, match",
    [(torch.full((1, 500), float("nan")), "NaN"), (torch.randn(500), "shape"), (torch.randn(1, 2, 500), "channels")],
)
def test_bad_input_raises(x, match):
    with pytest.raises(ValueError, match=match):
        MelFilterbank(sample_rate=8000, n_filters=8, n_fft=256)(x)
