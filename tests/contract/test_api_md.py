"""/work/shared/API.md, replayed: its request bodies verbatim, the fields it names
asserted in the responses (issue 16: Gomobile clients, verbatim)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dialer.dialer_kit import BUSY, clock_now, dialer, scripted, tick
from programs.campaign_kit import seed_campaign

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ERROR_KEYS = {
    "statusCode",
    "code",
    "error",
    "message",
    "fieldErrors",
    "fieldDetails",
    "timestamp",
    "path",
}
META_KEYS = {"page", "limit", "total", "totalPages", "hasNextPage", "hasPreviousPage"}
GOMOBILE_POOL = ["+212500000001", "+212500000002"]


def future(days: int = 1) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


async def _gomobile_dids(api: Any) -> list[dict[str, Any]]:
    h = api.acme.headers()
    made = []
    for number in GOMOBILE_POOL:
        body = {"number": number, "country": "MA", "description": "main line"}
        r = await api.client.post("/api/dids", json=body, headers=h)
        assert r.status_code == 201, r.text
        made.append(r.json())
    return made


# ---- conventions ---------------------------------------------------------------------


async def test_errors_and_list_envelopes(api):
    h = api.acme.headers()
    r = await api.client.post("/api/contact", json={"primaryPhone": "0612345678"}, headers=h)
    assert r.status_code == 400
    body = r.json()
    assert set(body) >= ERROR_KEYS
    assert (body["statusCode"], body["code"], body["path"]) == (
        400,
        "VALIDATION_FAILED",
        "/api/contact",
    )
    assert "primaryPhone" in body["fieldErrors"] and "primaryPhone" in body["fieldDetails"]
    listed = await api.client.get("/api/contact?page=1&limit=100&sortOrder=asc", headers=h)
    assert listed.status_code == 200
    assert set(listed.json()) == {"data", "meta"} and set(listed.json()["meta"]) == META_KEYS
    clamped = await api.client.get("/api/contact?limit=500", headers=h)
    assert clamped.json()["meta"]["limit"] == 100
    unknown = await api.client.post("/api/audience", json={"name": "x", "colour": "red"}, headers=h)
    assert unknown.status_code == 400 and unknown.json()["code"] == "VALIDATION_FAILED"


async def test_openapi_documents_the_limit_maximum(api):
    spec = (await api.client.get("/openapi.json")).json()
    params = spec["paths"]["/api/contact"]["get"]["parameters"]
    [limit] = [p for p in params if p["name"] == "limit"]
    assert limit["schema"]["maximum"] == 100 and limit["schema"]["minimum"] == 1


async def test_authentication_headers(api):
    key = api.acme.admin_key
    for headers in ({"x-api-key": key}, {"X-API-KEY": key}, {"Authorization": f"Bearer {key}"}):
        assert (await api.client.get("/api/contact", headers=headers)).status_code == 200
    missing = await api.client.get("/api/contact")
    assert missing.status_code == 401 and missing.json()["code"] == "API_KEY_MISSING"


# ---- API keys, contacts, custom attributes, audiences ------------------------------


async def test_api_keys_contract(api):
    h = api.acme.headers()
    body = {"name": "ci", "prefix": "prod_", "role": "agent"}
    r = await api.client.post("/api/auth/api-keys", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert set(r.json()) >= {
        "id",
        "name",
        "keyPrefix",
        "role",
        "isActive",
        "expiresAt",
        "createdAt",
        "updatedAt",
        "secret",
    }
    listed = await api.client.get("/api/auth/api-keys", headers=h)
    assert "apiKeys" in listed.json()
    assert all("secret" not in k for k in listed.json()["apiKeys"])


async def test_contact_phone_rules_and_upsert(api):
    h = api.acme.headers()
    ok = await api.client.post("/api/contact", json={"primaryPhone": "+212612345678"}, headers=h)
    assert ok.status_code == 201, ok.text
    assert set(ok.json()) >= {"id", "organizationId", "createdAt", "updatedAt"}
    for bad in ("06-12-34-56-78", "0612345678", "+212 612 345 678", "+212-612-345-678"):
        r = await api.client.post("/api/contact", json={"primaryPhone": bad}, headers=h)
        assert r.status_code == 400, bad
    dup = await api.client.post("/api/contact", json={"primaryPhone": "+212612345678"}, headers=h)
    assert dup.status_code == 409
    upsert = await api.client.post(
        "/api/contact/upsert",
        json={"data": [{"primaryPhone": "+212612345679"}, {"primaryPhone": "0612345678"}]},
        headers=h,
    )
    assert upsert.status_code == 200, upsert.text
    result = upsert.json()
    assert set(result) >= {"created", "updated", "failed"}
    [failed] = result["failed"]
    assert set(failed) >= {"index", "primaryPhone", "fieldErrors"} and failed["index"] == 1


async def test_custom_attribute_and_audience_contract(api):
    h = api.acme.headers()
    attr = await api.client.post(
        "/api/custom-attributes",
        json={"displayName": "Loyalty Tier", "description": "tier", "type": "text"},
        headers=h,
    )
    assert attr.status_code == 201, attr.text
    name = attr.json()["name"]
    contact = await api.client.post(
        "/api/contact",
        json={"primaryPhone": "+212612345670", "customAttributes": {name: "gold"}},
        headers=h,
    )
    assert contact.status_code == 201, contact.text
    audience = await api.client.post("/api/audience", json={"name": "vip"}, headers=h)
    assert audience.status_code == 201, audience.text
    aid = audience.json()["id"]
    added = await api.client.post(
        f"/api/audience/{aid}/add-contacts", json={"contacts": [contact.json()["id"]]}, headers=h
    )
    assert added.status_code in (200, 201), added.text
    members = await api.client.get(f"/api/audience/{aid}/contacts", headers=h)
    assert members.json()["meta"]["total"] == 1


# ---- DIDs ----------------------------------------------------------------------------


async def test_dids_are_e164_shaped_and_say_whether_libphonenumber_agrees(api):
    h = api.acme.headers()
    made = await _gomobile_dids(api)
    assert [d["numberValid"] for d in made] == [False, False]
    valid = await api.client.post(
        "/api/dids", json={"number": "+212522000000", "country": "MA"}, headers=h
    )
    assert valid.status_code == 201 and valid.json()["numberValid"] is True
    for bad in ("212500000001", "+12", "+2125000000012345678901", "+212 500 000 001"):
        r = await api.client.post("/api/dids", json={"number": bad, "country": "MA"}, headers=h)
        assert r.status_code == 400 and "number" in r.json()["fieldErrors"], bad
    inactive = await api.client.post(
        "/api/dids",
        json={"number": "+212500000003", "country": "MA", "status": "inactive"},
        headers=h,
    )
    assert inactive.status_code == 201
    available = await api.client.get("/api/dids/available", headers=h)
    numbers = {d["number"] for d in available.json()["data"]}
    assert numbers == {*GOMOBILE_POOL, "+212522000000"}


# ---- programs and executions ---------------------------------------------------------


async def _program(api: Any, **fields: Any) -> tuple[dict[str, Any], Any]:
    c = await seed_campaign(api, contacts=3, dids=0)
    await _gomobile_dids(api)
    body = {
        "name": "Payment reminder",
        "audienceId": c.audience_id,
        "flowId": c.flow_id,
        "didPool": GOMOBILE_POOL,
        **fields,
    }
    r = await api.client.post("/api/programs", json=body, headers=api.acme.headers())
    assert r.status_code == 201, r.text
    return r.json(), c


@pytest.mark.parametrize(
    "strategy",
    [
        {"type": "none"},
        {"type": "fixed_delay", "delayMinutes": 30, "maxRetries": 3},
        {"type": "scheduled", "retryDates": ["2099-01-05T09:00:00Z", "2099-01-06T09:00:00+01:00"]},
        {
            "type": "fixed_delay",
            "delayMinutes": 30,
            "maxRetries": 3,
            "retryOn": ["no_answer", "busy", "rejected", "voicemail", "failed"],
        },
    ],
)
async def test_program_with_gomobile_pool_and_documented_shapes(api, strategy):
    program, _ = await _program(
        api,
        startAt=future(),
        retryStrategy=strategy,
        pauseWindows={
            "monday": [{"startAt": {"hour": 20, "minute": 0}, "endAt": {"hour": 8, "minute": 0}}],
            "advanced": [{"startAt": "2099-12-24T00:00:00Z", "endAt": "2099-12-26T00:00:00Z"}],
        },
        autoPauseRules=[{"nodeId": "bye", "threshold": 100, "resetOnResume": True}],
    )
    assert program["status"] == "draft" and program["didPool"] == GOMOBILE_POOL
    assert program["retryStrategy"]["type"] == strategy["type"]


async def test_patch_is_a_partial_update_beside_put(api):
    program, _ = await _program(api)
    h = api.acme.headers()
    r = await api.client.patch(
        f"/api/programs/{program['id']}", json={"name": "Renamed"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Renamed" and r.json()["didPool"] == GOMOBILE_POOL
    bad = await api.client.patch(
        f"/api/programs/{program['id']}", json={"maxConcurrentCalls": 0}, headers=h
    )
    assert bad.status_code == 400
    put = await api.client.put(f"/api/programs/{program['id']}", json={"name": "Again"}, headers=h)
    assert put.status_code == 200 and put.json()["name"] == "Again"


async def test_launch_and_the_execution_contract(api):
    rules = [{"nodeId": "bye", "threshold": 100, "resetOnResume": False}]
    program, c = await _program(api, autoPauseRules=rules)
    h = api.acme.headers()
    launched = await api.client.post(f"/api/programs/{program['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    eid = launched.json()["executionId"]
    again = await api.client.post(f"/api/programs/{program['id']}/launch", headers=h)
    assert again.status_code == 409 and again.json()["code"] == "ExecutionAlreadyRunningError"
    e = (await api.client.get(f"/api/program-executions/{eid}", headers=h)).json()
    assert set(e) >= {
        "id",
        "programId",
        "status",
        "totalContacts",
        "contactsCompleted",
        "contactsFailed",
        "contactsPending",
        "contactsInProgress",
        "scheduledStartAt",
        "scheduledStopAt",
        "actualStartAt",
        "actualEndAt",
        "createdAt",
        "updatedAt",
        "organizationId",
        "audienceId",
        "flowId",
        "autoPauseRules",
    }
    assert (e["organizationId"], e["audienceId"], e["flowId"]) == (
        api.acme.organization_id,
        c.audience_id,
        c.flow_id,
    )
    assert e["autoPauseRules"] == rules and e["actualEndAt"] is None
    counters = ("contactsCompleted", "contactsFailed", "contactsPending", "contactsInProgress")
    assert sum(e[k] for k in counters) == e["totalContacts"] == 3

    for path in (f"/api/programs/{program['id']}/executions", "/api/program-executions"):
        page = (await api.client.get(path, headers=h)).json()
        assert [x["id"] for x in page["data"]] == [eid] and set(page["meta"]) == META_KEYS
    running = await api.client.get("/api/program-executions?status=running", headers=h)
    assert [x["id"] for x in running.json()["data"]] == [eid]
    paused = await api.client.get("/api/program-executions?status=paused", headers=h)
    assert paused.json()["data"] == []
    bogus = await api.client.get("/api/program-executions?status=sleeping", headers=h)
    assert bogus.status_code == 400
    other = await api.client.get("/api/program-executions", headers=api.globex.headers())
    assert other.json()["data"] == []

    p = await api.client.patch(f"/api/program-executions/{eid}/pause", headers=h)
    assert (p.status_code, p.json()["status"], p.json()["effectiveStatus"]) == (
        200,
        "paused",
        "paused_manual",
    )
    r = await api.client.patch(
        f"/api/program-executions/{eid}/resume",
        json={"autoPauseRules": [{"nodeId": "bye", "threshold": 5, "resetOnResume": True}]},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["autoPauseRules"][0]["threshold"] == 5
    x = await api.client.patch(f"/api/program-executions/{eid}/cancel", headers=h)
    assert x.json()["status"] == "cancelled" and x.json()["actualEndAt"] is not None
    assert x.json()["contactsFailed"] == 3


async def test_empty_audience_is_audience_empty_error(api):
    program, _ = await _program(api)
    h = api.acme.headers()
    empty = await api.client.post("/api/audience", json={"name": "nobody"}, headers=h)
    await api.client.patch(
        f"/api/programs/{program['id']}", json={"audienceId": empty.json()["id"]}, headers=h
    )
    r = await api.client.post(f"/api/programs/{program['id']}/launch", headers=h)
    assert r.status_code == 400 and r.json()["code"] == "AudienceEmptyError"


# ---- single calls and call reports ---------------------------------------------------


@pytest.mark.parametrize(
    "retry",
    [
        {"type": "none"},
        {"type": "fixed-delay", "delay": 300000, "maxRetries": 3},
        {"type": "scheduled", "dates": ["2099-01-05T09:00:00Z"]},
        {"type": "fixed_delay", "delayMinutes": 5, "maxRetries": 3},
        {"type": "scheduled", "retryDates": ["2099-01-05T09:00:00Z"]},
    ],
)
async def test_call_request_accepts_gomobile_ad_hoc_retry_shapes(api, retry):
    c = await seed_campaign(api, contacts=1, dids=1)
    body = {
        "contactId": c.contact_ids[0],
        "flowId": c.flow_id,
        "fromNumber": c.dids[0],
        "retry": retry,
        "startAt": future(),
    }
    r = await api.client.post("/api/call-requests", json=body, headers=api.acme.headers())
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "queued"
    report = await api.client.get(
        f"/api/call-report/{r.json()['jobId']}", headers=api.acme.headers()
    )
    assert report.json()["status"] == "queued"


async def test_fixed_delay_in_milliseconds_schedules_the_retry(api):
    c = await seed_campaign(api, contacts=1, dids=1)
    h = api.acme.headers()
    body = {
        "contactId": c.contact_ids[0],
        "flowId": c.flow_id,
        "didId": None,
        "fromNumber": c.dids[0],
        "retry": {"type": "fixed-delay", "delay": 300000, "maxRetries": 3},
    }
    r = await api.client.post("/api/call-requests", json=body, headers=h)
    assert r.status_code == 201, r.text
    clock = clock_now()
    await tick(dialer(api, scripted({"+33610000000": BUSY}), clock), clock)
    report = (await api.client.get(f"/api/call-report/{r.json()['jobId']}", headers=h)).json()
    assert report["status"] == "queued" and report["attemptCount"] == 1
    retry_at = datetime.fromisoformat(report["nextAttemptAt"])
    assert retry_at == clock.now() + timedelta(minutes=5)


async def test_call_report_contract(api):
    c = await seed_campaign(api, contacts=1, dids=1)
    h = api.acme.headers()
    body = {"contactId": c.contact_ids[0], "flowId": c.flow_id, "fromNumber": c.dids[0]}
    r = await api.client.post("/api/call-requests", json=body, headers=h)
    clock = clock_now()
    await tick(dialer(api, scripted(), clock), clock)
    report = (await api.client.get(f"/api/call-report/{r.json()['jobId']}", headers=h)).json()
    assert set(report) >= {"jobId", "status", "finalOutcome", "attempts"}
    [attempt] = report["attempts"]
    assert set(attempt) >= {
        "callId",
        "attempt",
        "call",
        "outcome",
        "outcomeReason",
        "flowExecution",
        "events",
    }
    assert set(attempt["call"]) >= {
        "status",
        "direction",
        "from",
        "to",
        "createdAt",
        "dialedAt",
        "answeredAt",
        "terminatedAt",
        "durationMs",
    }
    flow = attempt["flowExecution"]
    assert set(flow) >= {
        "flowId",
        "flowName",
        "flowVersion",
        "executionPath",
        "finalVariables",
        "nodeExecutionCount",
        "flowStartedAt",
        "flowCompletedAt",
    }
    assert flow["nodeExecutionCount"] == 2  # a number: dial-1 and bye ran once each
    assert flow["nodeExecutionCounts"] == {"dial-1": 1, "bye": 1}
    assert set(flow["executionPath"][0]) >= {
        "nodeId",
        "nodeType",
        "nodeLabel",
        "outputPath",
        "timestamp",
    }
    assert all(set(e) >= {"type", "timestamp", "data"} for e in attempt["events"])


async def test_job_id_is_a_uuid(api):
    c = await seed_campaign(api, contacts=1, dids=1)
    body = {"contactId": c.contact_ids[0], "flowId": c.flow_id, "fromNumber": c.dids[0]}
    r = await api.client.post("/api/call-requests", json=body, headers=api.acme.headers())
    assert UUID.match(r.json()["jobId"])
