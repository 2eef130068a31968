"""Events reach a real HTTP receiver, signed; failures are retried, then given up."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from dialer.dialer_kit import BUSY, clock_now, dialer, launch, scripted, tick
from programs.campaign_kit import phone, seed_campaign
from ringcast.webhooks.backoff import retry_delay_s
from ringcast.webhooks.events import Event
from ringcast.webhooks.models import WebhookDelivery, WebhookEndpoint
from ringcast.webhooks.outbox import publish
from ringcast.webhooks.worker import DeliveryConfig
from webhooks.webhook_kit import FAST, Receiver, deliveries, now, receiving, subscribe, worker


async def test_a_program_run_delivers_signed_call_and_execution_events(api):
    async with receiving(Receiver()) as rx:
        hook = await subscribe(
            api, rx.url, ["call.completed", "execution.started", "execution.completed"]
        )
        rx.secret = hook["secret"]
        _, eid = await launch(
            api,
            contacts=3,
            callsPerSecond=100,
            retryStrategy={"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 1},
        )
        clock = clock_now()
        d = dialer(api, scripted({phone(2): BUSY}), clock)
        await tick(d, clock)
        await tick(d, clock, 61)  # the busy contact's retry
        await tick(d, clock, 1)  # nothing pending: completed
        w = worker(api)
        assert await w.run_once(clock.now()) == 6  # events carry the fake clock's time
        await w.aclose()

    assert all(r.signature_ok for r in rx.requests)
    assert all(r.path == "/hooks" for r in rx.requests)
    types = Counter(r.event["type"] for r in rx.requests)
    assert types == {"call.completed": 4, "execution.started": 1, "execution.completed": 1}
    rows = {row.id: row for row in await deliveries(api)}
    for r in rx.requests:
        assert r.headers["ringcast-event"] == r.event["type"]
        assert r.headers["content-type"] == "application/json"
        assert rows[r.headers["ringcast-delivery"]].event_id == r.event["id"]
        assert r.event["organizationId"] == api.acme.organization_id
        assert r.event["createdAt"].endswith("Z")
    assert {(row.status, row.attempts, row.last_status_code) for row in rows.values()} == {
        ("delivered", 1, 200)
    }
    calls = [r.event["data"] for r in rx.requests if r.event["type"] == "call.completed"]
    busy = sorted((c for c in calls if c["phone"] == phone(2)), key=lambda c: c["attempt"])
    assert [(c["attempt"], c["outcome"], c["final"]) for c in busy] == [
        (1, "busy", False),
        (2, "busy", True),
    ]
    assert busy[0]["nextAttemptAt"] is not None and busy[1]["nextAttemptAt"] is None
    answered = next(c for c in calls if c["phone"] == phone(0))
    # the test flow dials without AMD: answered, by someone unknown
    assert answered["outcome"] == "completed" and answered["answeredBy"] == "unknown"
    assert answered["executionId"] == eid and answered["programId"]
    assert answered["contactId"] and uuid.UUID(answered["jobId"]).version == 7
    assert isinstance(answered["durationMs"], int) and answered["final"] is True
    started = next(r.event for r in rx.requests if r.event["type"] == "execution.started")
    assert started["data"] == {
        "executionId": eid,
        "programId": answered["programId"],
        "status": "running",
    }


async def test_subscriptions_filter_events_and_organizations(api):
    # globex subscribes to everything, acme only to completed executions
    await subscribe(api, "http://127.0.0.1:9/x", ["*"], tenant=api.globex)
    await subscribe(api, "http://127.0.0.1:9/y", ["execution.completed"])
    inactive = await subscribe(api, "http://127.0.0.1:9/z", ["*"])
    r = await api.client.put(
        f"/api/webhooks/{inactive['id']}", json={"active": False}, headers=api.acme.headers()
    )
    assert r.status_code == 200
    _, _eid = await launch(api, contacts=2, callsPerSecond=100)
    clock = clock_now()
    d = dialer(api, scripted(), clock)
    await tick(d, clock)
    await tick(d, clock, 1)
    assert [(row.event_type, row.organization_id) for row in await deliveries(api)] == [
        ("execution.completed", api.acme.organization_id)
    ]


async def test_pause_resume_cancel_are_announced(api):
    await subscribe(api, "http://127.0.0.1:9/x", ["*"])
    _, eid = await launch(api, contacts=1)
    h = api.acme.headers()
    for action in ("pause", "resume", "cancel"):
        r = await api.client.patch(f"/api/program-executions/{eid}/{action}", headers=h)
        assert r.status_code == 200, r.text
    events = [(row.event_type, row.body) for row in await deliveries(api)]
    assert [t for t, _ in events] == [
        "execution.started",
        "execution.paused",
        "execution.resumed",
        "execution.cancelled",
    ]
    assert all(eid in body for _, body in events)


async def test_stop_at_and_auto_pause_are_announced(api):
    await subscribe(api, "http://127.0.0.1:9/x", ["execution.paused", "execution.stopped"])
    stop = datetime.now(UTC) + timedelta(minutes=30)
    _, eid = await launch(
        api,
        contacts=3,
        maxConcurrentCalls=1,
        stopAt=stop.isoformat(),
        autoPauseRules=[{"nodeId": "bye", "threshold": 1}],
    )
    clock = clock_now()
    d = dialer(api, scripted(), clock)
    await tick(d, clock)  # one call reaches "bye": paused by the threshold
    clock.set(stop + timedelta(seconds=1))
    await tick(d, clock)
    bodies = [json.loads(row.body) for row in await deliveries(api)]
    assert [(b["type"], b["data"]["status"]) for b in bodies] == [
        ("execution.paused", "paused_threshold"),
        ("execution.stopped", "stopped"),
    ]
    assert {b["data"]["executionId"] for b in bodies} == {eid}


async def test_a_500_is_retried_after_the_backoff_then_delivered(api):
    async with receiving(Receiver(statuses=[500])) as rx:
        hook = await subscribe(api, rx.url, ["call.completed"])
        rx.secret = hook["secret"]
        h = api.acme.headers()
        queued = (await api.client.post(f"/api/webhooks/{hook['id']}/test", headers=h)).json()
        w = worker(api)
        t0 = now()
        assert await w.run_once(t0) == 1
        [row] = await deliveries(api)
        assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
            "pending",
            1,
            500,
            "HTTP 500",
        )
        assert row.next_attempt_at == t0 + timedelta(seconds=10)  # jitter 0 in FAST
        assert await w.run_once(t0 + timedelta(seconds=9)) == 0
        assert await w.run_once(t0 + timedelta(seconds=10)) == 1
        await w.aclose()
    [row] = await deliveries(api)
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
        "delivered",
        2,
        200,
        None,
    )
    assert [r.headers["ringcast-delivery"] for r in rx.requests] == [queued["id"]] * 2
    assert rx.requests[0].body == rx.requests[1].body and all(r.signature_ok for r in rx.requests)
    listed = await api.client.get(f"/api/webhooks/{hook['id']}/deliveries", headers=h)
    [shown] = listed.json()["data"]
    assert (shown["status"], shown["attempts"], shown["lastStatusCode"]) == ("delivered", 2, 200)
    assert shown["nextAttemptAt"] is None and shown["deliveredAt"]


async def test_gives_up_after_max_attempts(api):
    async with receiving(Receiver(statuses=[503] * 10)) as rx:
        hook = await subscribe(api, rx.url, ["*"])
        await api.client.post(f"/api/webhooks/{hook['id']}/test", headers=api.acme.headers())
        w = worker(api)  # FAST: 3 attempts, waits 10 s then 30 s
        t = now()
        for wait_s in (0, 10, 30, 3600):
            t += timedelta(seconds=wait_s)
            await w.run_once(t)
        await w.aclose()
    [row] = await deliveries(api)
    assert (row.status, row.attempts, row.last_status_code, row.next_attempt_at) == (
        "failed",
        3,
        503,
        None,
    )
    assert len(rx.requests) == 3


async def test_a_raising_delivery_does_not_block_another_organizations(api):
    """A URL stored before validation got stricter makes httpx raise (not an
    HTTPError): that delivery alone fails, with the error kept; the other
    organization's delivery in the same batch is delivered, once."""
    async with receiving(Receiver()) as rx:
        bad = await subscribe(api, "http://example.com/x", ["*"])
        good = await subscribe(api, rx.url, ["*"], tenant=api.globex)
        rx.secret = good["secret"]
        async with api.app.state.ringcast.sessions.begin() as s:
            await s.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == bad["id"])
                .values(url="http://xn--zz.com/x")
            )
        await api.client.post(f"/api/webhooks/{bad['id']}/test", headers=api.acme.headers())
        await api.client.post(f"/api/webhooks/{good['id']}/test", headers=api.globex.headers())
        w = worker(api)
        t = now()
        assert await w.run_once(t) == 2
        rows = {row.endpoint_id: row for row in await deliveries(api)}
        assert (rows[good["id"]].status, rows[good["id"]].attempts) == ("delivered", 1)
        failed = rows[bad["id"]]
        assert (failed.status, failed.attempts) == ("pending", 1)
        assert failed.last_error.startswith("unexpected "), failed.last_error
        assert "A-label" in failed.last_error
        for wait_s in (10, 30, 3600):  # retried on its own backoff, then given up
            t += timedelta(seconds=wait_s)
            await w.run_once(t)
        await w.aclose()
    assert len(rx.requests) == 1 and rx.requests[0].signature_ok
    rows = {row.endpoint_id: row for row in await deliveries(api)}
    assert (rows[bad["id"]].status, rows[bad["id"]].attempts) == ("failed", 3)


