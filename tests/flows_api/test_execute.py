"""/api/flows/execute in simulate mode: the real engine, the real clips."""

from __future__ import annotations

from support import payment_reminder_graph, wav_bytes

CONTACT = {
    "primaryPhone": "+212612345678",
    "firstName": "Amina",
    "customAttributes": {"balance": 1523},
}


def path_of(trace: dict) -> list[str]:
    return [step["nodeId"] for step in trace["executionPath"]]


async def test_simulate_inline_graph_human_presses_1(api):
    r = await api.client.post(
        "/api/flows/execute",
        json={
            "graph": payment_reminder_graph(),
            "contact": CONTACT,
            "mode": "simulate",
            "simulate": {"answer": "human", "digits": ["1"]},
        },
        headers=api.acme.headers(),
    )
    assert r.status_code == 200, r.text
    trace = r.json()
    assert trace["outcome"] == "completed"
    assert path_of(trace) == ["dial-1", "play-1", "ask-1", "confirm-1"]
    assert trace["finalVariables"]["choice"] == "1"
    assert trace["nodeExecutionCounts"]["ask-1"] == 1
    assert trace["nodeExecutionCount"] == sum(trace["nodeExecutionCounts"].values())


async def test_simulate_saved_flow_by_id_with_real_audio(api):
    h = api.acme.headers()
    up = await api.client.post(
        "/api/audio-management/upload",
        files={"file": ("hello.wav", wav_bytes(1.0), "audio/wav")},
        headers=h,
    )
    flow = (
        await api.client.post(
            "/api/flows",
            json={"name": "Reminder", "graph": payment_reminder_graph(up.json()["id"])},
            headers=h,
        )
    ).json()
    for answer, digits, expected_end, outcome in [
        ("human", ["2"], "callback-1", "completed"),
        ("human", ["9", "9", "9"], "end-1", "completed"),
        ("machine", [], "vm-1", "voicemail"),
        ("busy", [], "end-1", "busy"),
        ("no_answer", [], "end-1", "no_answer"),
    ]:
        r = await api.client.post(
            "/api/flows/execute",
            json={
                "flowId": flow["id"],
                "contact": CONTACT,
                "simulate": {"answer": answer, "digits": digits},
            },
            headers=h,
        )
        assert r.status_code == 200, r.text
        trace = r.json()
        assert trace["outcome"] == outcome, (answer, trace["outcome"])
        assert path_of(trace)[-1] == expected_end
        assert trace["flowId"] == flow["id"]
        assert trace["flowVersion"] == 1


async def test_missing_dictionary_key_is_an_error_path_not_a_crash(api):
    """A custom dictionary without the keys the balance needs → the play node's onError."""
    h = api.acme.headers()
    d = (
        await api.client.post(
            "/api/dictionaries", json={"name": "tiny", "language": "fr"}, headers=h
        )
    ).json()
    await api.client.post(
        f"/api/dictionaries/{d['id']}/entries",
        files={"file": ("1.wav", wav_bytes(0.3), "audio/wav")},
        data={"key": "1"},
        headers=h,
    )
    graph = payment_reminder_graph()
    graph["nodes"][1]["config"]["audioItems"][0]["dictionaryId"] = d["id"]
    graph["nodes"][1]["outputs"]["onError"] = "end-1"
    r = await api.client.post(
        "/api/flows/execute",
        json={"graph": graph, "contact": CONTACT, "simulate": {"answer": "human"}},
        headers=h,
    )
    assert r.status_code == 200, r.text
    trace = r.json()
    assert path_of(trace) == ["dial-1", "play-1", "end-1"]
    assert trace["executionPath"][1]["outputPath"] == "onError"


async def test_bad_requests(api):
    h = api.acme.headers()
    cases = [
        ({"contact": CONTACT}, "flowId"),
        ({"graph": payment_reminder_graph(), "flowId": "x", "contact": CONTACT}, "flowId"),
        ({"graph": payment_reminder_graph()}, "contactId"),
        ({"graph": {"startNodeId": "nope", "nodes": []}, "contact": CONTACT}, None),
        (
            {
                "graph": payment_reminder_graph(),
                "contact": CONTACT,
                "simulate": {"answer": "maybe"},
            },
            "simulate.answer",
        ),
        ({"graph": payment_reminder_graph(), "contact": CONTACT, "mode": "dream"}, "mode"),
    ]
    for body, field in cases:
        r = await api.client.post("/api/flows/execute", json=body, headers=h)
        assert r.status_code == 400, (body, r.text)
        if field:
            assert field in r.json()["fieldErrors"], r.json()
    r = await api.client.post(
        "/api/flows/execute", json={"flowId": "nope", "contact": CONTACT}, headers=h
    )
    assert r.status_code == 404


