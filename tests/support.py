"""Helpers shared by tests: sample graphs and generated audio files."""

from __future__ import annotations

import io
import math
import os
import shutil
import wave
from typing import Any, NoReturn

import av
import numpy as np
import pytest

# the one reading of CI in the tests: "true" in any case (CI=true, CI=True, CI=TRUE)
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(message: str) -> NoReturn:
    """A peer the test needs is missing: skip locally, fail under CI (scripts/test.sh provides it)."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_tool(*names: str) -> None:
    """Skip when a peer tool is absent locally; fail under CI=true (scripts/test.sh installs them)."""
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        unavailable(f"{', '.join(missing)} not installed (scripts/test.sh installs it)")


def tone_pcm(seconds: float = 1.0, rate: int = 8000, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * math.pi * freq * t) * 8000).astype(np.int16)


def wav_bytes(seconds: float = 1.0, rate: int = 16000, channels: int = 1) -> bytes:
    pcm = tone_pcm(seconds, rate)
    if channels == 2:
        pcm = np.repeat(pcm, 2)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def encoded_bytes(fmt: str, codec: str, seconds: float = 1.0, rate: int = 44100) -> bytes:
    """Encode a tone with PyAV (`mp3`/`mp3`, `ogg`/`libvorbis`)."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        samples = tone_pcm(seconds, rate)
        frame_size = 1152
        pts = 0
        for start in range(0, len(samples), frame_size):
            chunk = samples[start : start + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = pts
            pts += len(chunk)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def payment_reminder_graph(audio_id: str | None = None) -> dict[str, Any]:
    """Gomobile's payment-reminder example: dial → play balance → dtmf 1/2 → hangup."""
    greeting: list[dict[str, Any]] = (
        [{"type": "audioFile", "audioId": audio_id}] if audio_id else []
    )
    return {
        "startNodeId": "dial-1",
        "nodes": [
            {
                "id": "dial-1",
                "type": "dial",
                "config": {"timeout": 30000, "enableAMD": True},
                "outputs": {
                    "onAnswer": "play-1",
                    "onVoicemail": "vm-1",
                    "onNoAnswer": "end-1",
                    "onBusy": "end-1",
                    "onRejected": "end-1",
                    "onError": "end-1",
                },
            },
            {
                "id": "play-1",
                "type": "play",
                "config": {
                    "audioItems": [
                        *greeting,
                        {
                            "type": "number",
                            "value": {"source": "customAttribute", "attributeName": "balance"},
                            "mode": "full",
                            "language": "fr",
                            "dictionaryId": None,
                        },
                    ]
                },
                "outputs": {"onComplete": "ask-1"},
            },
            {
                "id": "ask-1",
                "type": "dtmf",
                "config": {
                    "mode": "single_digit",
                    "variable": "choice",
                    "timeout": 5000,
                    "singleDigitConfig": {"allowedDigits": ["1", "2"]},
                    "retry": {"maxRetries": 2},
                },
                "outputs": {
                    "branches": {"1": "confirm-1", "2": "callback-1"},
                    "onMaxRetries": "end-1",
                },
            },
            {"id": "confirm-1", "type": "hangup", "config": {"reason": "confirmed"}, "outputs": {}},
            {"id": "callback-1", "type": "hangup", "config": {"reason": "callback"}, "outputs": {}},
            {"id": "vm-1", "type": "hangup", "config": {"reason": "voicemail"}, "outputs": {}},
            {"id": "end-1", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
        ],
    }


__all__ = ["encoded_bytes", "payment_reminder_graph", "tone_pcm", "wav_bytes"]
