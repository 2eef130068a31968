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

`DecodeLimits` caps the source duration and the decoded (8 kHz) bytes. They
are checked after every decoded frame, so a file that passes one stops there
(`AudioTooLongError`) — a small file holding hours of silence costs what the
limit allows, never what the file claims.
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
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    UnsupportedAudioError,
)
from ringcast.audio.g711 import Pcm
from ringcast.audio.sniff import AudioFormat, check_complete, sniff_format

SAMPLE_RATE = 8000
_PCM_BITS = re.compile(r"^pcm_[suf](\d+)")


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """None: no limit."""

    max_duration_ms: int | None = None  # of the source
    max_decoded_bytes: int | None = None  # of the 8 kHz int16 result

    def check(self, source_samples: int, source_rate: int, decoded_bytes: int) -> None:
        """Raise `AudioTooLongError` once the decoding so far passed a limit."""
        limit = self.max_duration_ms
        if limit is not None and source_rate and source_samples * 1000 > limit * source_rate:
            raise AudioTooLongError(f"the audio is longer than the {limit / 1000:g} s allowed")
        if self.max_decoded_bytes is not None and decoded_bytes > self.max_decoded_bytes:
            raise AudioTooLongError(
                f"the audio decodes to more than the {self.max_decoded_bytes} bytes allowed"
            )


NO_LIMITS = DecodeLimits()


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


def decode_audio(
    source: bytes | bytearray | memoryview | str | os.PathLike[str],
    limits: DecodeLimits = NO_LIMITS,
) -> DecodedAudio:
    """Decode WAV/MP3/OGG bytes (or a file) to 8 kHz mono int16 PCM.

    Raises `UnsupportedAudioError`, `CorruptAudioError`, `EmptyAudioError` or
    (a limit passed) `AudioTooLongError`.
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
                return _decode(view, str(path), limits)
            finally:
                view.release()
    # BytesIO shares an immutable bytes object instead of copying it
    body = source if isinstance(source, bytes) else bytes(source)
    return _decode(memoryview(body), io.BytesIO(body), limits)


def _decode(data: memoryview, av_source: str | io.BytesIO, limits: DecodeLimits) -> DecodedAudio:
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
        source_samples = decoded_bytes = 0
        try:
            for frame in container.decode(stream):
                source_samples += frame.samples
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1).astype(np.int16, copy=False))
                    decoded_bytes += chunks[-1].nbytes
                limits.check(source_samples, int(frame.sample_rate or 0), decoded_bytes)
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
