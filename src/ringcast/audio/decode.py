"""Decode an uploaded file to telephony PCM (8 kHz, signed 16-bit, mono).

How it works: the format is sniffed from the bytes (`sniff.py`), the container
framing is checked for truncation (FFmpeg would silently stop early), then
PyAV demuxes with that format forced, decodes, and its resampler (libswresample)
downmixes and resamples every frame to s16/mono/8000 Hz. The source's own
properties (rate, channels, bit depth, codec, exact duration from the decoded
sample count) are kept next to the PCM for the API's metadata.

Input is bytes or a path; a path is memory-mapped for the framing walk and
read by FFmpeg directly, so an upload is never copied whole into Python memory
(only the 8 kHz result is).
"""

from __future__ import annotations

import io
import mmap
import os
import re
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ringcast.audio.clip import Clip
from ringcast.audio.errors import (
    CorruptAudioError,
    EmptyAudioError,
    UnsupportedAudioError,
)
from ringcast.audio.g711 import Pcm
from ringcast.audio.sniff import AudioFormat, check_complete, sniff_format

SAMPLE_RATE = 8000
_PCM_BITS = re.compile(r"^pcm_[suf](\d+)")


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the uploaded file was, before conversion."""

    format: AudioFormat  # container: "wav" | "mp3" | "ogg"
    codec: str  # e.g. "pcm_s16le", "mp3", "vorbis", "opus"
    sample_rate: int
    channels: int
    bit_depth: int | None  # PCM sample size; None for lossy codecs (no such thing)
    duration_ms: int


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    pcm: Pcm  # 8 kHz, int16, mono
    source: SourceInfo

    @property
    def duration_ms(self) -> int:
        return len(self.pcm) * 1000 // SAMPLE_RATE

    def clip(self) -> Clip:
        """The telephony clip (store it with `clip.to_wav()`)."""
        return Clip(self.pcm)


def decode_audio(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> DecodedAudio:
    """Decode WAV/MP3/OGG bytes (or a file) to 8 kHz mono int16 PCM.

    Raises `UnsupportedAudioError`, `CorruptAudioError` or `EmptyAudioError`.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        size = path.stat().st_size
        if size == 0:
            raise EmptyAudioError("the file is empty (0 bytes)")
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                # FFmpeg reads the file itself: the mapping only serves the framing checks
                return _decode(view, str(path))
            finally:
                view.release()
    # BytesIO shares an immutable bytes object instead of copying it
    body = source if isinstance(source, bytes) else bytes(source)
    return _decode(memoryview(body), io.BytesIO(body))


def _decode(data: memoryview, av_source: str | io.BytesIO) -> DecodedAudio:
    if len(data) == 0:
        raise EmptyAudioError("the file is empty (0 bytes)")
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedAudioError(
            "not a WAV, MP3 or OGG audio file (its content does not start like one)"
        )
    check_complete(fmt, data)
    try:
        container = av.open(av_source, mode="r", format=fmt)
    except av.error.FFmpegError as exc:
        raise CorruptAudioError(f"cannot read this {fmt.upper()} file: {exc}") from exc
    with container:
        if not container.streams.audio:
            raise UnsupportedAudioError(f"this {fmt.upper()} file holds no audio stream")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        codec = ctx.codec.name.removesuffix("float").removesuffix("fixed")
        match = _PCM_BITS.match(codec)
        bit_depth = (
            int(match.group(1)) if match else (8 if codec in ("pcm_mulaw", "pcm_alaw") else None)
        )
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        chunks: list[Pcm] = []
        source_samples = 0
        try:
            for frame in container.decode(stream):
                source_samples += frame.samples
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1).astype(np.int16, copy=False))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.int16, copy=False))
        except av.error.FFmpegError as exc:
            raise CorruptAudioError(f"damaged {fmt.upper()} audio: {exc}") from exc
        sample_rate = int(ctx.sample_rate or 0)
        channels = int(ctx.channels or 0)
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    if source_samples == 0 or len(pcm) == 0:
        raise EmptyAudioError(f"this {fmt.upper()} file holds no audio samples")
    info = SourceInfo(
        format=fmt,
        codec=codec,
        sample_rate=sample_rate,
        channels=channels,
        bit_depth=bit_depth,
        duration_ms=source_samples * 1000 // sample_rate if sample_rate else 0,
    )
    return DecodedAudio(pcm=pcm, source=info)
