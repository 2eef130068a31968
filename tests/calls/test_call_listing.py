"""`GET /api/call-report`: every call of the organization, outbound and inbound, one row
per attempt, paginated and filtered in API.md's list style (issue 14: inbound calls
listed and filterable). The inbound call is recorded the way `dialer/inbound.py` does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dashboard.dashboard_kit import parse, sign_in
from dialer.dialer_kit import BUSY, clock_now, dialer, launch, scripted, tick
from programs.campaign_kit import phone
from ringcast.dialer.inbound import finish_item, open_job
from ringcast.dialer.launcher import CallResult
from ringcast.dialer.store import DialerStore
from ringcast.programs.service import pinned_flow

CALLER = "+33612345678"


async def take_an_inbound_call(api: Any, flow_id: str, did: str) -> str:
    sessions = api.app.state.ringcast.sessions
    org = api.acme.organization_id
    now = datetime.now(UTC)
    async with sessions.begin() as s:
        pinned = await pinned_flow(s, org, flow_id)
        assert pinned is not None
        taken = await open_job(s, org, did, pinned, now)
    result = CallResult("completed", "completed", now, now, now + timedelta(seconds=3))
    [ok] = await DialerStore(sessions).finish(
        [finish_item(taken, str(uuid.uuid4()), CALLER, now, result)]
    )
    assert ok
    return str(taken.job_id)


async def listed(api: Any, query: str = "", status: int = 200) -> dict[str, Any]:
    r = await api.client.get(f"/api/call-report{query}", headers=api.acme.headers("agent"))
    assert r.status_code == status, r.text
    return dict(r.json())


async def test_inbound_and_outbound_calls_are_listed_and_filtered(api):
    c, _ = await launch(api, contacts=3, dids=1, callsPerSecond=100)
    clock = clock_now()
    await tick(dialer(api, scripted({phone(2): BUSY}), clock), clock)
    inbound_job = await take_an_inbound_call(api, c.flow_id, c.dids[0])

    everything = await listed(api)
    assert everything["meta"]["total"] == 4
    assert {r["direction"] for r in everything["data"]} == {"outbound", "inbound"}

    inbound = await listed(api, "?direction=inbound")
    assert inbound["meta"] == {
        "page": 1,
        "limit": 20,
        "total": 1,
        "totalPages": 1,
        "hasNextPage": False,
        "hasPreviousPage": False,
    }
    (call,) = inbound["data"]
    assert call["jobId"] == inbound_job
    assert (call["direction"], call["from"], call["to"]) == ("inbound", CALLER, c.dids[0])
    assert (call["outcome"], call["status"]) == ("completed", "completed")
    report = await api.client.get(f"/api/call-report/{inbound_job}", headers=api.acme.headers())
    assert report.json()["attempts"][0]["callId"] == call["callId"]

    outbound = await listed(api, "?direction=outbound&sortBy=createdAt&sortOrder=asc")
    assert sorted(r["to"] for r in outbound["data"]) == [phone(0), phone(1), phone(2)]
    stamps = [r["createdAt"] for r in outbound["data"]]
    assert stamps == sorted(stamps)
    busy = await listed(api, "?direction=outbound&outcome=busy")
    assert [r["to"] for r in busy["data"]] == [phone(2)]
    assert (await listed(api, f"?search={CALLER[1:]}"))["data"][0]["jobId"] == inbound_job
    page = await listed(api, "?limit=2&page=2")
    assert len(page["data"]) == 2 and page["meta"]["hasPreviousPage"] is True
    # another organization sees none of them
    other = await api.client.get("/api/call-report", headers=api.globex.headers())
    assert other.json()["meta"]["total"] == 0


async def test_bad_filters_are_400_in_the_envelope(api):
    for query in ("?direction=sideways", "?outcome=great", "?sortBy=phone", "?page=0"):
        body = await listed(api, query, 400)
        assert body["code"] == "VALIDATION_FAILED", (query, body)


async def test_the_dashboard_lists_calls_by_direction(api):
    c, _ = await launch(api, contacts=2, dids=1, callsPerSecond=100)
    clock = clock_now()
    await tick(dialer(api, scripted(), clock), clock)
    inbound_job = await take_an_inbound_call(api, c.flow_id, c.dids[0])
    await sign_in(api.client, api.acme.agent_key)
    every = parse(await api.client.get("/dashboard/calls"))
    assert len(every.rows["calls"]) == 1 + 3  # the header, 2 outbound, 1 inbound
    r = await api.client.get("/dashboard/calls?direction=inbound")
    assert r.status_code == 200, r.text
    page = parse(r)
    header, row = page.rows["calls"]
    assert header[:5] == ["When", "Direction", "From", "To", "Outcome"]
    assert row[1:5] == ["inbound", CALLER, c.dids[0], "completed"], row
    assert f"/dashboard/calls/{inbound_job}" in page.links
    call = await api.client.get(f"/dashboard/calls/{inbound_job}")
    assert call.status_code == 200 and CALLER in call.text
    outbound = parse(await api.client.get("/dashboard/calls?direction=outbound"))
    assert {r[1] for r in outbound.rows["calls"][1:]} == {"outbound"}
    bad = await api.client.get("/dashboard/calls?direction=sideways")
    assert bad.status_code == 400
