from __future__ import annotations

import copy

from support import payment_reminder_graph, wav_bytes


async def _upload(api, tenant=None) -> str:
    tenant = tenant or api.acme
    r = await api.client.post(
        "/api/audio-management/upload",
        files={"file": ("hello.wav", wav_bytes(), "audio/wav")},
        data={"title": "Hello", "usageType": "welcome"},
        headers=tenant.headers(),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_create_get_list_versions(api):
    h = api.acme.headers()
    audio_id = await _upload(api)
    r = await api.client.post(
        "/api/flows",
        json={"name": "Reminder", "graph": payment_reminder_graph(audio_id)},
        headers=h,
    )
    assert r.status_code == 201, r.text
    flow = r.json()
    assert flow["version"] == 1
    assert flow["graph"]["startNodeId"] == "dial-1"
    assert {w["path"] for w in flow["warnings"]} >= {"graph.nodes[1].outputs.onError"}
    # a new graph is a new immutable version; the old one is still readable
    graph2 = payment_reminder_graph(audio_id)
    graph2["nodes"][2]["config"]["timeout"] = 8000
    r = await api.client.put(f"/api/flows/{flow['id']}", json={"graph": graph2}, headers=h)
    assert r.status_code == 200
    assert r.json()["version"] == 2
    v1 = (await api.client.get(f"/api/flows/{flow['id']}/versions/1", headers=h)).json()
    assert v1["graph"]["nodes"][2]["config"]["timeout"] == 5000
    latest = (await api.client.get(f"/api/flows/{flow['id']}", headers=h)).json()
    assert latest["version"] == 2
    assert latest["graph"]["nodes"][2]["config"]["timeout"] == 8000
    # rename does not make a version
    r = await api.client.put(f"/api/flows/{flow['id']}", json={"name": "Renamed"}, headers=h)
    assert r.json()["version"] == 2
    assert r.json()["name"] == "Renamed"
    listing = (await api.client.get("/api/flows?search=Renam", headers=h)).json()
    assert listing["meta"]["total"] == 1
    assert listing["data"][0]["id"] == flow["id"]
    versions = (await api.client.get(f"/api/flows/{flow['id']}/versions", headers=h)).json()
    assert [v["version"] for v in versions["versions"]] == [1, 2]


async def test_map_form_is_accepted(api):
    graph = payment_reminder_graph()
    graph["nodes"] = {n["id"]: {k: v for k, v in n.items() if k != "id"} for n in graph["nodes"]}
    r = await api.client.post(
        "/api/flows", json={"name": "Map", "graph": graph}, headers=api.acme.headers()
    )
    assert r.status_code == 201, r.text


async def test_invalid_graph_points_at_the_field(api):
    graph = payment_reminder_graph()
    graph["nodes"][0]["outputs"]["onBusy"] = "nowhere"
    graph["nodes"][0]["outputs"]["onFly"] = "end-1"
    r = await api.client.post(
        "/api/flows", json={"name": "Bad", "graph": graph}, headers=api.acme.headers()
    )
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert "graph.nodes[0].outputs.onBusy" in body["fieldErrors"]
    assert "graph.nodes[0].outputs.onFly" in body["fieldErrors"]
    assert (await api.client.get("/api/flows", headers=api.acme.headers())).json()["meta"][
        "total"
    ] == 0


async def test_unknown_audio_and_other_orgs_audio_rejected(api):
    theirs = await _upload(api, api.globex)
    for audio_id in ("does-not-exist", theirs):
        r = await api.client.post(
            "/api/flows",
            json={"name": "A", "graph": payment_reminder_graph(audio_id)},
            headers=api.acme.headers(),
        )
        assert r.status_code == 400
        details = r.json()["fieldDetails"]
        assert (
            details["graph.nodes[1].config.audioItems[0].audioId"][0]["code"] == "audio_not_found"
        )


async def test_invalid_update_keeps_the_old_version(api):
    h = api.acme.headers()
    flow = (
        await api.client.post(
            "/api/flows", json={"name": "F", "graph": payment_reminder_graph()}, headers=h
        )
    ).json()
    bad = copy.deepcopy(payment_reminder_graph())
    bad["startNodeId"] = "missing"
    r = await api.client.put(f"/api/flows/{flow['id']}", json={"graph": bad}, headers=h)
    assert r.status_code == 400
    assert (await api.client.get(f"/api/flows/{flow['id']}", headers=h)).json()["version"] == 1


async def test_isolation_and_delete(api):
    flow = (
        await api.client.post(
            "/api/flows",
            json={"name": "F", "graph": payment_reminder_graph()},
            headers=api.acme.headers(),
        )
    ).json()
    for method in ("get", "delete"):
        r = await getattr(api.client, method)(
            f"/api/flows/{flow['id']}", headers=api.globex.headers()
        )
        assert r.status_code == 404
        assert r.json()["code"] == "FLOW_NOT_FOUND"
    r = await api.client.put(
        f"/api/flows/{flow['id']}", json={"name": "x"}, headers=api.globex.headers()
    )
    assert r.status_code == 404
    assert (
        await api.client.delete(f"/api/flows/{flow['id']}", headers=api.acme.headers())
    ).status_code == 204
    assert (
        await api.client.get(f"/api/flows/{flow['id']}", headers=api.acme.headers())
    ).status_code == 404


async def test_audio_in_use_cannot_be_deleted(api):
    h = api.acme.headers()
    audio_id = await _upload(api)
    flow = (
        await api.client.post(
            "/api/flows", json={"name": "F", "graph": payment_reminder_graph(audio_id)}, headers=h
        )
    ).json()
    r = await api.client.delete(f"/api/audio-management/{audio_id}", headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "AUDIO_IN_USE"
    # once the flow no longer uses it, delete works
    await api.client.put(
        f"/api/flows/{flow['id']}", json={"graph": payment_reminder_graph()}, headers=h
    )
    assert (
        await api.client.delete(f"/api/audio-management/{audio_id}", headers=h)
    ).status_code == 204
