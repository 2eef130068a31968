"""`ringcast amd classify` on generated WAV files (16 kHz, so the resampler runs too)."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
from typer.testing import CliRunner

from ringcast.cli.amd import app
from ringcast.telephony.amd.audio_file import read_audio_8k
from ringcast.telephony.channel import AmdSettings
from support import require_tool


def write_wav(path: Path, pcm8k: npt.NDArray[np.int16], rate: int = 16000) -> None:
    # Upsample by repeating samples then smoothing: enough for a speech-like test signal.
    factor = rate // 8000
    up = np.repeat(pcm8k.astype(np.float64), factor)
    up = np.convolve(up, np.ones(factor) / factor, mode="same")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.round(up).astype("<i2").tobytes())


def spoken(tmp_path: Path, text: str) -> npt.NDArray[np.float64]:
    """espeak-ng speech at 8 kHz, trimmed (the shipped detector hears voices, not tones)."""
    require_tool("espeak-ng")
    wav = tmp_path / "tts.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True)
    x = read_audio_8k(wav).astype(np.float64)
    loud = np.flatnonzero(np.abs(x) > 0.02 * np.abs(x).max())
    return x[loud[0] : loud[-1] + 1]


def test_classify_prints_one_json_line_per_file(sig, tmp_path: Path):
    human = tmp_path / "human.wav"
    machine = tmp_path / "machine.wav"
    hello = spoken(tmp_path, "Hello?")
    greeting = spoken(
        tmp_path,
        "Hi, you have reached Mark and Lisa. We cannot come to the phone right now, "
        "so please leave a message after the tone and we will call you back.",
    )
    write_wav(human, sig.pcm(sig.silence(300), hello, sig.silence(3000)))
    write_wav(machine, sig.pcm(sig.silence(300), greeting, sig.silence(1000)))
    result = CliRunner().invoke(app, ["classify", str(human), str(machine)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(x["file"], x["result"], x["reason"]) for x in lines] == [
        (str(human), "human", "after_greeting_silence"),
        (str(machine), "machine", "long_greeting"),
    ]
    assert set(lines[0]) == {"file", "result", "reason", "decisionMs"}
    spoke_ms = 300 + hello.size // 8
    single = AmdSettings().after_greeting_silence_ms * 0.8  # one short word
    # The VAD's voiced tail (hangover, <= 100 ms) and Silero's 32 ms windows add a little.
    assert spoke_ms + single - 100 <= lines[0]["decisionMs"] <= spoke_ms + single + 300


def test_classify_applies_setting_overrides(sig, tmp_path: Path):
    wav = tmp_path / "late.wav"
    write_wav(wav, sig.pcm(sig.silence(6000)))
    result = CliRunner().invoke(app, ["classify", "--set", "initial_silence_ms=1000", str(wav)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["decisionMs"] == 1000


def test_classify_reports_unreadable_files_and_fails(tmp_path: Path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    result = CliRunner().invoke(app, ["classify", str(bad)])
    assert result.exit_code == 1
    assert json.loads(result.output.splitlines()[0])["file"] == str(bad)


def test_classify_rejects_unknown_settings(tmp_path: Path):
    result = CliRunner().invoke(app, ["classify", "--set", "nope=1", str(tmp_path / "x.wav")])
    assert result.exit_code != 0
