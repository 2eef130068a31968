"""`/api/webhooks`: CRUD, validation, roles, organization scoping, test event."""

from __future__ import annotations

import pytest

from ringcast.webhooks.events import EVENT_TYPES

URL = "https://example.com/hooks"


async def test_create_returns_the_secret_once_then_crud(api):
    h = api.acme.headers("manager")
    r = await api.client.post(
        "/api/webhooks",
        json={"url": URL, "events": ["call.completed", "execution.started"], "description": "crm"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["events"] == ["call.completed", "execution.started"]
    assert created["active"] is True and created["description"] == "crm"
    assert {"id", "url", "createdAt", "updatedAt"} <= set(created)
    wid = created["id"]

    got = await api.client.get(f"/api/webhooks/{wid}", headers=h)
    assert got.status_code == 200 and "secret" not in got.json()
    listed = (await api.client.get("/api/webhooks", headers=api.acme.headers("agent"))).json()
    assert [w["id"] for w in listed["data"]] == [wid] and listed["meta"]["total"] == 1
    assert "secret" not in listed["data"][0]

    r = await api.client.put(
        f"/api/webhooks/{wid}",
        json={"events": ["*"], "active": False, "description": None},
        headers=h,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["events"], body["active"], body["description"], body["url"]) == (
        ["*"],
        False,
        None,
        URL,
    )
    rotated = await api.client.post(f"/api/webhooks/{wid}/rotate-secret", headers=h)
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (created["secret"], None)

    assert (await api.client.delete(f"/api/webhooks/{wid}", headers=h)).status_code == 204
    gone = await api.client.get(f"/api/webhooks/{wid}", headers=h)
    assert gone.status_code == 404 and gone.json()["code"] == "WEBHOOK_NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["*"]}, "url"),
        ({"url": "example.com/hooks", "events": ["*"]}, "url"),
        ({"url": "http://", "events": ["*"]}, "url"),
        ({"url": "http://example.com:99999/", "events": ["*"]}, "url"),
        ({"url": "http://xn--zz.com/x", "events": ["*"]}, "url"),  # not a valid A-label
        ({"url": "http://bücher.example/x", "events": ["*"]}, "url"),  # not ASCII
        ({"url": URL, "events": ["call.completed", "call.started"]}, "events"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL}, "events"),
        ({"url": URL, "events": ["*"], "secret": "mine"}, "secret"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(api, body, field):
    r = await api.client.post("/api/webhooks", json=body, headers=api.acme.headers())
    assert r.status_code == 400, r.text
    error = r.json()
    assert error["code"] == "VALIDATION_FAILED" and field in error["fieldErrors"], error


async def test_unknown_event_message_lists_the_known_ones(api):
    r = await api.client.post(
        "/api/webhooks", json={"url": URL, "events": ["call.started"]}, headers=api.acme.headers()
    )
    [message] = r.json()["fieldErrors"]["events"]
    assert "call.started" in message and all(e in message for e in EVENT_TYPES)


async def test_update_validates_too_and_events_are_deduplicated(api):
    h = api.acme.headers()
    created = await api.client.post(
        "/api/webhooks",
        json={"url": URL, "events": ["call.completed", "call.completed"]},
        headers=h,
    )
    assert created.json()["events"] == ["call.completed"]
    wid = created.json()["id"]
    bad = await api.client.put(f"/api/webhooks/{wid}", json={"events": ["nope"]}, headers=h)
    assert bad.status_code == 400 and "events" in bad.json()["fieldErrors"]
    for url in ("mailto:a@b.c", "http://xn--zz.com/x"):
        bad = await api.client.put(f"/api/webhooks/{wid}", json={"url": url}, headers=h)
        assert bad.status_code == 400 and "url" in bad.json()["fieldErrors"], url
    idna = await api.client.put(
        f"/api/webhooks/{wid}", json={"url": "https://xn--bcher-kva.example/x"}, headers=h
    )
    assert idna.status_code == 200, idna.text
    star = await api.client.put(
        f"/api/webhooks/{wid}", json={"events": ["execution.paused", "*"]}, headers=h
    )
    assert star.json()["events"] == ["*"]


async def test_other_organizations_get_404_and_agents_cannot_write(api):
    h = api.acme.headers()
    wid = (
        await api.client.post("/api/webhooks", json={"url": URL, "events": ["*"]}, headers=h)
    ).json()["id"]
    other = api.globex.headers()
    for method, path in [
        ("GET", f"/api/webhooks/{wid}"),
        ("PUT", f"/api/webhooks/{wid}"),
        ("DELETE", f"/api/webhooks/{wid}"),
        ("GET", f"/api/webhooks/{wid}/deliveries"),
        ("POST", f"/api/webhooks/{wid}/test"),
        ("POST", f"/api/webhooks/{wid}/rotate-secret"),
    ]:
        json_body = {"active": False} if method == "PUT" else None
        r = await api.client.request(method, path, headers=other, json=json_body)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["code"] == "WEBHOOK_NOT_FOUND"
    assert (await api.client.get("/api/webhooks", headers=other)).json()["data"] == []
    agent = api.acme.headers("agent")
    r = await api.client.post("/api/webhooks", json={"url": URL, "events": ["*"]}, headers=agent)
    assert r.status_code == 403
    assert (await api.client.delete(f"/api/webhooks/{wid}", headers=agent)).status_code == 403


async def test_test_event_is_queued_and_listed(api):
    h = api.acme.headers()
    wid = (
        await api.client.post(
            "/api/webhooks", json={"url": URL, "events": ["call.completed"]}, headers=h
        )
    ).json()["id"]
    r = await api.client.post(f"/api/webhooks/{wid}/test", headers=h)
    assert r.status_code == 202, r.text
    queued = r.json()
    assert queued["eventType"] == "webhook.test" and queued["status"] == "pending"
    assert queued["payload"]["type"] == "webhook.test"
    assert queued["payload"]["organizationId"] == api.acme.organization_id
    assert queued["payload"]["id"] == queued["eventId"]
    listed = (await api.client.get(f"/api/webhooks/{wid}/deliveries", headers=h)).json()
    assert [d["id"] for d in listed["data"]] == [queued["id"]]
    assert listed["data"][0]["attempts"] == 0 and listed["data"][0]["nextAttemptAt"]
    none = await api.client.get(f"/api/webhooks/{wid}/deliveries?status=failed", headers=h)
    assert none.json()["data"] == []
    bad = await api.client.get(f"/api/webhooks/{wid}/deliveries?status=lost", headers=h)
    assert bad.status_code == 400

    await api.client.put(f"/api/webhooks/{wid}", json={"active": False}, headers=h)
    r = await api.client.post(f"/api/webhooks/{wid}/test", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "WEBHOOK_INACTIVE"