async def test_a_lease_that_ran_out_on_the_last_attempt_is_not_claimed_again(api):
    """The worker died during the attempt cap's attempt: the row is failed, not sent a 4th time."""
    async with receiving(Receiver()) as rx:
        hook = await subscribe(api, rx.url, ["*"])
        await api.client.post(f"/api/webhooks/{hook['id']}/test", headers=api.acme.headers())
        t = now()
        async with api.app.state.ringcast.sessions.begin() as s:
            await s.execute(
                update(WebhookDelivery).values(
                    attempts=FAST.max_attempts, next_attempt_at=t - timedelta(seconds=1)
                )
            )
        w = worker(api)
        assert await w.run_once(t) == 0
        await w.aclose()
    assert rx.requests == []
    [row] = await deliveries(api)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", FAST.max_attempts, None)
    assert "lease expired" in row.last_error


async def test_timeouts_and_refused_connections_are_failed_attempts(api):
    async with receiving(Receiver(delay_s=2.0)) as slow:
        hook = await subscribe(api, slow.url, ["*"])
        await api.client.post(f"/api/webhooks/{hook['id']}/test", headers=api.acme.headers())
        w = worker(api, DeliveryConfig(jitter=0.0, timeout_s=0.2))
        assert await w.run_once() == 1
        await w.aclose()
    [row] = await deliveries(api)
    assert row.status == "pending" and row.last_status_code is None
    assert row.last_error == "timed out after 0.2 s"

    async with receiving(Receiver()) as gone:
        url = gone.url  # closed when the block ends: nothing listens there after
    refused = await subscribe(api, url, ["*"])
    await api.client.post(f"/api/webhooks/{refused['id']}/test", headers=api.acme.headers())
    w = worker(api)
    assert await w.run_once() == 1
    await w.aclose()
    row = next(r for r in await deliveries(api) if r.endpoint_id == refused["id"])
    assert row.status == "pending" and row.last_error.startswith("ConnectError")


