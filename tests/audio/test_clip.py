"""Clip and the telephony WAV form: round trips, caching, refusal of other WAVs."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ringcast.audio import Clip, UnsupportedAudioError, read_wav, write_wav
from ringcast.audio.errors import CorruptAudioError
from ringcast.audio.g711 import alaw_encode, ulaw_decode, ulaw_encode

pcm_arrays = arrays(np.int16, st.integers(0, 2000))


@given(pcm=pcm_arrays)
def test_wav_round_trip(pcm: np.ndarray) -> None:
    data = write_wav(pcm)
    assert len(data) == 44 + 2 * len(pcm)
    assert np.array_equal(read_wav(data), pcm)
    with wave.open(io.BytesIO(data)) as check:  # the stdlib agrees on the header
        assert (check.getframerate(), check.getnchannels(), check.getsampwidth()) == (8000, 1, 2)


def test_read_wav_refuses_non_telephony_wav() -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(b"\x00\x00" * 20)
    with pytest.raises(UnsupportedAudioError, match="44100 Hz"):
        read_wav(buf.getvalue())


def test_read_wav_refuses_truncation() -> None:
    data = write_wav(np.arange(100, dtype=np.int16))
    with pytest.raises(CorruptAudioError):
        read_wav(data[:-10])


@given(pcm=pcm_arrays)
def test_clip_encodings_match_g711(pcm: np.ndarray) -> None:
    clip = Clip(pcm)
    assert clip.ulaw == ulaw_encode(pcm)
    assert clip.alaw == alaw_encode(pcm)
    assert clip.ulaw is clip.ulaw  # encoded once, cached
    assert clip.duration_ms == len(pcm) // 8
    assert np.array_equal(Clip.from_wav(clip.to_wav()).pcm, pcm)


def test_clip_from_ulaw_keeps_the_bytes() -> None:
    data = bytes(range(256))
    clip = Clip.from_ulaw(data)
    assert clip.ulaw == data
    assert np.array_equal(clip.pcm, ulaw_decode(data))


def test_clip_pcm_is_read_only() -> None:
    source = np.ones(10, dtype=np.int16)
    clip = Clip(source)
    with pytest.raises(ValueError, match="read-only"):
        clip.pcm[0] = 5
    assert Clip.silence(20).samples == 160
