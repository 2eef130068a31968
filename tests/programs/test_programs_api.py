from __future__ import annotations

from datetime import UTC, datetime, timedelta

from programs.campaign_kit import seed_campaign


def future(days: int = 1) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def win(h1, m1, h2, m2):
    return {"startAt": {"hour": h1, "minute": m1}, "endAt": {"hour": h2, "minute": m2}}


async def test_program_create_defaults_and_crud(api):
    c = await seed_campaign(api, contacts=2)
    h = api.acme.headers("manager")
    r = await api.client.post(
        "/api/programs",
        json=c.program(
            pauseWindows={"monday": [win(22, 0, 6, 0)], "advanced": []},
            retryStrategy={"type": "fixed_delay", "delayMinutes": 30, "maxRetries": 2},
            timezone="Europe/Paris",
        ),
        headers=h,
    )
    assert r.status_code == 201, r.text
    program = r.json()
    assert program["status"] == "draft"
    assert program["retryStrategy"]["retryOn"] == [
        "no_answer",
        "busy",
        "rejected",
        "voicemail",
        "failed",
    ]
    assert program["pauseWindows"]["monday"][0]["endAt"] == {"hour": 6, "minute": 0}
    assert program["timezone"] == "Europe/Paris"
    put = await api.client.put(
        f"/api/programs/{program['id']}", json={"maxConcurrentCalls": 3}, headers=h
    )
    assert put.status_code == 200 and put.json()["maxConcurrentCalls"] == 3
    assert (
        await api.client.get(f"/api/programs/{program['id']}", headers=api.globex.headers())
    ).status_code == 404
    listed = await api.client.get("/api/programs", headers=h)
    assert listed.json()["meta"]["total"] == 1


async def test_program_validation_points_at_each_field(api):
    c = await seed_campaign(api, contacts=1)
    h = api.acme.headers()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    cases = [
        ({"pauseWindows": {"mondy": []}}, "pauseWindows.mondy"),
        ({"pauseWindows": {"monday": [win(24, 0, 6, 0)]}}, "pauseWindows.monday[0].startAt.hour"),
        ({"pauseWindows": {"monday": [win(1, 60, 6, 0)]}}, "pauseWindows.monday[0].startAt.minute"),
        ({"pauseWindows": {"monday": [win(6, 0, 6, 0)]}}, "pauseWindows.monday[0]"),
        (
            {"pauseWindows": {"advanced": [{"startAt": future(2), "endAt": future(1)}]}},
            "pauseWindows.advanced[0]",
        ),
        ({"startAt": future(2), "stopAt": future(1)}, "stopAt"),
        (
            {"retryStrategy": {"type": "scheduled", "retryDates": [future(2), future(1)]}},
            "retryStrategy.scheduled.retryDates",
        ),
        (
            {"retryStrategy": {"type": "scheduled", "retryDates": [past]}},
            "retryStrategy.retryDates[0]",
        ),
        (
            {"retryStrategy": {"type": "none", "retryOn": ["completed"]}},
            "retryStrategy.none.retryOn[0]",
        ),
        (
            {"retryStrategy": {"type": "fixed_delay", "delayMinutes": 0, "maxRetries": 1}},
            "retryStrategy.fixed_delay.delayMinutes",
        ),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"didPool": ["+33 1 23"]}, "didPool"),
        ({"didPool": ["+33123456789"]}, "didPool[0]"),
        ({"autoPauseRules": [{"nodeId": "nope", "threshold": 3}]}, "autoPauseRules[0].nodeId"),
        ({"audienceId": "missing"}, "audienceId"),
        ({"maxConcurrentCalls": 0}, "maxConcurrentCalls"),
    ]
    for overrides, path in cases:
        r = await api.client.post("/api/programs", json=c.program(**overrides), headers=h)
        assert r.status_code == 400, (overrides, r.text)
        fields = r.json().get("fieldErrors", {})
        assert any(f.startswith(path) for f in fields), (path, fields)


async def test_inactive_did_in_pool_is_rejected(api):
    c = await seed_campaign(api, contacts=1, dids=1)
    h = api.acme.headers()
    dids = (await api.client.get("/api/dids", headers=h)).json()["data"]
    await api.client.put(f"/api/dids/{dids[0]['id']}", json={"status": "inactive"}, headers=h)
    r = await api.client.post("/api/programs", json=c.program(), headers=h)
    assert r.status_code == 400
    assert r.json()["fieldDetails"]["didPool[0]"][0]["code"] == "did_not_active"
