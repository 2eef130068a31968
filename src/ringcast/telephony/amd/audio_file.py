"""Reading, resampling and writing mono WAV audio as 8 kHz `Pcm`.

Used by the `ringcast amd classify` command and the corpus generator, never on
the live call path (a live call already delivers 8 kHz frames). WAV files are
parsed with the stdlib `wave` module (16-bit or 8-bit PCM, any channel count:
channels are averaged); anything else, and any rate other than 8 kHz, goes
through PyAV, whose resampler low-pass filters before decimating.
"""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from ringcast.telephony.channel import Pcm

SAMPLE_RATE = 8000


class AudioFileError(Exception):
    """The file could not be read as audio."""


def _s16(frame: av.AudioFrame) -> npt.NDArray[np.int16]:
    return np.asarray(frame.to_ndarray(), dtype=np.int16).reshape(-1)


def resample(samples: npt.NDArray[np.int16], rate: int) -> Pcm:
    """Mono 16-bit samples at `rate` Hz → 8 kHz (PyAV's swresample)."""
    if rate == SAMPLE_RATE:
        return samples.astype(np.int16, copy=True)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1), format="s16", layout="mono"
    )
    frame.sample_rate = rate
    parts = [_s16(f) for f in resampler.resample(frame)]
    parts += [_s16(f) for f in resampler.resample(None)]
    if not parts:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(parts).astype(np.int16)


def _read_with_wave(path: Path) -> tuple[npt.NDArray[np.int16], int] | None:
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError):
        return None
    if width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.int32)
    elif width == 1:  # 8-bit WAV is unsigned
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.int32) - 128) << 8
    else:
        return None
    mono = data.reshape(-1, channels).mean(axis=1) if channels > 1 else data
    return mono.astype(np.int16), rate


def _read_with_av(path: Path) -> tuple[npt.NDArray[np.int16], int]:
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            parts: list[npt.NDArray[np.int16]] = []
            for frame in container.decode(stream):
                parts += [_s16(f) for f in resampler.resample(frame)]
            parts += [_s16(f) for f in resampler.resample(None)]
    except (av.error.FFmpegError, IndexError) as exc:
        raise AudioFileError(f"{path}: {exc}") from exc
    if not parts:
        return np.zeros(0, dtype=np.int16), SAMPLE_RATE
    return np.concatenate(parts).astype(np.int16), SAMPLE_RATE


def read_audio_8k(path: Path) -> Pcm:
    """Any audio file → 8 kHz mono 16-bit samples."""
    decoded = _read_with_wave(path)
    samples, rate = decoded if decoded is not None else _read_with_av(path)
    return resample(samples, rate)


def write_wav_8k(path: Path, pcm: Pcm) -> None:
    """8 kHz mono 16-bit samples → a WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(np.ascontiguousarray(pcm, dtype="<i2").tobytes())
