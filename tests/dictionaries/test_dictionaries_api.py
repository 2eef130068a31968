from __future__ import annotations

import io
import wave

from support import payment_reminder_graph, wav_bytes


async def test_system_dictionaries_are_listed_and_read_only(api):
    h = api.acme.headers()
    listing = (await api.client.get("/api/dictionaries?limit=100", headers=h)).json()
    system = {d["language"]: d for d in listing["data"] if d["isSystem"]}
    assert set(system) == {"ar", "en", "fr"}
    fr = system["fr"]
    assert fr["organizationId"] is None
    assert fr["entryCount"] > 40
    entries = (await api.client.get(f"/api/dictionaries/{fr['id']}/entries", headers=h)).json()
    keys = {e["key"] for e in entries["entries"]}
    assert {"1", "20", "100", "thousand", "million", "dirhams"} <= keys
    clip = await api.client.get(f"/api/dictionaries/{fr['id']}/entries/20/stream", headers=h)
    assert clip.status_code == 200
    with wave.open(io.BytesIO(clip.content)) as w:
        assert w.getframerate() == 8000
        assert w.getnframes() > 800
    r = await api.client.put(f"/api/dictionaries/{fr['id']}", json={"name": "mine"}, headers=h)
    assert r.status_code == 403
    assert r.json()["code"] == "DICTIONARY_READ_ONLY"


async def test_custom_dictionary_entries(api):
    h = api.acme.headers()
    r = await api.client.post(
        "/api/dictionaries", json={"name": "Darija", "language": "ar"}, headers=h
    )
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["isSystem"] is False
    assert d["organizationId"] == api.acme.organization_id
    for key in ("1", "dirhams"):
        r = await api.client.post(
            f"/api/dictionaries/{d['id']}/entries",
            files={"file": (f"{key}.wav", wav_bytes(0.5), "audio/wav")},
            data={"key": key},
            headers=h,
        )
        assert r.status_code == 201, r.text
        assert 450 <= r.json()["durationMs"] <= 550
    # replacing a key keeps one entry
    r = await api.client.post(
        f"/api/dictionaries/{d['id']}/entries",
        files={"file": ("1.wav", wav_bytes(0.25), "audio/wav")},
        data={"key": "1"},
        headers=h,
    )
    assert r.status_code == 201
    entries = (await api.client.get(f"/api/dictionaries/{d['id']}/entries", headers=h)).json()[
        "entries"
    ]
    assert {e["key"]: e["durationMs"] for e in entries}["1"] < 300
    assert len(entries) == 2
    assert (await api.client.get(f"/api/dictionaries/{d['id']}", headers=h)).json()[
        "entryCount"
    ] == 2
    r = await api.client.delete(f"/api/dictionaries/{d['id']}/entries/dirhams", headers=h)
    assert r.status_code == 204
    r = await api.client.get(f"/api/dictionaries/{d['id']}/entries/dirhams", headers=h)
    assert r.status_code == 404
    # other organizations see nothing
    other = api.globex.headers()
    assert (await api.client.get(f"/api/dictionaries/{d['id']}", headers=other)).status_code == 404
    r = await api.client.post(
        f"/api/dictionaries/{d['id']}/entries",
        files={"file": ("1.wav", wav_bytes(0.25), "audio/wav")},
        data={"key": "2"},
        headers=other,
    )
    assert r.status_code == 404


async def test_bad_language_and_bad_key(api):
    h = api.acme.headers()
    r = await api.client.post("/api/dictionaries", json={"name": "X", "language": "xx"}, headers=h)
    assert r.status_code == 400
    assert "language" in r.json()["fieldErrors"]
    d = (
        await api.client.post("/api/dictionaries", json={"name": "X", "language": "fr"}, headers=h)
    ).json()
    r = await api.client.post(
        f"/api/dictionaries/{d['id']}/entries",
        files={"file": ("1.wav", wav_bytes(0.25), "audio/wav")},
        data={"key": "a b"},
        headers=h,
    )
    assert r.status_code == 400


async def test_dictionary_in_use_cannot_be_deleted(api):
    h = api.acme.headers()
    d = (
        await api.client.post("/api/dictionaries", json={"name": "X", "language": "fr"}, headers=h)
    ).json()
    graph = payment_reminder_graph()
    graph["nodes"][1]["config"]["audioItems"][0]["dictionaryId"] = d["id"]
    r = await api.client.post("/api/flows", json={"name": "F", "graph": graph}, headers=h)
    assert r.status_code == 201, r.text
    r = await api.client.delete(f"/api/dictionaries/{d['id']}", headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "DICTIONARY_IN_USE"
