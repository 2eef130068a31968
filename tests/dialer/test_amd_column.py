"""The AMD verdict reaches `call_attempts.amd` through the real dialer path
(flow runner on the simulated channel, the batch recorder, the store)."""

from __future__ import annotations

from typing import Any

from dialer.dialer_kit import attempts, clock_now, dialer, scripted, tick
from programs.campaign_kit import phone, seed_campaign
from ringcast.telephony.simulated import CalleeScript

AMD_GRAPH: dict[str, Any] = {
    "startNodeId": "dial-1",
    "nodes": [
        {
            "id": "dial-1",
            "type": "dial",
            "config": {"timeout": 30000, "enableAMD": True},
            "outputs": {"onAnswer": "bye", "onVoicemail": "bye", "default": "bye"},
        },
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}


async def _launch_with_amd(api: Any, contacts: int) -> str:
    c = await seed_campaign(api, contacts=contacts)
    h = api.acme.headers()
    flow = await api.client.post("/api/flows", json={"name": "amd", "graph": AMD_GRAPH}, headers=h)
    assert flow.status_code == 201, flow.text
    r = await api.client.post("/api/programs", json=c.program(flowId=flow.json()["id"]), headers=h)
    assert r.status_code == 201, r.text
    launched = await api.client.post(f"/api/programs/{r.json()['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    return str(launched.json()["executionId"])


async def test_amd_verdict_is_stored_per_attempt(api):
    eid = await _launch_with_amd(api, contacts=3)
    machine = CalleeScript(answer="machine", ring_ms=0, amd_ms=1800)
    human = CalleeScript(answer="human", ring_ms=0, amd_ms=900, speech_ms=0)
    busy = CalleeScript(answer="busy", ring_ms=0)
    clock = clock_now()
    d = dialer(api, scripted({phone(0): machine, phone(1): human, phone(2): busy}), clock)
    for _ in range(5):  # the pacing gives a few starts per tick
        await tick(d, clock, 1)
    found = {a.to_number: a for a in await attempts(api, eid)}
    assert found[phone(0)].amd == {
        "answeredBy": "machine",
        "amdReason": "long_greeting",
        "amdDecisionMs": 1800,
        "amdGreetingMs": None,
    }
    assert found[phone(1)].amd == {
        "answeredBy": "human",
        "amdReason": "after_greeting_silence",
        "amdDecisionMs": 900,
        "amdGreetingMs": None,
    }
    assert found[phone(2)].amd is None  # never answered: AMD never ran
