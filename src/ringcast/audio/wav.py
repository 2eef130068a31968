"""Read and write the telephony WAV form: 8 kHz, signed 16-bit, mono.

Writing uses the stdlib `wave` module (a canonical 44-byte header). Reading
walks the RIFF chunks and takes the `data` chunk with `numpy.frombuffer`, so
loading a stored prompt is one copy, no decoding and no resampling. Any other
WAV (another rate, stereo, 24-bit...) is refused here: it goes through
`decode_audio` once, at upload.
"""

from __future__ import annotations

import io
import os
import struct
import wave
from pathlib import Path

import numpy as np

from ringcast.audio.errors import CorruptAudioError, UnsupportedAudioError
from ringcast.audio.g711 import Pcm

SAMPLE_RATE = 8000


def write_wav(pcm: Pcm) -> bytes:
    """8 kHz 16-bit WAV bytes for `pcm`: mono, or stereo for an (n, 2) array
    (a forward's recording: the callee left, the agent right)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(2 if pcm.ndim == 2 else 1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(np.asarray(pcm, dtype="<i2").tobytes())
    return buf.getvalue()


def read_wav(source: bytes | str | os.PathLike[str]) -> Pcm:
    """The samples of an 8 kHz 16-bit mono PCM WAV (bytes or a path)."""
    data = Path(source).read_bytes() if isinstance(source, str | os.PathLike) else source
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise UnsupportedAudioError("not a WAV file")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16:
                raise CorruptAudioError("damaged WAV: short fmt chunk")
            fmt = struct.unpack_from("<HHIIHH", data, body)
        elif chunk_id == b"data":
            if fmt is None:
                raise CorruptAudioError("damaged WAV: data before fmt")
            tag, channels, rate, _, _, bits = fmt
            if (tag, channels, rate, bits) != (1, 1, SAMPLE_RATE, 16):
                raise UnsupportedAudioError(
                    f"not telephony WAV (got format {tag}, {channels} ch, {rate} Hz, {bits}-bit;"
                    " need PCM, 1 ch, 8000 Hz, 16-bit)"
                )
            if body + size > len(data):
                raise CorruptAudioError("truncated WAV: data chunk runs past the end")
            size -= size % 2
            return np.frombuffer(data, dtype="<i2", count=size // 2, offset=body).astype(np.int16)
        pos = body + size + (size & 1)
    raise CorruptAudioError("damaged WAV: no data chunk")
