from __future__ import annotations

BASE = {"name": "main", "host": "sip.example.net", "username": "acme", "password": "s3cret"}


async def test_trunk_crud_password_is_write_only(api):
    h = api.acme.headers("manager")
    created = await api.client.post("/api/trunks", json=BASE, headers=h)
    assert created.status_code == 201, created.text
    body = created.json()
    assert "password" not in body and body["hasPassword"] is True
    assert body["isDefault"] is True  # first trunk of the organization
    assert body["transport"] == "udp" and body["port"] == 5060 and body["register"] is False
    second = await api.client.post(
        "/api/trunks", json={**BASE, "name": "backup", "isDefault": True}, headers=h
    )
    assert second.json()["isDefault"] is True
    first = await api.client.get(f"/api/trunks/{body['id']}", headers=h)
    assert first.json()["isDefault"] is False
    updated = await api.client.put(
        f"/api/trunks/{body['id']}", json={"password": None, "maxChannels": 5}, headers=h
    )
    assert updated.json()["hasPassword"] is False and updated.json()["maxChannels"] == 5
    listed = await api.client.get("/api/trunks", headers=h)
    assert listed.json()["meta"]["total"] == 2
    assert "s3cret" not in listed.text
    other = await api.client.get(f"/api/trunks/{body['id']}", headers=api.globex.headers())
    assert other.status_code == 404
    assert (await api.client.delete(f"/api/trunks/{body['id']}", headers=h)).status_code == 204
    assert (await api.client.get(f"/api/trunks/{body['id']}", headers=h)).status_code == 404


async def test_trunk_validation(api):
    h = api.acme.headers()
    bad = await api.client.post(
        "/api/trunks",
        json={**BASE, "transport": "sctp", "port": 70000, "host": "bad host", "callsPerSecond": 0},
        headers=h,
    )
    assert bad.status_code == 400
    fields = bad.json()["fieldErrors"]
    assert {"transport", "port", "host", "callsPerSecond"} <= set(fields)
    agent = await api.client.post("/api/trunks", json=BASE, headers=api.acme.headers("agent"))
    assert agent.status_code == 403
