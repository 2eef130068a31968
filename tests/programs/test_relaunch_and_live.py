from __future__ import annotations

from dialer.dialer_kit import (
    BUSY,
    NO_ANSWER,
    clock_now,
    dialer,
    job_for,
    jobs,
    launch,
    scripted,
    tick,
)
from programs.campaign_kit import phone


async def _finish(api, eid, overrides):
    clock = clock_now()
    d = dialer(api, scripted(overrides), clock)
    await tick(d, clock)
    await tick(d, clock, 1)  # the tick after the last call closes the execution
    h = api.acme.headers()
    body = (await api.client.get(f"/api/program-executions/{eid}", headers=h)).json()
    assert body["status"] == "completed", body


async def test_relaunch_calls_again_only_those_not_reached(api):
    _, eid = await launch(api, contacts=4, callsPerSecond=100, retryStrategy={"type": "none"})
    await _finish(api, eid, {phone(1): BUSY, phone(2): NO_ANSWER})
    h = api.acme.headers()
    r = await api.client.post(f"/api/program-executions/{eid}/relaunch", headers=h)
    assert r.status_code == 201, r.text
    again = r.json()["executionId"]
    assert again != eid
    new = (await api.client.get(f"/api/program-executions/{again}", headers=h)).json()
    assert new["totalContacts"] == 2 and new["programId"] is not None
    called = {j.contact_id for j in await jobs(api, again)}
    contact = {i: (await job_for(api, eid, phone(i))).contact_id for i in range(4)}
    assert called == {contact[1], contact[2]}
    # while it runs, a second relaunch is the launch's own 409
    busy = await api.client.post(f"/api/program-executions/{eid}/relaunch", headers=h)
    assert busy.status_code == 409
    await _finish(api, again, {phone(1): BUSY})
    only_busy = await api.client.post(
        f"/api/program-executions/{again}/relaunch", json={"outcomes": ["busy"]}, headers=h
    )
    assert only_busy.status_code == 201, only_busy.text
    assert {j.contact_id for j in await jobs(api, only_busy.json()["executionId"])} == {contact[1]}


async def test_relaunch_errors(api):
    _, eid = await launch(api, contacts=2, callsPerSecond=100, retryStrategy={"type": "none"})
    await _finish(api, eid, {})
    h = api.acme.headers()
    nothing = await api.client.post(f"/api/program-executions/{eid}/relaunch", headers=h)
    assert nothing.status_code == 400 and nothing.json()["code"] == "NothingToRelaunchError"
    bad = await api.client.post(
        f"/api/program-executions/{eid}/relaunch", json={"outcomes": ["nope"]}, headers=h
    )
    assert bad.status_code == 400
    empty = await api.client.post(
        f"/api/program-executions/{eid}/relaunch", json={"outcomes": []}, headers=h
    )
    assert empty.status_code == 400
    other = await api.client.post(
        f"/api/program-executions/{eid}/relaunch", headers=api.globex.headers()
    )
    assert other.status_code == 404
    agent = await api.client.post(
        f"/api/program-executions/{eid}/relaunch", headers=api.acme.headers("agent")
    )
    assert agent.status_code == 403


async def test_live_view_counts_what_happened(api):
    _, eid = await launch(api, contacts=3, callsPerSecond=100, retryStrategy={"type": "none"})
    await _finish(api, eid, {phone(2): BUSY})
    h = api.acme.headers()
    r = await api.client.get(f"/api/program-executions/{eid}/live", headers=h)
    assert r.status_code == 200, r.text
    live = r.json()
    assert live["outcomes"] == {"completed": 2, "busy": 1} and live["attempts"] == 3
    assert sum(m["calls"] for m in live["perMinute"]) == 3 and len(live["perMinute"]) == 30
    assert live["callsPerMinute"] > 0 and live["inFlight"] == []
    assert live["nodeCounts"]["dial-1"] == 3
    assert live["execution"]["contactsCompleted"] == 2
    missing = await api.client.get("/api/program-executions/nope/live", headers=h)
    assert missing.status_code == 404
