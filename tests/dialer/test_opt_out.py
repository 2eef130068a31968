"""A flow's opt-out key puts the callee on the do-not-call list."""

from __future__ import annotations

from dialer.dialer_kit import clock_now, dialer, scripted, tick
from programs.campaign_kit import phone, seed_campaign
from ringcast.telephony.simulated import CalleeScript

OPT_OUT_GRAPH = {
    "startNodeId": "dial",
    "nodes": [
        {
            "id": "dial",
            "type": "dial",
            "config": {"enableAMD": False},
            "outputs": {"onAnswer": "ask"},
        },
        {
            "id": "ask",
            "type": "dtmf",
            "config": {
                "mode": "single_digit",
                "variable": "choice",
                "timeout": 3000,
                "singleDigitConfig": {"allowedDigits": ["1", "9"]},
            },
            "outputs": {"branches": {"1": "thanks", "9": "stop"}},
        },
        {"id": "thanks", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
        {"id": "stop", "type": "hangup", "config": {"reason": "opt_out"}, "outputs": {}},
    ],
}


async def test_opt_out_key_lists_the_number_and_it_is_not_called_again(api):
    h = api.acme.headers()
    c = await seed_campaign(api, contacts=2)
    r = await api.client.put(f"/api/flows/{c.flow_id}", json={"graph": OPT_OUT_GRAPH}, headers=h)
    assert r.status_code == 200, r.text
    program = await api.client.post("/api/programs", json=c.program(), headers=h)
    launched = await api.client.post(f"/api/programs/{program.json()['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    presses = {
        phone(0): CalleeScript(ring_ms=0, digits=("9",)),
        phone(1): CalleeScript(ring_ms=0, digits=("1",)),
    }
    clock = clock_now()
    d = dialer(api, scripted(presses), clock)
    await tick(d, clock)
    listed = (await api.client.get("/api/dnc", headers=h)).json()["data"]
    assert [(e["phone"], e["source"]) for e in listed] == [(phone(0), "flow")]
    # the next program skips the number at dial time
    program2 = await api.client.post("/api/programs", json=c.program(name="again"), headers=h)
    launched2 = await api.client.post(f"/api/programs/{program2.json()['id']}/launch", headers=h)
    launcher = scripted()
    d2 = dialer(api, launcher, clock)
    await tick(d2, clock, 1)
    assert [p.to_number for p in launcher.plans] == [phone(1)]
    assert launched2.status_code == 201
