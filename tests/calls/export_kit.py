"""A campaign whose flow asks for a key: the export's columns have something to show."""

from __future__ import annotations

from typing import Any

from dialer.dialer_kit import BUSY, clock_now, dialer, scripted, tick
from programs.campaign_kit import make_audience, phone
from ringcast.telephony.simulated import CalleeScript

MENU_GRAPH: dict[str, Any] = {
    "startNodeId": "dial",
    "nodes": [
        {
            "id": "dial",
            "type": "dial",
            "config": {"enableAMD": True},
            "outputs": {"onAnswer": "menu", "default": "bye"},
        },
        {
            "id": "menu",
            "type": "dtmf",
            "config": {"variable": "choice", "timeout": 3000},
            "outputs": {"onSuccess": "mark", "default": "bye"},
        },
        {
            "id": "mark",
            "type": "set_variable",
            "config": {"variable": "tag", "value": {"source": "literal", "value": "=1+2"}},
            "outputs": {"onSuccess": "bye"},
        },
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}


def pressing(*digits: str) -> CalleeScript:
    return CalleeScript(answer="human", ring_ms=0, amd_ms=0, speech_ms=0, digits=digits)


async def run_menu_campaign(api: Any, contacts: int = 3) -> str:
    """Contacts 0..n-1 with a `plan` attribute; contact 0 presses 1, 1 presses 2,
    the last is busy. Returns the execution id, every job finished."""
    h = api.acme.headers()
    r = await api.client.post(
        "/api/custom-attributes", json={"displayName": "Plan", "type": "text"}, headers=h
    )
    assert r.status_code == 201, r.text
    rows = [
        {
            "primaryPhone": phone(i),
            "firstName": f"Ann{i}",
            "lastName": "-Smith" if i == 0 else "Lee",
            "customAttributes": {"plan": f"gold{i}"},
        }
        for i in range(contacts)
    ]
    r = await api.client.post("/api/contact/upsert", json={"data": rows}, headers=h)
    assert r.status_code == 200, r.text
    listed = await api.client.get("/api/contact?limit=100", headers=h)
    ids = [c["id"] for c in listed.json()["data"]]
    audience = await make_audience(api, api.acme.organization_id, ids)
    flow = await api.client.post(
        "/api/flows", json={"name": "menu", "graph": MENU_GRAPH}, headers=h
    )
    assert flow.status_code == 201, flow.text
    did = "+33987654320"
    r = await api.client.post("/api/dids", json={"number": did, "country": "FR"}, headers=h)
    assert r.status_code == 201, r.text
    body = {
        "name": "menu",
        "audienceId": audience,
        "flowId": flow.json()["id"],
        "didPool": [did],
        "callsPerSecond": 100,
    }
    program = await api.client.post("/api/programs", json=body, headers=h)
    assert program.status_code == 201, program.text
    launched = await api.client.post(f"/api/programs/{program.json()['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    clock = clock_now()
    scripts = {phone(0): pressing("1"), phone(1): pressing("2"), phone(contacts - 1): BUSY}
    await tick(dialer(api, scripted(scripts), clock), clock)
    return str(launched.json()["executionId"])
