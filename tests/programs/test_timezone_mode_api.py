"""`timezoneMode` on /api/programs: default, round trip, update, validation, launch pin."""

from __future__ import annotations

from programs.campaign_kit import seed_campaign
from ringcast.programs.models import Execution


async def test_timezone_mode_defaults_to_program_and_round_trips(api):
    c = await seed_campaign(api, contacts=1)
    h = api.acme.headers()
    default = await api.client.post("/api/programs", json=c.program(), headers=h)
    assert default.status_code == 201, default.text
    assert default.json()["timezoneMode"] == "program"
    r = await api.client.post(
        "/api/programs", json=c.program(name="by callee", timezoneMode="contact"), headers=h
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    got = await api.client.get(f"/api/programs/{pid}", headers=h)
    assert got.json()["timezoneMode"] == "contact"
    listed = await api.client.get("/api/programs", headers=h)
    assert {p["timezoneMode"] for p in listed.json()["data"]} == {"program", "contact"}
    # a partial update without it keeps it; with it, changes it
    put = await api.client.put(f"/api/programs/{pid}", json={"name": "renamed"}, headers=h)
    assert put.json()["timezoneMode"] == "contact"
    put = await api.client.put(f"/api/programs/{pid}", json={"timezoneMode": "program"}, headers=h)
    assert put.status_code == 200 and put.json()["timezoneMode"] == "program"


async def test_a_bad_timezone_mode_is_a_400_in_the_envelope(api):
    c = await seed_campaign(api, contacts=1)
    h = api.acme.headers()
    for value in ("callee", "", None, 3, ["contact"]):
        r = await api.client.post("/api/programs", json=c.program(timezoneMode=value), headers=h)
        assert r.status_code == 400, (value, r.text)
        body = r.json()
        assert body["statusCode"] == 400 and body["path"] == "/api/programs"
        assert list(body["fieldErrors"]) == ["timezoneMode"], body
    ok = await api.client.post("/api/programs", json=c.program(), headers=h)
    put = await api.client.put(
        f"/api/programs/{ok.json()['id']}", json={"timezoneMode": "Contact"}, headers=h
    )
    assert put.status_code == 400 and list(put.json()["fieldErrors"]) == ["timezoneMode"]
    listed = await api.client.get("/api/programs", headers=h)
    assert listed.json()["meta"]["total"] == 1  # nothing stored half-written


async def test_launch_pins_the_mode_on_the_execution(api):
    c = await seed_campaign(api, contacts=2)
    h = api.acme.headers()
    r = await api.client.post("/api/programs", json=c.program(timezoneMode="contact"), headers=h)
    pid = r.json()["id"]
    launched = await api.client.post(f"/api/programs/{pid}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    # editing the program later never changes the running execution
    await api.client.put(f"/api/programs/{pid}", json={"timezoneMode": "program"}, headers=h)
    async with api.app.state.ringcast.sessions() as s:
        execution = await s.get(Execution, launched.json()["executionId"])
        assert execution is not None and execution.timezone_mode == "contact"
