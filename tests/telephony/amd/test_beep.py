"""BeepDetector: true tones at several frequencies and levels; nothing in speech or DTMF."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from ringcast.telephony.amd import BeepDetector
from ringcast.telephony.amd.audio_file import read_audio_8k
from support import require_tool


def confirmations(sig, pcm) -> list[bool]:
    det = BeepDetector()
    return [det.feed(f) for f in sig.frames(pcm)]


@pytest.mark.parametrize("hz", [400, 440, 600, 850, 1000, 1400, 2000])
@pytest.mark.parametrize("dbfs", [-40.0, -20.0, -6.0])
def test_tone_is_confirmed_after_200_ms_and_ends_with_the_tone(sig, hz, dbfs):
    flags = confirmations(sig, sig.pcm(sig.silence(300), sig.tone(600, hz, dbfs), sig.silence(400)))
    on = [i for i, f in enumerate(flags) if f]
    # frames 15..44 are the tone: confirmed on its 10th frame, true until it stops.
    assert on[0] == 15 + 9
    assert on[-1] in (44, 45)  # the 40 ms window may see the tail of the tone once more
    assert on == list(range(on[0], on[-1] + 1))


def test_tone_in_line_noise_is_confirmed(sig):
    flags = confirmations(
        sig, sig.pcm(sig.noise(300, -40) + 0, sig.tone(500, 1000, -30) + sig.noise(500, -40))
    )
    assert any(flags)


@pytest.mark.parametrize("hz", [300, 2400])
def test_tones_outside_the_band_are_not_beeps(sig, hz):
    assert not any(confirmations(sig, sig.pcm(sig.tone(800, hz))))


def test_short_tone_is_not_a_beep(sig):
    assert not any(
        confirmations(sig, sig.pcm(sig.silence(100), sig.tone(160, 1000), sig.silence(300)))
    )


def test_too_quiet_tone_is_not_a_beep(sig):
    assert not any(confirmations(sig, sig.pcm(sig.tone(800, 1000, -55))))


@pytest.mark.parametrize("digit", list("123456789*0#"))
def test_dtmf_is_not_a_beep(sig, digit):
    assert not any(
        confirmations(sig, sig.pcm(sig.silence(100), sig.dtmf(digit, 800), sig.silence(100)))
    )


@pytest.mark.parametrize("f0", [90.0, 140.0, 220.0, 300.0])
def test_synthetic_voice_is_not_a_beep(sig, f0):
    assert not any(confirmations(sig, sig.pcm(sig.speech(2000, f0=f0))))


@pytest.mark.parametrize("voice", ["en-us+f3", "en-us+m1", "fr-fr+f2", "de+m3"])
def test_espeak_speech_is_not_a_beep(sig, tmp_path: Path, voice):
    require_tool("espeak-ng")
    wav = tmp_path / "s.wav"
    text = "Hello, you have reached the voicemail of Anna. Please leave a message."
    subprocess.run(
        ["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, capture_output=True
    )
    pcm = read_audio_8k(wav)
    assert pcm.size > 8000
    assert not any(confirmations(sig, pcm))
    assert np.abs(pcm).max() > 1000  # the speech really was there


def noisy(sig, *parts: np.ndarray, noise_dbfs: float = -30.0) -> np.ndarray:
    """Line noise from the first frame, with `parts` laid over it after 1 s of noise alone."""
    body = np.concatenate([sig.silence(1000), *parts, sig.silence(500)])
    return sig.pcm(body + sig.noise(round(body.size / 8), noise_dbfs)[: body.size])


@pytest.mark.parametrize("hz", [440, 1000, 2000])
def test_tone_at_0_db_snr_is_confirmed_thanks_to_the_noise_floor(sig, hz):
    pcm = noisy(sig, sig.tone(600, hz, -30.0))  # as loud as the noise
    assert any(confirmations(sig, pcm))
    before = BeepDetector(noise_floor=False)  # the whole frame's power: the tone holds half
    assert not any(before.feed(f) for f in sig.frames(pcm))


@pytest.mark.parametrize("noise_dbfs", [-50.0, -35.0, -20.0])
def test_line_noise_alone_is_not_a_beep(sig, noise_dbfs):
    assert not any(confirmations(sig, noisy(sig, sig.silence(3000), noise_dbfs=noise_dbfs)))


@pytest.mark.parametrize("digit", list("159#"))
def test_dtmf_in_line_noise_is_not_a_beep(sig, digit):
    assert not any(confirmations(sig, noisy(sig, sig.dtmf(digit, 800, -30.0))))


@pytest.mark.parametrize("f0", [90.0, 220.0])
def test_synthetic_voice_in_line_noise_is_not_a_beep(sig, f0):
    assert not any(confirmations(sig, noisy(sig, sig.speech(2000, -28.0, f0=f0))))


@pytest.mark.parametrize("digit", list("19"))
def test_dtmf_from_the_first_frame_is_not_taken_for_noise(sig, digit):
    assert not any(confirmations(sig, sig.pcm(sig.dtmf(digit, 800), sig.silence(100))))


@pytest.mark.parametrize("hz", [440, 1000, 1400])
def test_tone_at_0_db_over_loud_line_noise_is_confirmed(sig, hz):
    # Noise louder than the floor's -30 dBFS seed (SNR 5 dB lines with a loud
    # talker): every frame is more than 1 dB above the floor, so before the
    # catch-up the floor never learnt the noise and a beep as loud as it was lost.
    pcm = noisy(sig, sig.tone(600, hz, -18.0), noise_dbfs=-18.0)
    assert any(confirmations(sig, pcm))
    stuck = BeepDetector(catch_up_db_per_s=0.0)
    assert not any(stuck.feed(f) for f in sig.frames(pcm))


@pytest.mark.parametrize("noise_dbfs", [-18.0, -12.0])
def test_loud_line_noise_voices_and_dtmf_are_not_beeps(sig, noise_dbfs):
    for part in (sig.speech(2000, noise_dbfs + 2, f0=140.0), sig.dtmf("5", 800, noise_dbfs)):
        assert not any(confirmations(sig, noisy(sig, part, noise_dbfs=noise_dbfs)))
