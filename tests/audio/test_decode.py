"""decode_audio: every accepted format to 8 kHz mono int16, metadata, typed errors."""

from __future__ import annotations

import contextlib
import io
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringcast.audio import (
    AudioDecodeError,
    CorruptAudioError,
    EmptyAudioError,
    UnsupportedAudioError,
    decode_audio,
    sniff_format,
)
from ringcast.audio.sniff import check_complete

MakeAudio = Callable[..., bytes]


def dominant_hz(pcm: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    return float(np.argmax(spectrum) * 8000 / len(pcm))


CASES = [
    # (container, codec, rate, layout, bit_depth, codec name reported)
    ("wav", "pcm_s16le", 44100, "stereo", 16, "pcm_s16le"),
    ("wav", "pcm_s24le", 48000, "stereo", 24, "pcm_s24le"),
    ("wav", "pcm_s32le", 22050, "mono", 32, "pcm_s32le"),
    ("wav", "pcm_u8", 11025, "mono", 8, "pcm_u8"),
    ("wav", "pcm_f32le", 96000, "stereo", 32, "pcm_f32le"),
    ("wav", "pcm_s16le", 8000, "mono", 16, "pcm_s16le"),
    ("wav", "pcm_mulaw", 8000, "mono", 8, "pcm_mulaw"),
    ("wav", "pcm_alaw", 16000, "stereo", 8, "pcm_alaw"),
    ("mp3", "libmp3lame", 44100, "stereo", None, "mp3"),
    ("mp3", "libmp3lame", 16000, "mono", None, "mp3"),
    ("ogg", "vorbis", 44100, "stereo", None, "vorbis"),
    ("ogg", "libopus", 48000, "stereo", None, "opus"),
]


@pytest.mark.parametrize(("fmt", "codec", "rate", "layout", "bits", "name"), CASES)
def test_decodes_to_telephony_pcm(
    audio: MakeAudio, fmt: str, codec: str, rate: int, layout: str, bits: int | None, name: str
) -> None:
    data = audio(fmt, codec, rate=rate, layout=layout, seconds=1.0, tone_hz=440)
    decoded = decode_audio(data)
    assert decoded.pcm.dtype == np.int16 and decoded.pcm.ndim == 1
    assert abs(decoded.duration_ms - 1000) <= 60  # codec priming/padding
    assert decoded.source.format == fmt
    assert decoded.source.codec == name
    assert decoded.source.sample_rate == rate
    assert decoded.source.channels == (2 if layout == "stereo" else 1)
    assert decoded.source.bit_depth == bits
    assert abs(decoded.source.duration_ms - 1000) <= 60
    assert abs(dominant_hz(decoded.pcm) - 440) < 10  # the tone survived the conversion
    peak = int(np.max(np.abs(decoded.pcm.astype(np.int32))))
    assert 12000 < peak < 20000  # -6 dBFS in, about -6 dBFS out (downmix keeps level)


def test_decodes_from_a_path(audio: MakeAudio, tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"  # the name says nothing: content decides
    path.write_bytes(audio("mp3", "libmp3lame", seconds=0.5))
    assert decode_audio(path).source.format == "mp3"


def test_renamed_text_file_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "song.mp3"
    path.write_text("this is not audio\n" * 50)
    with pytest.raises(UnsupportedAudioError) as err:
        decode_audio(path)
    assert "not a WAV, MP3 or OGG" in err.value.reason


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.93, 0.999])
def test_truncated_mp3_is_corrupt(audio: MakeAudio, fraction: float) -> None:
    data = audio("mp3", "libmp3lame", seconds=1.0)
    with pytest.raises(CorruptAudioError) as err:
        decode_audio(data[: int(len(data) * fraction)])
    assert "truncated MP3" in err.value.reason


def test_mp3_cut_at_a_frame_boundary_is_caught_by_its_header(audio: MakeAudio) -> None:
    from ringcast.audio.sniff import _first_frame, _id3v2_end, _mpeg_frame_length

    data = audio("mp3", "libmp3lame", seconds=1.0)
    pos = _first_frame(data, _id3v2_end(data))
    assert pos is not None
    for _ in range(6):  # the Xing/Info frame and five audio frames
        length = _mpeg_frame_length(data, pos)
        assert length is not None
        pos += length
    with pytest.raises(CorruptAudioError, match="declares"):
        decode_audio(data[:pos])


@pytest.mark.parametrize(
    ("fmt", "codec"), [("ogg", "vorbis"), ("ogg", "libopus"), ("wav", "pcm_s16le")]
)
def test_truncated_ogg_and_wav_are_corrupt(audio: MakeAudio, fmt: str, codec: str) -> None:
    data = audio(fmt, codec, rate=48000, seconds=1.0)
    with pytest.raises(CorruptAudioError, match="truncated"):
        decode_audio(data[: len(data) - 100])


def test_zero_bytes_is_empty() -> None:
    with pytest.raises(EmptyAudioError):
        decode_audio(b"")


def test_zero_length_path_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(EmptyAudioError):
        decode_audio(path)


def test_wav_without_samples_is_empty() -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:  # a valid 44.1 kHz stereo header, no frames
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44100)
    data = buf.getvalue()
    with pytest.raises(EmptyAudioError) as err:
        decode_audio(data)
    assert "no audio samples" in err.value.reason


def test_sniffing_ignores_declared_type() -> None:
    assert sniff_format(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "wav"
    assert sniff_format(b"OggS\x00\x02") == "ogg"
    assert sniff_format(b"ID3\x04\x00") == "mp3"
    assert sniff_format(b"\xff\xfb\x90\x00" + b"\x00" * 10) is None  # one lone header is not MP3
    assert sniff_format(b"%PDF-1.7") is None


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=600),
    prefix=st.sampled_from(
        [
            b"",
            b"RIFF\x10\x00\x00\x00WAVE",
            b"OggS",
            b"ID3\x03\x00\x00\x00\x00\x00\x05",
            b"\xff\xfb\x90\x64",
        ]
    ),
)
def test_arbitrary_bytes_only_raise_decode_errors(data: bytes, prefix: bytes) -> None:
    blob = prefix + data
    fmt = sniff_format(blob)
    if fmt is not None:
        try:
            check_complete(fmt, blob)
        except CorruptAudioError:
            return
    with contextlib.suppress(AudioDecodeError):  # anything else (or a crash) fails
        decode_audio(blob)
