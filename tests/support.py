"""Helpers shared by tests: sample graphs and generated audio files."""

from __future__ import annotations

import functools
import io
import math
import os
import shutil
import struct
import subprocess
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


def _ogg_crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_OGG_CRC = _ogg_crc_table()


def _ogg_page(packets: list[bytes], granule: int, sequence: int, flags: int = 0) -> bytes:
    """One Ogg page (RFC 3533) holding whole packets, with its CRC."""
    lacing = b"".join(bytes([255] * (len(p) // 255) + [len(p) % 255]) for p in packets)
    header = (
        b"OggS\x00"
        + bytes([flags])
        + struct.pack("<qII", granule, 1, sequence)
        + b"\x00\x00\x00\x00"
        + bytes([len(lacing)])
        + lacing
    )
    page = bytearray(header + b"".join(packets))
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC[((crc >> 24) ^ byte) & 0xFF]
    page[22:26] = struct.pack("<I", crc)
    return bytes(page)


@functools.lru_cache(maxsize=4)
def silent_ogg(seconds: float) -> bytes:
    """An Ogg Opus file of `seconds` of silence, about 26 bytes a second: a
    decompression bomb (40,000 s is ~1 MB, and 640 MB once decoded at 8 kHz).
    Each packet is a TOC byte (CELT, 20 ms, code 3) and a count of 6 empty
    frames: 120 ms of silence in 2 bytes."""
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    pages = [_ogg_page([head], 0, 0, flags=2), _ogg_page([tags], 0, 1)]
    packet, per_packet = b"\xfb\x06", 5760  # samples at 48 kHz
    total = int(seconds * 48000 / per_packet)
    done = 0
    while done < total:
        n = min(255, total - done)
        done += n
        last = 4 if done == total else 0
        pages.append(_ogg_page([packet] * n, done * per_packet, len(pages), flags=last))
    return b"".join(pages)


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


__all__ = ["encoded_bytes", "payment_reminder_graph", "silent_ogg", "tone_pcm", "wav_bytes"]


def until_ready(child: subprocess.Popen[str]) -> str:
    """A `ringcast dialer --supervised` child's output up to its ready line (which must come)."""
    from ringcast.dialer.supervisor import READY_LINE

    assert child.stdout is not None
    lines = []
    while (line := child.stdout.readline()) and line.strip() != READY_LINE:
        lines.append(line)
    assert line.strip() == READY_LINE, "".join(lines)
    return "".join(lines)
