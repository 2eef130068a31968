"""`Clip`: one piece of telephony-ready audio.

A clip is immutable 8 kHz int16 mono PCM plus its G.711 µ-law and A-law
encodings, computed once on first use and cached, so a call that sends the
same prompt a thousand times encodes it once. A clip made from stored µ-law
(`from_ulaw`, how system dictionaries ship) keeps those bytes as its µ-law form.

Stored form (decided here so a call never decodes or resamples): uploads and
dictionary entries are stored as 8 kHz 16-bit mono WAV (`to_wav`/`from_wav`,
a canonical 44-byte header read back with `numpy.frombuffer`); the shipped
system dictionaries are raw µ-law (`.ulaw`, half the size).
"""

from __future__ import annotations

import numpy as np

from ringcast.audio.g711 import Pcm, alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

SAMPLE_RATE = 8000


class Clip:
    """Immutable telephony audio: `pcm` (8 kHz int16 mono) and its G.711 forms."""

    __slots__ = ("_alaw", "_pcm", "_ulaw")

    def __init__(self, pcm: Pcm, *, ulaw: bytes | None = None, alaw: bytes | None = None) -> None:
        array = np.asarray(pcm, dtype=np.int16).reshape(-1).view()
        array.flags.writeable = False  # shared between calls: nobody may edit it
        self._pcm = array
        self._ulaw = ulaw
        self._alaw = alaw

    @classmethod
    def from_ulaw(cls, data: bytes) -> Clip:
        return cls(ulaw_decode(data), ulaw=bytes(data))

    @classmethod
    def from_alaw(cls, data: bytes) -> Clip:
        return cls(alaw_decode(data), alaw=bytes(data))

    @classmethod
    def from_wav(cls, data: bytes) -> Clip:
        from ringcast.audio.wav import read_wav

        return cls(read_wav(data))

    @classmethod
    def silence(cls, duration_ms: int) -> Clip:
        return cls(np.zeros(duration_ms * SAMPLE_RATE // 1000, dtype=np.int16))

    @property
    def pcm(self) -> Pcm:
        return self._pcm

    @property
    def ulaw(self) -> bytes:
        if self._ulaw is None:
            self._ulaw = ulaw_encode(self._pcm)
        return self._ulaw

    @property
    def alaw(self) -> bytes:
        if self._alaw is None:
            self._alaw = alaw_encode(self._pcm)
        return self._alaw

    @property
    def samples(self) -> int:
        return len(self._pcm)

    @property
    def duration_ms(self) -> int:
        return len(self._pcm) * 1000 // SAMPLE_RATE

    def to_wav(self) -> bytes:
        from ringcast.audio.wav import write_wav

        return write_wav(self._pcm)

    def __len__(self) -> int:
        return len(self._pcm)

    def __repr__(self) -> str:
        return f"Clip({self.duration_ms} ms)"
