"""Test rig: a launched program (through the API), a dialer on a fake clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from programs.campaign_kit import Campaign, seed_campaign
from ringcast.calls.models import CallAttempt, Job
from ringcast.contacts.models import Contact
from ringcast.dialer.clock import FakeClock, SystemClock
from ringcast.dialer.launcher import CallPlan, CallResult
from ringcast.dialer.loop import Dialer, DialerConfig
from ringcast.dialer.simulated_launcher import INSTANT_HUMAN, SimulatedLauncher
from ringcast.dialer.store import DialerStore
from ringcast.telephony.simulated import CalleeScript

BUSY = CalleeScript(answer="busy", ring_ms=0)
NO_ANSWER = CalleeScript(answer="no_answer", ring_ms=0)
# answer, then listen a second for a key (none comes): over real SIP the call has time to
# carry media; one that hangs up at the answer gets none and is `failed` / `no_media`
LISTEN_A_SECOND: dict[str, Any] = {
    "startNodeId": "dial",
    "nodes": [
        {
            "id": "dial",
            "type": "dial",
            "config": {"timeout": 30000, "enableAMD": False},
            "outputs": {"onAnswer": "listen", "default": "bye"},
        },
        {
            "id": "listen",
            "type": "dtmf",
            "config": {"variable": "k", "timeout": 1000, "retry": {"maxRetries": 0}},
            "outputs": {"onSuccess": "bye", "default": "bye"},
        },
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}


def scripted(overrides: dict[str, CalleeScript] | None = None) -> SimulatedLauncher:
    table = overrides or {}
    return SimulatedLauncher(lambda number: table.get(number, INSTANT_HUMAN))


def clock_now() -> FakeClock:
    # just after the launch, whose jobs are due at the real "now"
    return FakeClock(datetime.now(UTC) + timedelta(seconds=1))


async def launch(
    api: Any, contacts: int = 3, dids: int = 2, graph: dict[str, Any] | None = None, **program: Any
) -> tuple[Campaign, str]:
    """`graph`: the flow's graph instead of the campaign's answer-and-hang-up."""
    c = await seed_campaign(api, contacts=contacts, dids=dids)
    h = api.acme.headers()
    if graph is not None:
        r = await api.client.put(f"/api/flows/{c.flow_id}", json={"graph": graph}, headers=h)
        assert r.status_code == 200, r.text
    r = await api.client.post("/api/programs", json=c.program(**program), headers=h)
    assert r.status_code == 201, r.text
    launched = await api.client.post(f"/api/programs/{r.json()['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    return c, launched.json()["executionId"]


def dialer(api: Any, launcher: Any, clock: FakeClock, **config: Any) -> Dialer:
    store = DialerStore(api.app.state.ringcast.sessions)
    return Dialer(store, launcher, clock, DialerConfig(**config))


async def tick(d: Dialer, clock: FakeClock, advance_s: float = 0.0) -> None:
    if advance_s:
        clock.advance(advance_s)
    await d.run_once(clock.now())
    await d.drain()


async def execution(api: Any, eid: str) -> dict[str, Any]:
    r = await api.client.get(f"/api/program-executions/{eid}", headers=api.acme.headers())
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    total = (
        body["contactsCompleted"]
        + body["contactsFailed"]
        + body["contactsPending"]
        + body["contactsInProgress"]
    )
    assert total == body["totalContacts"]
    return body


async def jobs(api: Any, eid: str) -> list[Job]:
    async with api.app.state.ringcast.sessions() as s:
        rows = await s.execute(select(Job).where(Job.execution_id == eid).order_by(Job.id))
        return list(rows.scalars().all())


async def attempts(api: Any, eid: str) -> list[CallAttempt]:
    async with api.app.state.ringcast.sessions() as s:
        rows = await s.execute(
            select(CallAttempt)
            .where(CallAttempt.execution_id == eid)
            .order_by(CallAttempt.job_id, CallAttempt.attempt)
        )
        return list(rows.scalars().all())


async def job_for(api: Any, eid: str, number: str) -> Job:
    async with api.app.state.ringcast.sessions() as s:
        row = await s.execute(
            select(Job)
            .join(Contact, Contact.id == Job.contact_id)
            .where(Job.execution_id == eid, Contact.primary_phone == number)
        )
        return row.scalar_one()


class BlockedLauncher:
    """A call that does not end until released (a dialer about to die)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.plans: list[CallPlan] = []

    async def started(self, count: int) -> None:
        for _ in range(500):
            if len(self.plans) >= count:
                return
            await asyncio.sleep(0.001)
        raise AssertionError(f"only {len(self.plans)} calls started")

    async def launch(self, plan: CallPlan) -> CallResult:
        self.plans.append(plan)
        await self.release.wait()
        return CallResult("completed", "completed", dialed_at=plan.start_at)


async def run_to_the_end(api: Any, eid: str, launcher: Any, rounds: int = 100) -> None:
    """A real-time dialer on `launcher` until the execution completes (or `rounds`
    ticks of 0.1 s); the launcher closed after."""
    state = api.app.state.ringcast
    dialer = Dialer(DialerStore(state.sessions), launcher, SystemClock(), DialerConfig())
    try:
        for _ in range(rounds):
            await dialer.run_once()
            await asyncio.sleep(0.1)
            if (await execution(api, eid))["status"] == "completed":
                break
        await dialer.drain()
    finally:
        await launcher.close()
