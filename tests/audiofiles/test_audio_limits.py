"""Audio limits: duration per usage type, decoded bytes, the decode worker's
memory and time caps — enforced while decoding, 413 AUDIO_TOO_LONG, nothing stored."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from ringcast.audio.decode import DecodeLimits, decode_audio
from ringcast.audio.errors import AudioTooLongError
from ringcast.audiofiles.decode_worker import WorkerLimits, decode_to_wav
from ringcast.audiofiles.schemas import UsageType
from ringcast.settings import AUDIO_MAX_DURATION_S, Settings
from support import silent_ogg, wav_bytes

BOMB_S = 40_000  # about 1 MB of Ogg Opus; 640 MB as 8 kHz PCM


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def stored_files(api) -> list[Path]:
    root = api.app.state.ringcast.settings.data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def upload(api, data: bytes, usage: str):
    return await api.client.post(
        "/api/audio-management/upload",
        files={"file": ("a.ogg", data, "audio/ogg")},
        data={"usageType": usage},
        headers=api.acme.headers(),
    )


async def test_an_audio_bomb_is_413_without_memory_growth_and_nothing_stored(api):
    bomb = silent_ogg(BOMB_S)
    assert len(bomb) < 1_100_000
    before = peak_rss_bytes()
    started = time.monotonic()
    r = await upload(api, bomb, "prompt")
    assert r.status_code == 413, r.text
    error = r.json()
    assert error["code"] == "AUDIO_TOO_LONG"
    assert error["message"] == "The audio is too long: the audio is longer than the 600 s allowed"
    assert peak_rss_bytes() - before < 300 * 2**20
    assert time.monotonic() - started < 60  # stopped at the limit, not decoded to the end
    listed = await api.client.get("/api/audio-management", headers=api.acme.headers())
    assert listed.json()["data"] == []
    assert stored_files(api) == []


async def test_each_usage_type_has_its_own_limit(api, settings):
    two_minutes = wav_bytes(120.0, 8000)
    r = await upload(api, two_minutes, "prompt")  # 600 s
    assert r.status_code == 201, r.text
    limited = settings.model_copy(update={"audio_max_duration_s": {"prompt": 60.0}})
    api.app.state.ringcast.settings = limited
    r = await upload(api, two_minutes, "prompt")
    assert r.status_code == 413 and "60 s" in r.json()["message"]


async def test_dictionary_entries_are_limited_too(api):
    h = api.acme.headers()
    d = (
        await api.client.post("/api/dictionaries", json={"name": "D", "language": "fr"}, headers=h)
    ).json()
    r = await api.client.post(
        f"/api/dictionaries/{d['id']}/entries",
        files={"file": ("k.ogg", silent_ogg(BOMB_S), "audio/ogg")},
        data={"key": "k"},
        headers=h,
    )
    assert r.status_code == 413 and r.json()["code"] == "AUDIO_TOO_LONG", r.text
    assert "60 s" in r.json()["message"]
    entries = await api.client.get(f"/api/dictionaries/{d['id']}/entries", headers=h)
    assert entries.json()["entries"] == []
    assert stored_files(api) == []


async def test_decoded_bytes_are_limited(api, settings):
    api.app.state.ringcast.settings = settings.model_copy(
        update={"audio_max_decoded_bytes": 5 * 16_000}
    )
    r = await upload(api, wav_bytes(10.0, 8000), "prompt")
    assert r.status_code == 413, r.text
    assert r.json()["message"].endswith("decodes to more than the 80000 bytes allowed")


def test_decoding_stops_as_soon_as_a_limit_is_passed():
    started = time.monotonic()
    with pytest.raises(AudioTooLongError, match="longer than the 10 s"):
        decode_audio(silent_ogg(BOMB_S), DecodeLimits(max_duration_ms=10_000))
    assert time.monotonic() - started < 5
    assert decode_audio(silent_ogg(5), DecodeLimits(max_duration_ms=10_000)).duration_ms > 4000


def test_the_worker_is_stopped_by_its_memory_cap(tmp_path):
    """No duration or size limit: only the worker's address-space cap stops the bomb."""
    source = tmp_path / "bomb.ogg"
    source.write_bytes(silent_ogg(BOMB_S))
    with pytest.raises(AudioTooLongError, match="more than the 64 MiB allowed"):
        decode_to_wav(
            source, tmp_path / "out.wav", DecodeLimits(), WorkerLimits(memory_bytes=64 * 2**20)
        )
    assert not (tmp_path / "out.wav").exists()


def test_the_worker_is_stopped_by_its_time_cap(tmp_path):
    source = tmp_path / "bomb.ogg"
    source.write_bytes(silent_ogg(BOMB_S))
    with pytest.raises(AudioTooLongError, match=r"longer than the 0\.05 s allowed"):
        decode_to_wav(source, tmp_path / "out.wav", DecodeLimits(), WorkerLimits(timeout_s=0.05))


def test_the_worker_writes_the_telephony_wav(tmp_path):
    source = tmp_path / "a.wav"
    source.write_bytes(wav_bytes(1.0, 16000))
    decoded = decode_to_wav(source, tmp_path / "out.wav", DecodeLimits(), WorkerLimits())
    assert decoded.source.sample_rate == 16000 and 990 <= decoded.duration_ms <= 1010
    assert abs((tmp_path / "out.wav").stat().st_size - (44 + 16 * decoded.duration_ms)) < 32


def test_duration_settings_cover_every_usage_type_and_merge_partial_overrides():
    assert set(AUDIO_MAX_DURATION_S) == {u.value for u in UsageType} | {"dictionary"}
    merged = Settings(audio_max_duration_s={"hold_music": 7200})
    assert merged.audio_max_duration_s == {**AUDIO_MAX_DURATION_S, "hold_music": 7200.0}
    with pytest.raises(ValidationError, match="unknown usage type"):
        Settings(audio_max_duration_s={"jingle": 10})


def test_libav_out_of_memory_under_the_cap_is_too_long_not_damaged(tmp_path, monkeypatch):
    """Under the address-space cap libav may fail an allocation itself (ENOMEM, wrapped
    as damaged audio by the decoder) before Python raises MemoryError: still 413."""
    import multiprocessing

    import av

    from ringcast.audio.errors import CorruptAudioError
    from ringcast.audiofiles import decode_worker

    def out_of_memory(path, limits):
        try:
            raise av.error.MemoryError(12, "Cannot allocate memory")
        except av.error.FFmpegError as exc:
            raise CorruptAudioError(f"damaged OGG audio: {exc}") from exc

    monkeypatch.setattr(decode_worker, "decode_audio", out_of_memory)
    monkeypatch.setattr(decode_worker, "_cap_memory", lambda _bytes: None)
    monkeypatch.setattr(decode_worker, "lower_priority", lambda: None)
    receive, send = multiprocessing.Pipe(duplex=False)
    decode_worker._work(str(tmp_path / "x.ogg"), str(tmp_path / "o.wav"), DecodeLimits(),
                        64 * 2**20, send)  # fmt: skip
    result = receive.recv()
    assert isinstance(result, AudioTooLongError)
    assert "more than the 64 MiB allowed" in str(result)
