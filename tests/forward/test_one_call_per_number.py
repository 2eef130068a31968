"""One call per number at a time (issue 17): two call requests for one contact, or a
program and a call request, never ring the number together; the second waits for the
first call to end, then is placed."""

from __future__ import annotations

import asyncio
from typing import Any

from dialer.dialer_kit import BlockedLauncher, clock_now, dialer
from programs.campaign_kit import phone, seed_campaign


async def _call_request(api: Any, contact_id: str, flow_id: str, did: str) -> str:
    body = {"contactId": contact_id, "flowId": flow_id, "fromNumber": did}
    r = await api.client.post("/api/call-requests", json=body, headers=api.acme.headers())
    assert r.status_code == 201, r.text
    return str(r.json()["jobId"])


async def _status(api: Any, job_id: str) -> str:
    r = await api.client.get(f"/api/call-report/{job_id}", headers=api.acme.headers())
    return str(r.json()["status"])


async def test_two_call_requests_for_one_contact_take_turns(api):
    c = await seed_campaign(api, contacts=2, dids=1)
    first = await _call_request(api, c.contact_ids[0], c.flow_id, c.dids[0])
    second = await _call_request(api, c.contact_ids[0], c.flow_id, c.dids[0])
    other = await _call_request(api, c.contact_ids[1], c.flow_id, c.dids[0])
    launcher, clock = BlockedLauncher(), clock_now()
    d = dialer(api, launcher, clock)
    await d.run_once(clock.now())
    await launcher.started(2)
    await asyncio.sleep(0.05)
    # one call to the first contact's number (whichever request), and the other contact's
    assert sorted(p.to_number for p in launcher.plans) == sorted([phone(0), phone(1)])
    statuses = {job: await _status(api, job) for job in (first, second, other)}
    assert sorted(statuses.values()) == ["active", "active", "queued"]
    assert statuses[other] == "active"
    waiting = next(job for job in (first, second) if statuses[job] == "queued")

    clock.advance(1)
    await d.run_once(clock.now())  # the number is still in a call: still waiting
    await asyncio.sleep(0.05)
    assert len(launcher.plans) == 2 and await _status(api, waiting) == "queued"

    launcher.release.set()  # the first calls end
    await d.drain()
    clock.advance(1)
    await d.run_once(clock.now())
    await d.drain()
    number = next(p.to_number for p in launcher.plans if p.contact["id"] == c.contact_ids[0])
    assert [p.to_number for p in launcher.plans[2:]] == [number]
    assert await _status(api, waiting) == "completed"


async def test_a_program_and_a_call_request_do_not_ring_one_number_together(api):
    c = await seed_campaign(api, contacts=2, dids=1)
    h = api.acme.headers()
    program = await api.client.post("/api/programs", json=c.program(), headers=h)
    assert program.status_code == 201, program.text
    request = await _call_request(api, c.contact_ids[0], c.flow_id, c.dids[0])
    launcher, clock = BlockedLauncher(), clock_now()
    d = dialer(api, launcher, clock)
    await d.run_once(clock.now())  # the call request's job is claimed first
    await launcher.started(1)
    launched = await api.client.post(f"/api/programs/{program.json()['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    clock.advance(1)
    await d.run_once(clock.now())
    await launcher.started(2)
    await asyncio.sleep(0.05)
    # the program calls its other contact, not the number the call request is ringing
    ringing, program_call = launcher.plans
    assert (
        ringing.contact["id"] == c.contact_ids[0]
        and program_call.contact["id"] != ringing.contact["id"]
    )
    assert await _status(api, request) == "active"
    launcher.release.set()
    await d.drain()
    clock.advance(1)
    await d.run_once(clock.now())
    await d.drain()
    assert [p.to_number for p in launcher.plans[2:]] == [ringing.to_number]
