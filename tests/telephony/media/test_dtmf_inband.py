from __future__ import annotations

import subprocess

import numpy as np
import pytest

from ringcast.audio.g711 import ulaw_decode, ulaw_encode
from ringcast.telephony.channel import Pcm
from ringcast.telephony.media.dtmf_inband import DtmfDetector, dtmf_tone
from support import require_tool

ALL = "0123456789*#ABCD"


def detect(pcm: Pcm, frame: int = 160, **kwargs: float) -> str:
    got: list[str] = []
    detector = DtmfDetector(got.append, **kwargs)  # type: ignore[arg-type]
    for i in range(0, pcm.size, frame):
        detector.feed(pcm[i : i + frame])
    return "".join(got)


def sequence(digits: str, tone_ms: int, gap_ms: int, **tone: float) -> Pcm:
    parts = [np.zeros(333, dtype=np.int16)]  # misalign tones and frames
    for d in digits:
        parts += [dtmf_tone(d, tone_ms, **tone), np.zeros(gap_ms * 8, dtype=np.int16)]
    return ulaw_decode(ulaw_encode(np.concatenate(parts)))  # through the codec, like the wire


@pytest.mark.parametrize("level", [-3.0, -10.0, -20.0, -30.0])
@pytest.mark.parametrize("offset", [-0.015, 0.0, 0.015])
def test_all_digits_at_levels_and_offsets(level: float, offset: float) -> None:
    assert detect(sequence(ALL, 50, 45, level_dbm0=level, frequency_offset=offset)) == ALL


@pytest.mark.parametrize("twist", [-6.0, 3.0])
def test_twist_within_limits_detected(twist: float) -> None:
    assert detect(sequence(ALL, 60, 60, level_dbm0=-12, twist_db=twist)) == ALL


@pytest.mark.parametrize("twist", [-11.0, 7.0])
def test_excessive_twist_rejected(twist: float) -> None:
    assert detect(sequence(ALL, 100, 60, level_dbm0=-12, twist_db=twist)) == ""


def test_too_quiet_rejected() -> None:
    assert detect(sequence("123", 100, 60, level_dbm0=-42)) == ""


def test_short_tones_rejected_long_detected() -> None:
    assert detect(sequence(ALL, 20, 60)) == ""
    assert detect(sequence(ALL, 40, 60)) == ALL


def test_long_press_is_one_digit_and_repeats_need_a_gap() -> None:
    assert detect(sequence("5", 2000, 50)) == "5"
    assert detect(sequence("55", 100, 50)) == "55"
    # a 10 ms dropout inside a tone does not split it
    tone = dtmf_tone("8", 100)
    pcm = np.concatenate([tone, np.zeros(80, dtype=np.int16), tone])
    assert detect(pcm) == "8"


@pytest.mark.parametrize("frame", [80, 160, 240, 1000])
def test_frame_size_does_not_matter(frame: int) -> None:
    assert detect(sequence("147*", 60, 50), frame=frame) == "147*"


def test_single_tone_and_chords_rejected() -> None:
    t = np.arange(8000 * 2) / 8000
    amp = 6000
    single = amp * np.sin(2 * np.pi * 697 * t)  # one DTMF frequency alone
    chord = sum(amp * np.sin(2 * np.pi * f * t) for f in (440, 554, 659))  # A major
    third = amp * (np.sin(2 * np.pi * 770 * t) + np.sin(2 * np.pi * 1336 * t))
    third += amp * np.sin(2 * np.pi * 1000 * t)  # a DTMF pair drowned in a third tone
    harmonics = sum(amp / k * np.sin(2 * np.pi * 233 * k * t) for k in range(1, 12))
    for signal in (single, chord, third, harmonics):
        pcm = np.clip(signal, -32768, 32767).astype(np.int16)
        assert detect(pcm) == ""


def test_speechlike_noise_rejected() -> None:
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 3000, 8000 * 5)
    # amplitude-modulated noise bursts, like syllables
    envelope = (np.sin(2 * np.pi * 3 * np.arange(noise.size) / 8000) > 0).astype(float)
    assert detect((noise * envelope).astype(np.int16)) == ""


TEXTS = [
    "Hello, this is a reminder about your appointment tomorrow at nine thirty.",
    "Please press one to confirm, two to cancel, or stay on the line for an operator.",
    "Seven seven seven, eight six one, four nine two three. Thank you for calling.",
]


@pytest.mark.parametrize("voice", ["en", "en-us+f3", "de", "fr+m3"])
def test_no_false_digits_on_speech(voice: str) -> None:
    require_tool("espeak-ng")
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "--stdout", " ".join(TEXTS)],
        capture_output=True,
        check=True,
    ).stdout
    data = wav[wav.index(b"data") + 8 :]
    speech = np.frombuffer(data[: len(data) // 2 * 2], dtype=np.int16)
    # espeak-ng speaks at 22050 Hz: resample to 8 kHz by linear interpolation
    src_t = np.arange(speech.size) / 22050
    pcm = np.interp(np.arange(0, src_t[-1], 1 / 8000), src_t, speech)
    for gain in (1.0, 3.0):
        loud = np.clip(pcm * gain, -32768, 32767).astype(np.int16)
        assert detect(ulaw_decode(ulaw_encode(loud))) == ""
    # and the same speech still lets a real digit through afterwards
    mixed = np.concatenate([pcm.astype(np.int16), dtmf_tone("9", 80)])
    assert detect(mixed) == "9"
