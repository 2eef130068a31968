"""Trunk groups against sipp carriers: failover on 503, none on the callee's busy, and
a trunk that its OPTIONS keepalive finds down is never offered a call (counted at sipp)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from dialer.dialer_kit import LISTEN_A_SECOND, attempts, execution, launch
from ringcast.dialer.clock import SystemClock
from ringcast.dialer.loop import Dialer, DialerConfig
from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.dialer.store import DialerStore
from ringcast.telephony.sip import transaction
from ringcast.telephony.sip.endpoint import EndpointConfig
from secure.failover_kit import UAS_503, Carrier, add_trunk, carrier, set_group
from support import require_tool

OURS = "127.0.0.60"


async def _dial(api: Any, eid: str, launcher: SipLauncher, seconds: float = 30) -> None:
    state = api.app.state.ringcast
    dialer = Dialer(DialerStore(state.sessions), launcher, SystemClock(), DialerConfig())
    for _ in range(int(seconds * 10)):
        await dialer.run_once()
        await asyncio.sleep(0.1)
        if (await execution(api, eid))["status"] == "completed":
            break
    await dialer.drain()


def _launcher(api: Any) -> SipLauncher:
    state = api.app.state.ringcast
    return SipLauncher(
        state.sessions, state.storage, local_host=OURS, endpoint=EndpointConfig(OURS, 0)
    )


@pytest.fixture
def carriers(tmp_path: Path, db_url: str):
    require_tool("sipp")
    if not db_url.startswith("sqlite"):
        pytest.skip("one database is enough for the SIP path")
    started: list[Carrier] = []

    def start(name: str, host: str, scenario: str | None = None) -> Carrier:
        # -rtp_echo: a callee that answers carries media (an answer without any is
        # `failed` / `no_media`); the flow listens a second so the echo has time to come
        c = carrier(tmp_path / name, host, scenario, "-rtp_echo")
        started.append(c)
        return c

    yield start
    for c in started:
        c.stop()


async def _report(api: Any, job_id: str) -> dict[str, Any]:
    r = await api.client.get(f"/api/call-report/{job_id}", headers=api.acme.headers())
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_503_on_the_first_trunk_completes_on_the_second(api, carriers):
    first = carriers("first", "127.0.0.61", UAS_503.format(code=503, phrase="Service Unavailable"))
    second = carriers("second", "127.0.0.62")
    t1 = await add_trunk(api, "first", first, optionsIntervalSec=0)
    t2 = await add_trunk(api, "second", second, optionsIntervalSec=0)
    c, eid = await launch(
        api, contacts=2, dids=1, graph=LISTEN_A_SECOND, callsPerSecond=10, maxConcurrentCalls=2
    )
    await set_group(api, c.dids, [{"trunkId": t1, "priority": 1}, {"trunkId": t2, "priority": 2}])
    launcher = _launcher(api)
    try:
        await _dial(api, eid, launcher)
    finally:
        await launcher.close()
    rows = await attempts(api, eid)
    assert [(a.outcome, a.trunk_id, a.trunks_tried) for a in rows] == [
        ("completed", t2, [t1, t2])
    ] * 2, [(a.outcome, a.outcome_reason) for a in rows]
    report = await _report(api, rows[0].job_id)
    assert report["attempts"][0]["trunkId"] == t2
    assert report["attempts"][0]["trunksTried"] == [t1, t2]
    assert first.received("INVITE") == 2  # each call was offered to the first, once
    assert second.received("INVITE") == 2 and second.received("BYE") == 2


async def test_a_busy_callee_is_not_offered_to_the_next_trunk(api, carriers):
    first = carriers("first", "127.0.0.63", UAS_503.format(code=486, phrase="Busy Here"))
    second = carriers("second", "127.0.0.64")
    t1 = await add_trunk(api, "first", first, optionsIntervalSec=0)
    t2 = await add_trunk(api, "second", second, optionsIntervalSec=0)
    c, eid = await launch(api, contacts=1, dids=1, callsPerSecond=10, maxConcurrentCalls=1)
    await set_group(api, c.dids, [{"trunkId": t1, "priority": 1}, {"trunkId": t2, "priority": 2}])
    launcher = _launcher(api)
    try:
        await _dial(api, eid, launcher)
    finally:
        await launcher.close()
    rows = await attempts(api, eid)
    assert [(a.outcome, a.trunk_id, a.trunks_tried) for a in rows] == [("busy", t1, [t1])]
    assert first.received("INVITE") == 1
    assert second.received("INVITE") == 0


async def test_a_trunk_down_by_options_never_gets_an_invite(api, carriers, monkeypatch):
    # OPTIONS times out after 64 x T1: 1.3 s here instead of 32 s
    monkeypatch.setattr(transaction, "T1_MS", 20)
    silent = "\n".join(  # a carrier that never answers OPTIONS (nor anything else)
        [
            '<?xml version="1.0" encoding="ISO-8859-1" ?>',
            '<scenario name="silent"><recv request="INVITE"/></scenario>',
        ]
    )
    first = carriers("first", "127.0.0.65", silent)
    second = carriers("second", "127.0.0.66")
    t1 = await add_trunk(api, "first", first, optionsIntervalSec=1)
    t2 = await add_trunk(api, "second", second, optionsIntervalSec=0)
    c, eid = await launch(
        api, contacts=3, dids=1, graph=LISTEN_A_SECOND, callsPerSecond=10, maxConcurrentCalls=3
    )
    # same priority, the down trunk weighted to take nearly every call were it up
    await set_group(api, c.dids, [{"trunkId": t1, "weight": 1000}, {"trunkId": t2, "weight": 1}])
    launcher = _launcher(api)
    try:
        await launcher.start()
        for _ in range(100):
            if launcher.trunk_down(t1):
                break
            await asyncio.sleep(0.1)
        assert launcher.trunk_down(t1)
        await _dial(api, eid, launcher)
    finally:
        await launcher.close()
    rows = await attempts(api, eid)
    assert [(a.outcome, a.trunk_id, a.trunks_tried) for a in rows] == [
        ("completed", t2, [t2])
    ] * 3, [(a.outcome, a.outcome_reason) for a in rows]
    assert first.received("OPTIONS") >= 1
    assert first.received("INVITE") == 0
    assert second.received("INVITE") == 3
    trunk = await api.client.get(f"/api/trunks/{t1}", headers=api.acme.headers())
    assert trunk.json()["status"] == "down"
