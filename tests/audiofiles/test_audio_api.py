from __future__ import annotations

import hashlib
import io
import wave

import pytest

from support import encoded_bytes, wav_bytes


async def upload(api, name, data, content_type, **form):
    return await api.client.post(
        "/api/audio-management/upload",
        files={"file": (name, data, content_type)},
        data=form,
        headers=api.acme.headers(),
    )


@pytest.mark.parametrize(
    ("name", "maker", "ctype", "rate", "channels"),
    [
        ("a.wav", lambda: wav_bytes(1.0, 16000, 2), "audio/wav", 16000, 2),
        ("a.mp3", lambda: encoded_bytes("mp3", "mp3", 1.0, 44100), "audio/mpeg", 44100, 1),
        ("a.mp3", lambda: encoded_bytes("mp3", "mp3", 1.0, 44100), "audio/mp3", 44100, 1),
        ("a.ogg", lambda: encoded_bytes("ogg", "libopus", 1.0, 48000), "audio/ogg", 48000, 1),
    ],
)
async def test_upload_converts_to_telephony(api, name, maker, ctype, rate, channels):
    data = maker()
    r = await upload(api, name, data, ctype, title="Greeting", usageType="welcome", tags="a,b")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["sampleRate"] == rate
    assert body["channels"] == channels
    assert 0.9 <= body["durationSeconds"] <= 1.2
    assert body["usageType"] == "welcome"
    assert body["tags"] == ["a", "b"]
    assert body["file"]["checksum"] == hashlib.sha256(data).hexdigest()
    assert body["file"]["fileSize"] == len(data)
    assert body["originalFileName"] == name
    stream = await api.client.get(
        f"/api/audio-management/{body['id']}/stream", headers=api.acme.headers()
    )
    assert stream.status_code == 200
    with wave.open(io.BytesIO(stream.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert 7000 <= w.getnframes() <= 9700
    original = await api.client.get(
        f"/api/audio-management/{body['id']}/stream?variant=original", headers=api.acme.headers()
    )
    assert original.content == data


async def test_renamed_text_file_is_415_and_nothing_stored(api):
    r = await upload(api, "song.mp3", b"this is not audio at all\n" * 50, "audio/mpeg")
    assert r.status_code == 415
    assert r.json()["code"] == "AUDIO_UNSUPPORTED"
    listing = (await api.client.get("/api/audio-management", headers=api.acme.headers())).json()
    assert listing["meta"]["total"] == 0
    files = api.app.state.ringcast.storage.path_for("x").parent
    assert not any(p.is_file() for p in files.rglob("*"))


async def test_truncated_mp3_is_415(api):
    data = encoded_bytes("mp3", "mp3", 2.0)
    r = await upload(api, "cut.mp3", data[: len(data) // 2 + 7], "audio/mpeg")
    assert r.status_code == 415


async def test_empty_file_is_400(api):
    r = await upload(api, "empty.wav", b"", "audio/wav")
    assert r.status_code == 400
    assert r.json()["code"] == "AUDIO_EMPTY"


async def test_zero_length_audio_is_400(api):
    r = await upload(api, "zero.wav", wav_bytes(0.0), "audio/wav")
    assert r.status_code == 400


async def test_over_limit_is_413(api):
    api.app.state.ringcast.settings.max_upload_bytes = 10_000
    r = await upload(api, "big.wav", wav_bytes(2.0), "audio/wav")
    assert r.status_code == 413


async def test_non_audio_declared_type_is_415(api):
    r = await upload(api, "x.txt", wav_bytes(), "text/plain")
    assert r.status_code == 415


async def test_update_list_delete_and_isolation(api):
    r = await upload(api, "a.wav", wav_bytes(), "audio/wav", title="One")
    audio_id = r.json()["id"]
    h = api.acme.headers()
    r = await api.client.put(
        f"/api/audio-management/{audio_id}", json={"title": "Two", "tags": ["x"]}, headers=h
    )
    assert r.status_code == 200
    assert r.json()["title"] == "Two"
    assert r.json()["tags"] == ["x"]
    r = await api.client.put(
        f"/api/audio-management/{audio_id}", json={"usageType": "bogus"}, headers=h
    )
    assert r.status_code == 400
    listing = (
        await api.client.get("/api/audio-management?sortBy=title&sortOrder=asc", headers=h)
    ).json()
    assert listing["data"][0]["title"] == "Two"
    r = await api.client.get("/api/audio-management?sortBy=nope", headers=h)
    assert r.status_code == 400
    other = api.globex.headers()
    assert (
        await api.client.get(f"/api/audio-management/{audio_id}", headers=other)
    ).status_code == 404
    assert (
        await api.client.get(f"/api/audio-management/{audio_id}/stream", headers=other)
    ).status_code == 404
    assert (
        await api.client.delete(f"/api/audio-management/{audio_id}", headers=other)
    ).status_code == 404
    assert (
        await api.client.delete(f"/api/audio-management/{audio_id}", headers=h)
    ).status_code == 204
    assert (await api.client.get(f"/api/audio-management/{audio_id}", headers=h)).status_code == 404
