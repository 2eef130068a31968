"""The Forward node through what users run: a program launched over the HTTP API,
dialled by a real `ringcast dialer` process, baresip phones at both ends (issue 17).

The customer is a baresip phone behind the program's trunk (127.0.0.51): it answers,
"presses 0" (an in-band DTMF 0 in its microphone, then a 1 kHz tone) and dumps what
it hears. The agent is another baresip (a 600 Hz tone), reached either by number
through its own trunk (the node's `trunkId`) or by a `sip:` URI on the host of a PBX
trunk (dialled straight to the URI: the PBX trunk's port stays silent). Checked at
the peers: each one's tone is in what the other decoded; in the API: the report's
legs[] and forward events, the stereo recording listed. A URI to a host no trunk has
(and the platform did not allow), and an unknown trunkId, are refused with a 400.
"""

from __future__ import annotations

import io
import socket
import wave
from typing import Any

import numpy as np
import pytest

from carrier.test_kamailio_registration import final_report
from carrier.test_media import launch_again
from dialer.dialer_kit import jobs
from forward.baresip_kit import RATE, PhoneFactory, decoded
from programs.campaign_kit import phone, seed_campaign
from telephony.sip.test_forward_bridge import strength, tone

DIALER_HOST, CALLEE_HOST, AGENT_HOST, PBX_HOST = "127.0.0.50", "127.0.0.51", "127.0.0.52", "127.0.0.53"  # fmt: skip
AGENT = "+33612999999"
CALLEE_HZ, AGENT_HZ = 1000, 600
pytestmark = [pytest.mark.baresip]


def dtmf_zero(ms: int = 300) -> np.ndarray:
    t = np.arange(ms * 8) / RATE
    return (5000 * (np.sin(2 * np.pi * 941 * t) + np.sin(2 * np.pi * 1336 * t))).astype(np.int16)


