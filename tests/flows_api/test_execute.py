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
    assert trace["nodeExecutionCount"]["ask-1"] == 1


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