async def test_a_rolled_back_change_leaves_no_event(api):
    await subscribe(api, "http://127.0.0.1:9/x", ["*"])
    sessions = api.app.state.ringcast.sessions
    event = Event(api.acme.organization_id, "webhook.test", {}, now())

    async def failing_change() -> None:
        async with sessions.begin() as s:
            assert await publish(s, [event]) == 1
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    assert await deliveries(api) == []
    # an API request that fails after its state change (launch of an empty
    # audience) rolls back its execution.started with it
    c = await seed_campaign(api, contacts=0)
    h = api.acme.headers()
    pid = (await api.client.post("/api/programs", json=c.program(), headers=h)).json()["id"]
    r = await api.client.post(f"/api/programs/{pid}/launch", headers=h)
    assert r.status_code == 400 and r.json()["code"] == "AudienceEmptyError"
    assert await deliveries(api) == []
    async with sessions.begin() as s:  # the control: committed, it is there
        await publish(s, [event])
    async with sessions() as s:
        count = await s.execute(select(func.count(WebhookDelivery.id)))
        assert count.scalar_one() == 1


def test_backoff_follows_the_schedule_with_bounded_jitter():
    rng = random.Random(7)
    schedule = (10.0, 30.0, 120.0)
    assert [retry_delay_s(n, schedule, 0.0, rng) for n in (1, 2, 3, 4, 9)] == [
        10.0,
        30.0,
        120.0,
        120.0,
        120.0,
    ]
    spread = [retry_delay_s(1, schedule, 0.2, rng) for _ in range(500)]
    assert 8.0 <= min(spread) < 9.0 and 11.0 < max(spread) <= 12.0


def test_fast_config_is_what_the_tests_assume():
    assert (FAST.backoff_s[:2], FAST.jitter, FAST.max_attempts) == ((10.0, 30.0), 0.0, 3)


async def test_finished_deliveries_are_forgotten_after_the_retention(api):
    async with receiving(Receiver()) as rx:
        hook = await subscribe(api, rx.url, ["*"])
        await api.client.post(f"/api/webhooks/{hook['id']}/test", headers=api.acme.headers())
        w = worker(api)
        t0 = now()
        assert await w.run_once(t0) == 1
        await w.aclose()
    assert [row.status for row in await deliveries(api)] == ["delivered"]
    await api.client.post(f"/api/webhooks/{hook['id']}/test", headers=api.acme.headers())
    later = worker(api, replace(FAST, retention_days=30))
    await later.run_once(t0 + timedelta(days=29))  # pending one sent to a closed port
    assert sorted(row.status for row in await deliveries(api)) == ["delivered", "pending"]
    await later.aclose()
    again = worker(api, replace(FAST, retention_days=30))
    await again.run_once(t0 + timedelta(days=31))
    await again.aclose()
    assert [row.status for row in await deliveries(api)] == ["pending"]


async def test_a_scheduled_execution_is_announced_when_the_dialer_starts_it(api):
    await subscribe(api, "http://127.0.0.1:9/x", ["execution.started"])
    start = datetime.now(UTC) + timedelta(minutes=10)
    _, eid = await launch(api, contacts=1, startAt=start.isoformat())
    assert await deliveries(api) == []  # launched, not started
    clock = clock_now()
    d = dialer(api, scripted(), clock)
    await tick(d, clock)
    assert await deliveries(api) == []
    clock.set(start + timedelta(seconds=1))
    await tick(d, clock)
    [row] = await deliveries(api)
    data = json.loads(row.body)["data"]
    assert (data["executionId"], data["status"]) == (eid, "running") and data["programId"]