def customer_mic() -> np.ndarray:
    """1 s of silence, the key 0 (in-band), 0.5 s of silence, then 14 s of 1 kHz."""
    gap = np.zeros(RATE // 2, np.int16)
    return np.concatenate([gap, gap, dtmf_zero(), gap, tone(CALLEE_HZ, 14000)])


def press_zero_flow(forward: dict[str, Any]) -> dict[str, Any]:
    bye = {"onCompleted": "bye", "onNoAnswer": "bye", "onBusy": "bye", "onFailed": "bye"}
    return {
        "startNodeId": "dial",
        "nodes": [
            {"id": "dial", "type": "dial", "config": {"timeout": 20000, "enableAMD": False},
             "outputs": {"onAnswer": "ask", "default": "bye"}},
            {"id": "ask", "type": "dtmf",
             "config": {"mode": "single_digit", "timeout": 6000, "retry": {"maxRetries": 0},
                        "singleDigitConfig": {"allowedDigits": ["0"]}},
             "outputs": {"branches": {"0": "fwd"}, "onMaxRetries": "bye", "onTimeout": "bye"}},
            {"id": "fwd", "type": "forward", "outputs": bye,
             "config": {"ringTimeoutSec": 10, "maxDurationSec": 10, **forward}},
            {"id": "bye", "type": "hangup", "config": {"reason": "done"}},
        ],
    }  # fmt: skip


async def add_trunk(api: Any, name: str, host: str, port: int) -> str:
    body = {"name": name, "host": host, "port": port, "optionsIntervalSec": 0}
    r = await api.client.post("/api/trunks", json=body, headers=api.acme.headers())
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def run_program(api: Any, dialer_process: Any, graph: dict[str, Any]) -> dict[str, Any]:
    """One call of a program on `graph` to the customer (the first trunk): its report."""
    c = await seed_campaign(api, contacts=1, dids=1)
    h = api.acme.headers()
    r = await api.client.put(f"/api/flows/{c.flow_id}", json={"graph": graph}, headers=h)
    assert r.status_code == 200, r.text
    _, eid = await launch_again(api, c)
    dialer_process(RINGCAST_SIP_LOCAL_HOST=DIALER_HOST)
    (job,) = await jobs(api, eid)
    report = await final_report(api, job.id, timeout_s=60)
    assert report["status"] in ("completed", "failed"), report
    return report


def loudest(pcm: np.ndarray, hz: float) -> float:
    """The strongest share of `hz` in any 1 s window."""
    return max((strength(pcm[i : i + RATE], hz) for i in range(0, pcm.size - RATE, RATE // 2)),
               default=0.0)  # fmt: skip


async def test_a_customer_pressing_0_talks_to_the_agent_through_the_dialer_process(
    api, db_url, dialer_process, baresip_phones: PhoneFactory
):
    if not db_url.startswith("sqlite"):
        return  # one database is enough for SIP
    customer = baresip_phones(CALLEE_HOST, phone(0), customer_mic())
    agent = baresip_phones(AGENT_HOST, AGENT, tone(AGENT_HZ, 20000))
    await add_trunk(api, "carrier", CALLEE_HOST, customer.port)
    agents = await add_trunk(api, "agents", AGENT_HOST, agent.port)
    report = await run_program(
        api, dialer_process, press_zero_flow({"to": AGENT, "trunkId": agents})
    )
    attempt = report["attempts"][-1]
    assert attempt["outcome"] == "completed", attempt
    [leg] = attempt["legs"]
    assert (leg["to"], leg["trunk"], leg["outcome"]) == (AGENT, agents, "completed"), leg
    assert leg["reason"] == "max_duration" and leg["answeredAt"] is not None, leg
    assert 9000 <= leg["durationMs"] <= 11000, leg
    # the call's media figures are the customer's stream, not the agent leg's
    (stats,) = [e["data"] for e in attempt["events"] if e["type"] == "media_stats"]
    rtp_port = int(str(stats["remote"]).rsplit(":", 1)[1])
    assert customer.port < rtp_port < customer.port + 10, (stats, customer.port, agent.port)
    kinds = [e["type"] for e in attempt["events"]]
    for kind in ("forward_started", "forward_answered", "forward_ended"):
        assert kind in kinds, kinds
    # at the peers: the customer heard the agent, the agent heard the customer
    assert loudest(decoded(customer), AGENT_HZ) > 0.5, customer.log()[-2000:]
    assert loudest(decoded(agent), CALLEE_HZ) > 0.5, agent.log()[-2000:]
    # the bridged conversation, listed with the call's recordings: stereo, each side's tone
    h = api.acme.headers()
    listed = (await api.client.get("/api/recordings", headers=h)).json()["data"]
    assert leg["recordingId"] in [x["id"] for x in listed], listed
    audio = await api.client.get(f"/api/recordings/{leg['recordingId']}/stream", headers=h)
    with wave.open(io.BytesIO(audio.content)) as w:
        assert w.getnchannels() == 2
        stereo = np.frombuffer(w.readframes(w.getnframes()), np.int16).reshape(-1, 2)
    assert loudest(stereo[:, 0], CALLEE_HZ) > 0.5 and loudest(stereo[:, 1], AGENT_HZ) > 0.5


async def test_a_sip_uri_target_is_dialled_at_the_uri_not_through_the_trunk(
    api, db_url, dialer_process, baresip_phones: PhoneFactory
):
    if not db_url.startswith("sqlite"):
        return
    customer = baresip_phones(CALLEE_HOST, phone(0), customer_mic())
    agent = baresip_phones(PBX_HOST, "agent", tone(AGENT_HZ, 20000))
    watch = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the PBX trunk's own port
    watch.bind((PBX_HOST, 0))
    watch.setblocking(False)
    try:
        await add_trunk(api, "carrier", CALLEE_HOST, customer.port)
        await add_trunk(api, "pbx", PBX_HOST, watch.getsockname()[1])
        uri = f"sip:agent@{PBX_HOST}:{agent.port}"
        report = await run_program(api, dialer_process, press_zero_flow({"to": uri}))
        with pytest.raises(BlockingIOError):
            watch.recv(4096)  # nothing went to the trunk
    finally:
        watch.close()
    [leg] = report["attempts"][-1]["legs"]
    assert (leg["to"], leg["outcome"], leg["trunk"]) == (uri, "completed", None), leg
    assert "agent@" + PBX_HOST in agent.log() or loudest(decoded(agent), CALLEE_HZ) > 0.5
    assert loudest(decoded(agent), CALLEE_HZ) > 0.5, agent.log()[-2000:]
    assert loudest(decoded(customer), AGENT_HZ) > 0.5
    assert len(list(customer.home.glob("dump-*-dec.wav"))) == 1  # the customer's one call


@pytest.mark.parametrize(
    ("forward", "code"),
    [
        ({"to": "sip:agent@203.0.113.9"}, "forward_host_not_allowed"),
        ({"to": ["+33612999999", "sips:agent@pbx.example.net;transport=tls"]},
         "forward_host_not_allowed"),
        ({"to": "+33612999999", "trunkId": "trk_nope"}, "trunk_not_found"),
    ],
)  # fmt: skip
async def test_a_uri_to_a_host_no_trunk_has_and_an_unknown_trunk_are_refused(
    api, forward: dict[str, Any], code: str
):
    await add_trunk(api, "pbx", "pbx.example.com", 5060)
    h = api.acme.headers()
    r = await api.client.post(
        "/api/flows", json={"name": "agent", "graph": press_zero_flow(forward)}, headers=h
    )
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "VALIDATION_FAILED", body
    assert code in r.text and "graph.nodes[2].config" in r.text, body
    # the same target on the PBX trunk's host is fine
    ok = {**forward, "to": "sip:agent@pbx.example.com:5070"}
    ok.pop("trunkId", None)
    r = await api.client.post(
        "/api/flows", json={"name": "agent", "graph": press_zero_flow(ok)}, headers=h
    )
    assert r.status_code == 201, r.text
