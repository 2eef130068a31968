"""SpeechFrames: the Silero VAD on real (espeak-ng) speech in line noise, causal and pooled."""

from __future__ import annotations

import gc
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from ringcast.telephony.amd import frames as frames_module
from ringcast.telephony.amd.audio_file import read_audio_8k
from ringcast.telephony.amd.frames import FrameSizeError, SpeechFrames
from ringcast.telephony.amd.silero_pool import SileroPool
from support import require_tool


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> npt.NDArray[np.float64]:
    """'Hello, this is Mark speaking, who is calling please?' at 8 kHz, trimmed."""
    require_tool("espeak-ng")
    wav = Path(tmp_path_factory.mktemp("tts")) / "hello.wav"
    text = "Hello, this is Mark speaking, who is calling please?"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True)
    x = read_audio_8k(wav).astype(np.float64)
    loud = np.flatnonzero(np.abs(x) > 0.02 * np.abs(x).max())
    x = x[loud[0] : loud[-1] + 1]
    return x[: x.size - x.size % 160]


def line(
    speech: npt.NDArray[np.float64], snr_db: float, seed: int = 1
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.bool_]]:
    """1 s noise, the speech in noise, 1 s noise; and which 20 ms frames hold speech."""
    rng = np.random.default_rng(seed)
    level = 10 ** (-20 / 20) * 32768
    speech = speech / np.sqrt(np.mean(speech**2)) * level
    pad = np.zeros(8000)
    signal = np.concatenate([pad, speech, pad])
    noise = rng.standard_normal(signal.size) * level / 10 ** (snr_db / 20)
    pcm = np.clip(np.round(signal + noise), -32768, 32767).astype(np.int16)
    truth = np.zeros(pcm.size // 160, dtype=bool)
    energy = np.array([np.mean(speech[i : i + 160] ** 2) for i in range(0, speech.size, 160)])
    truth[50 : 50 + energy.size] = energy > 0.05 * level**2  # syllables, not the gaps
    return pcm, truth


def classify(pcm: npt.NDArray[np.int16], vad: str) -> npt.NDArray[np.bool_]:
    sf = SpeechFrames(vad=vad)  # type: ignore[arg-type]
    return np.array([sf.classify(pcm[i : i + 160]).speech for i in range(0, pcm.size - 159, 160)])


@pytest.mark.parametrize("snr_db", [30, 10, 5])
def test_silero_finds_speech_in_noise_and_not_noise(spoken, snr_db):
    pcm, truth = line(spoken, snr_db)
    said = classify(pcm, "silero")
    found = said[truth].mean()
    false = said[:45].mean()  # the leading noise only (the model needs a few frames)
    assert found >= 0.7, f"found {found:.2f} of the speech frames at {snr_db} dB"
    assert false <= 0.05, f"{false:.2f} of noise frames called speech"


def test_silero_holds_at_5_db_where_webrtc_with_the_energy_gate_does_not(spoken):
    pcm, truth = line(spoken, 5)
    silero = classify(pcm, "silero")[truth].mean()
    webrtc = classify(pcm, "webrtc")[truth].mean()
    assert silero >= webrtc + 0.2, (silero, webrtc)


def test_silero_is_causal(spoken):
    # Frames up to n are classified the same whatever comes after them.
    pcm, _ = line(spoken, 10)
    cut = 120 * 160
    other = pcm.copy()
    other[cut:] = np.random.default_rng(9).integers(-3000, 3000, other.size - cut)
    a, b = classify(pcm, "silero"), classify(other, "silero")
    assert np.array_equal(a[:120], b[:120])


def test_quiet_frames_are_never_speech():
    sf = SpeechFrames(vad="silero", min_mean_abs=32.0)
    rng = np.random.default_rng(3)
    for _ in range(100):
        frame = np.round(rng.standard_normal(160) * 10).astype(np.int16)
        assert not sf.classify(frame).speech


def test_silero_models_are_pooled_and_reset(monkeypatch):
    pool = SileroPool()
    monkeypatch.setattr(frames_module, "POOL", pool)
    sf = SpeechFrames(vad="silero")
    sf.classify(np.zeros(160, dtype=np.int16))
    del sf
    gc.collect()
    assert pool.idle == 1 and pool.total == 1
    model = pool._idle[0]
    again = SpeechFrames(vad="silero")
    assert pool.idle == 0
    assert again._silero is not None and again._silero._model is model


def test_frame_size_is_checked_with_silero():
    with pytest.raises(FrameSizeError):
        SpeechFrames(vad="silero").classify(np.zeros(256, dtype=np.int16))