async def test_a_saved_flow_is_simulated_as_it_is_now(api):
    """Compiled versions are cached per process: what may change under them still shows.

    A rename, a new version, a deleted flow, an older version whose audio was deleted
    since (only the latest version's audio is protected from deletion), another
    organization asking for the cached flow."""
    h = api.acme.headers()

    async def upload() -> str:
        r = await api.client.post(
            "/api/audio-management/upload",
            files={"file": ("a.wav", wav_bytes(0.5), "audio/wav")},
            headers=h,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def simulate(flow_id: str, **extra: object) -> dict:
        body = {"flowId": flow_id, "contact": CONTACT, "simulate": {"digits": ["1"]}, **extra}
        r = await api.client.post("/api/flows/execute", json=body, headers=h)
        return {"status": r.status_code, **r.json()}

    first, second = await upload(), await upload()
    r = await api.client.post(
        "/api/flows", json={"name": "Reminder", "graph": payment_reminder_graph(first)}, headers=h
    )
    flow_id = r.json()["id"]
    one = await simulate(flow_id)
    assert (one["status"], one["flowVersion"], one["flowName"]) == (200, 1, "Reminder")

    r = await api.client.put(
        f"/api/flows/{flow_id}",
        json={"name": "Reminder v2", "graph": payment_reminder_graph(second)},
        headers=h,
    )
    assert r.status_code == 200, r.text
    two = await simulate(flow_id)
    assert (two["status"], two["flowVersion"], two["flowName"]) == (200, 2, "Reminder v2")

    other = await api.client.post(
        "/api/flows/execute",
        json={"flowId": flow_id, "contact": CONTACT},
        headers=api.globex.headers(),
    )
    assert other.status_code == 404, other.text

    r = await api.client.delete(f"/api/audio-management/{first}", headers=h)
    assert r.status_code == 204, r.text  # version 1 is no longer the latest
    old = await simulate(flow_id, version=1)
    assert old["status"] == 400, old
    assert any(first in m for ms in old["fieldErrors"].values() for m in ms), old
    assert (await simulate(flow_id))["status"] == 200

    r = await api.client.delete(f"/api/flows/{flow_id}", headers=h)
    assert r.status_code == 204, r.text
    gone = await simulate(flow_id)
    assert (gone["status"], gone["code"]) == (404, "FLOW_NOT_FOUND"), gone


async def test_other_organizations_flow_is_404(api):
    flow = (
        await api.client.post(
            "/api/flows",
            json={"name": "F", "graph": payment_reminder_graph()},
            headers=api.globex.headers(),
        )
    ).json()
    r = await api.client.post(
        "/api/flows/execute",
        json={"flowId": flow["id"], "contact": CONTACT},
        headers=api.acme.headers(),
    )
    assert r.status_code == 404


async def test_live_mode_queues_one_real_call(api):
    h = api.acme.headers()
    await api.client.post(
        "/api/dids",
        json={"number": "+212522000001", "country": "MA", "status": "active"},
        headers=h,
    )
    contact = (
        await api.client.post("/api/contact", json={"primaryPhone": "+212612345678"}, headers=h)
    ).json()
    flow = (
        await api.client.post(
            "/api/flows", json={"name": "F", "graph": payment_reminder_graph()}, headers=h
        )
    ).json()
    r = await api.client.post(
        "/api/flows/execute",
        json={
            "flowId": flow["id"],
            "contactId": contact["id"],
            "mode": "live",
            "fromNumber": "+212522000001",
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "queued"
    report = await api.client.get(f"/api/call-report/{r.json()['jobId']}", headers=h)
    assert report.status_code == 200
    assert report.json()["status"] == "queued"
    # live mode needs stored things, not inline ones
    r = await api.client.post(
        "/api/flows/execute",
        json={"graph": payment_reminder_graph(), "contact": CONTACT, "mode": "live"},
        headers=h,
    )
    assert r.status_code == 400
    assert {"flowId", "contactId"} <= set(r.json()["fieldErrors"])


async def test_another_process_edit_shows_within_the_cache_time(api, monkeypatch):
    """The flow row is held for HEAD_TTL_S: a rename or delete made by another process
    (straight in the database, this process not told) shows once that time is over."""
    from sqlalchemy import update

    from ringcast.flows import compiled_versions
    from ringcast.flows.models import Flow as FlowRow
    from ringcast.kit.clock import utcnow

    h = api.acme.headers()
    now = [1000.0]
    monkeypatch.setattr(compiled_versions.time, "monotonic", lambda: now[0])
    r = await api.client.post(
        "/api/flows", json={"name": "Before", "graph": payment_reminder_graph()}, headers=h
    )
    flow_id = r.json()["id"]
    body = {"flowId": flow_id, "contact": CONTACT, "simulate": {"digits": ["1"]}}

    async def simulate() -> tuple[int, str | None]:
        r = await api.client.post("/api/flows/execute", json=body, headers=h)
        return r.status_code, r.json().get("flowName", r.json().get("code"))

    assert await simulate() == (200, "Before")
    sessions = api.app.state.ringcast.sessions
    async with sessions.begin() as s:
        await s.execute(update(FlowRow).where(FlowRow.id == flow_id).values(name="After"))
    now[0] += compiled_versions.HEAD_TTL_S + 0.1
    assert await simulate() == (200, "After")
    async with sessions.begin() as s:
        await s.execute(update(FlowRow).where(FlowRow.id == flow_id).values(deleted_at=utcnow()))
    now[0] += compiled_versions.HEAD_TTL_S + 0.1
    assert await simulate() == (404, "FLOW_NOT_FOUND")
