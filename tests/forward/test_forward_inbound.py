"""An INBOUND call's Forward through what users run: a real `ringcast dialer` process,
baresip phones at both ends (issue 17).

The carrier is 127.0.0.51: a customer (a baresip phone there) calls our DID at the
dialer (127.0.0.50); the DID's inbound flow answers and forwards to the agent's number,
which goes out on the trunk the call came in on — to the agent, another baresip at the
trunk's own address and port. Audio crosses both ways (each phone's tone is in what the
other decoded), and the call report lists the inbound attempt with its leg. The trunk
has one channel: a second customer calling while the first one talks to the agent gets
no leg — its forward waits its ring timeout for the channel and fails
`trunk_channels_full`, the agent never rung twice — as an outbound call's forward does
(the dialer's gate of the call's trunk, `Dialer.leg_gate`, through the SIP launcher's
inbound router)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import pytest

from forward.baresip_kit import PhoneFactory, decoded
from forward.test_forward_dialer import AGENT, AGENT_HZ, CALLEE_HZ, loudest
from telephony.sip.test_forward_bridge import tone

DIALER_HOST, CARRIER_HOST = "127.0.0.50", "127.0.0.51"
DID, CUSTOMERS = "+33987654320", ("+33612345601", "+33612345602")
pytestmark = [pytest.mark.baresip]

INBOUND_FORWARD: dict[str, Any] = {
    "startNodeId": "answer",
    "nodes": [
        {"id": "answer", "type": "answer", "outputs": {"onSuccess": "fwd", "onError": "bye"}},
        {"id": "fwd", "type": "forward",
         "config": {"to": AGENT, "ringTimeoutSec": 5, "maxDurationSec": 15},
         "outputs": {"onCompleted": "bye", "onNoAnswer": "bye", "onBusy": "bye",
                     "onFailed": "bye"}},
        {"id": "bye", "type": "hangup", "config": {"reason": "done"}, "outputs": {}},
    ],
}  # fmt: skip


async def setup(api: Any, agent_port: int) -> str:
    """The carrier trunk (one channel; the agent at its address), the flow, the DID."""
    h = api.acme.headers()
    trunk = {"name": "carrier", "host": CARRIER_HOST, "port": agent_port, "maxChannels": 1,
             "callsPerSecond": 5, "optionsIntervalSec": 0}  # fmt: skip
    r = await api.client.post("/api/trunks", json=trunk, headers=h)
    assert r.status_code == 201, r.text
    trunk_id = str(r.json()["id"])
    flow = await api.client.post(
        "/api/flows", json={"name": "to an agent", "graph": INBOUND_FORWARD}, headers=h
    )
    assert flow.status_code == 201, flow.text
    did = {"number": DID, "country": "FR", "trunkId": trunk_id,
           "inboundFlowId": flow.json()["id"]}  # fmt: skip
    r = await api.client.post("/api/dids", json=did, headers=h)
    assert r.status_code == 201, r.text
    return trunk_id


async def inbound_reports(api: Any, count: int, timeout_s: float = 60) -> list[dict[str, Any]]:
    """The inbound calls' reports once `count` of them are recorded, oldest first."""
    h = api.acme.headers()
    deadline = time.monotonic() + timeout_s
    while True:
        r = await api.client.get("/api/call-report?direction=inbound", headers=h)
        assert r.status_code == 200, r.text
        listed = r.json()["data"]
        if len(listed) >= count or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert len(listed) == count, listed
    reports = []
    for call in listed:
        r = await api.client.get(f"/api/call-report/{call['jobId']}", headers=h)
        assert r.status_code == 200, r.text
        reports.append(r.json())
    return sorted(reports, key=lambda rep: str(rep["attempts"][0]["call"]["from"]))


async def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_an_inbound_calls_forward_reaches_the_agent_on_the_trunks_channels(
    api, db_url, dialer_process, baresip_phones: PhoneFactory
):
    if not db_url.startswith("sqlite"):
        return  # one database is enough for SIP
    agent = baresip_phones(CARRIER_HOST, AGENT, tone(AGENT_HZ, 40000))
    trunk_id = await setup(api, agent.port)
    dialer = dialer_process(RINGCAST_SIP_LOCAL_HOST=DIALER_HOST)
    ours = f"sip:{DID}@{DIALER_HOST}:{dialer.sip_port}"
    first = baresip_phones(CARRIER_HOST, CUSTOMERS[0], tone(CALLEE_HZ, 25000), ours)
    # the agent answered the first customer's forward: its one channel is in use
    await wait_for(lambda: any(agent.home.glob("dump-*-dec.wav")), 30, "the agent's call")
    await asyncio.sleep(1.0)
    second = baresip_phones(CARRIER_HOST, CUSTOMERS[1], tone(CALLEE_HZ, 25000), ours)
    one, two = await inbound_reports(api, 2)

    [a1] = one["attempts"]
    call = a1["call"]
    assert (call["direction"], call["from"], call["to"]) == ("inbound", CUSTOMERS[0], DID), a1
    [leg] = a1["legs"]
    assert (leg["to"], leg["trunk"], leg["outcome"]) == (AGENT, trunk_id, "completed"), leg
    assert leg["reason"] == "max_duration" and leg["answeredAt"] is not None, leg
    kinds = [e["type"] for e in a1["events"]]
    for kind in ("forward_started", "forward_answered", "forward_ended"):
        assert kind in kinds, kinds
    # at the phones: the customer heard the agent, the agent heard the customer
    assert loudest(decoded(first), AGENT_HZ) > 0.5, first.log()[-2000:]
    assert loudest(decoded(agent), CALLEE_HZ) > 0.5, agent.log()[-2000:]

    # the second customer's forward found the trunk's one channel taken: no leg rang
    [a2] = two["attempts"]
    assert (a2["call"]["direction"], a2["call"]["from"]) == ("inbound", CUSTOMERS[1]), a2
    [leg2] = a2["legs"]
    assert (leg2["outcome"], leg2["reason"]) == ("failed", "trunk_channels_full"), leg2
    assert (leg2["to"], leg2["answeredAt"]) == (AGENT, None), leg2  # (no trunk carried it)
    # it waited its ring timeout (5 s) for the channel before giving up
    waited = datetime.fromisoformat(leg2["terminatedAt"]) - datetime.fromisoformat(
        leg2["startedAt"]
    )
    assert 4.5 <= waited.total_seconds() < 9, leg2
    assert len(list(agent.home.glob("dump-*-dec.wav"))) == 1, agent.log()[-3000:]
    assert any(second.home.glob("dump-*-dec.wav")), second.log()[-2000:]  # it was answered
