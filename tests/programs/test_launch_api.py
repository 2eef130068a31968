from __future__ import annotations

from datetime import UTC, datetime, timedelta

from programs.campaign_kit import make_audience, seed_campaign


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def counters_sum(e: dict) -> int:
    return (
        e["contactsCompleted"]
        + e["contactsFailed"]
        + e["contactsPending"]
        + e["contactsInProgress"]
    )


async def make_program(api, c, **overrides):
    r = await api.client.post(
        "/api/programs", json=c.program(**overrides), headers=api.acme.headers()
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_launch_snapshots_live_members_and_blocks_a_second_launch(api):
    c = await seed_campaign(api, contacts=4)
    h = api.acme.headers("manager")
    deleted = await api.client.delete(f"/api/contact/{c.contact_ids[0]}", headers=h)
    assert deleted.status_code == 200
    pid = await make_program(api, c)
    r = await api.client.post(f"/api/programs/{pid}/launch", headers=h)
    assert r.status_code == 201, r.text
    eid = r.json()["executionId"]
    e = (await api.client.get(f"/api/program-executions/{eid}", headers=h)).json()
    assert e["status"] == "running" and e["effectiveStatus"] == "running"
    assert e["totalContacts"] == 3 and e["contactsPending"] == 3 and counters_sum(e) == 3
    assert e["actualStartAt"] is not None
    assert (await api.client.get(f"/api/programs/{pid}", headers=h)).json()["status"] == "active"
    again = await api.client.post(f"/api/programs/{pid}/launch", headers=h)
    assert again.status_code == 409 and again.json()["code"] == "ExecutionAlreadyRunningError"
    listed = (await api.client.get(f"/api/programs/{pid}/executions", headers=h)).json()
    assert [x["id"] for x in listed["data"]] == [eid]
    other = await api.client.get(f"/api/program-executions/{eid}", headers=api.globex.headers())
    assert other.status_code == 404


async def test_empty_audience_is_400_and_leaves_nothing(api):
    c = await seed_campaign(api, contacts=1)
    h = api.acme.headers()
    empty = await make_audience(api, api.acme.organization_id, [])
    pid = await make_program(api, c, audienceId=empty)
    r = await api.client.post(f"/api/programs/{pid}/launch", headers=h)
    assert r.status_code == 400 and r.json()["code"] == "AudienceEmptyError"
    assert (await api.client.get(f"/api/programs/{pid}/executions", headers=h)).json()["data"] == []
    assert (await api.client.get(f"/api/programs/{pid}", headers=h)).json()["status"] == "draft"


async def test_archived_program_is_not_launchable_and_future_start_is_scheduled(api):
    c = await seed_campaign(api, contacts=2)
    h = api.acme.headers()
    pid = await make_program(api, c, startAt=iso(timedelta(days=1)))
    r = await api.client.post(f"/api/programs/{pid}/launch", headers=h)
    eid = r.json()["executionId"]
    e = (await api.client.get(f"/api/program-executions/{eid}", headers=h)).json()
    assert e["status"] == "scheduled" and e["actualStartAt"] is None
    blocked = await api.client.post(f"/api/programs/{pid}/archive", headers=h)
    assert blocked.status_code == 409
    await api.client.patch(f"/api/program-executions/{eid}/cancel", headers=h)
    assert (await api.client.post(f"/api/programs/{pid}/archive", headers=h)).status_code == 200
    r = await api.client.post(f"/api/programs/{pid}/launch", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "ProgramNotLaunchable"
    assert (
        await api.client.put(f"/api/programs/{pid}", json={"name": "x"}, headers=h)
    ).status_code == 409
    assert (await api.client.delete(f"/api/programs/{pid}", headers=h)).status_code == 409


async def test_did_deactivated_after_creation_fails_launch(api):
    c = await seed_campaign(api, contacts=2, dids=1)
    h = api.acme.headers()
    pid = await make_program(api, c)
    did = (await api.client.get("/api/dids", headers=h)).json()["data"][0]
    await api.client.put(f"/api/dids/{did['id']}", json={"status": "reserved"}, headers=h)
    r = await api.client.post(f"/api/programs/{pid}/launch", headers=h)
    assert r.status_code == 400 and "didPool[0]" in r.json()["fieldErrors"]


async def test_pause_resume_cancel_and_effective_status(api):
    c = await seed_campaign(api, contacts=3)
    h = api.acme.headers()
    window = {"advanced": [{"startAt": iso(-timedelta(hours=1)), "endAt": iso(timedelta(hours=1))}]}
    pid = await make_program(api, c, pauseWindows=window)
    eid = (await api.client.post(f"/api/programs/{pid}/launch", headers=h)).json()["executionId"]
    url = f"/api/program-executions/{eid}"
    assert (await api.client.get(url, headers=h)).json()["effectiveStatus"] == "paused_window"
    paused = (await api.client.patch(f"{url}/pause", headers=h)).json()
    assert paused["status"] == "paused" and paused["effectiveStatus"] == "paused_manual"
    assert (await api.client.patch(f"{url}/pause", headers=h)).status_code == 409
    resumed = await api.client.patch(
        f"{url}/resume", json={"autoPauseRules": [{"nodeId": "bye", "threshold": 5}]}, headers=h
    )
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "running"
    bad = await api.client.patch(
        f"{url}/resume", json={"autoPauseRules": [{"threshold": 0}]}, headers=h
    )
    assert bad.status_code == 400
    cancelled = (await api.client.patch(f"{url}/cancel", headers=h)).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["contactsFailed"] == 3 and counters_sum(cancelled) == 3
    assert cancelled["actualEndAt"] is not None
    assert (await api.client.patch(f"{url}/resume", headers=h)).status_code == 409
    assert (
        await api.client.patch(f"{url}/cancel", headers=api.acme.headers("agent"))
    ).status_code == 403
