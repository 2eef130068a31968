"""Inbound calls: an INVITE from a trunk to one of its organization's DIDs runs the
flow bound to that DID (`inboundFlowId`), Answer node onwards, as an inbound job.

The trunk's agent hands every new INVITE it accepted (the source is the trunk's) to
`InboundCalls.accept`. Over the trunk's `max_inbound_calls` → 486. The Request-URI's
number is matched to an active DID in any format (`dids/inbound.py`); none → 404
"Not Found", a DID without an inbound flow → 404 "No Inbound Flow". Otherwise an
execution of kind `inbound` with one job (already in progress, leased by this
process for the longest a call may last) pins the flow's latest version; the flow
runs on the call; the attempt is recorded through `DialerStore.finish` like any
other (direction `inbound`, from the caller, to the DID; events, path,
recordings, the call.completed webhook), and the dialer loop completes the
execution once its job is done. `GET /api/call-report/{jobId}` reports it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ringcast.audiofiles.library import ClipLibrary
from ringcast.auth.repository import OrganizationRepository
from ringcast.calls.models import Job
from ringcast.calls.recordings import StoredRecordingSink
from ringcast.calls.repository import JobRepository
from ringcast.dialer.attempts import AttemptRecord
from ringcast.dialer.launcher import CallResult
from ringcast.dialer.media_watch import MediaWatch
from ringcast.dialer.metrics import CallTally
from ringcast.dialer.next_state import JobUpdate
from ringcast.dialer.store import DialerStore, FinishItem
from ringcast.dids.inbound import find_inbound_did
from ringcast.flow.compiled import CompiledFlow, compile_flow
from ringcast.flow.context import DEFAULT_MAX_CALL_MS, RunContext
from ringcast.flow.runner import FlowRunner
from ringcast.flow.timebase import RealTimebase
from ringcast.flows.models import Flow, FlowVersion
from ringcast.programs.models import Execution
from ringcast.programs.repository import ExecutionRepository
from ringcast.programs.service import build_execution, pinned_flow
from ringcast.programs.status import JobStatus
from ringcast.storage.base import Storage
from ringcast.telephony.overload import OverloadGuard
from ringcast.telephony.sip.call import SipCall
from ringcast.telephony.sip.channel import SipChannel
from ringcast.telephony.sip.ua import UserAgent

log = logging.getLogger("ringcast.dialer")

OWNER = f"inbound-{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class InboundTrunk:
    trunk_id: str
    organization_id: str
    max_calls: int
    tech_prefix: str | None


@dataclass(frozen=True, slots=True)
class Taken:
    execution: Execution
    job_id: str
    did_number: str
    flow: CompiledFlow


Preload = Callable[[str, str, CompiledFlow], Awaitable[None]]
"""(execution id, organization id, flow) → the flow's clips are loaded."""


class InboundCalls:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        storage: Storage,
        library: ClipLibrary,
        channel_for: Callable[[UserAgent, SipCall], tuple[SipChannel, MediaWatch]],
        preload: Preload,
        tally: CallTally | None = None,
        guard: OverloadGuard | None = None,
    ) -> None:
        self.sessions = sessions
        self.storage = storage
        self.library = library
        self.channel_for = channel_for
        self.preload = preload
        self.tally = tally or CallTally()
        self.guard = guard  # the process's call count (overload control)
        self.store = DialerStore(sessions)
        self.active: dict[str, int] = {}
        self.refused: dict[int, int] = {}  # SIP status → count
        self._tasks: set[asyncio.Task[None]] = set()

    def accept(self, trunk: InboundTrunk, ua: UserAgent, call: SipCall) -> None:
        """The trunk agent's `on_invite`."""
        if self.active.get(trunk.trunk_id, 0) >= trunk.max_calls:
            self._refuse(call, 486, "Busy Here")
            return
        self.active[trunk.trunk_id] = self.active.get(trunk.trunk_id, 0) + 1
        if self.guard is not None:
            self.guard.enter()
        task = asyncio.get_running_loop().create_task(self._take(trunk, ua, call))
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._done(trunk.trunk_id, t))

    def _done(self, trunk_id: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.active[trunk_id] -= 1
        if self.guard is not None:
            self.guard.leave()
        if not task.cancelled() and task.exception() is not None:
            log.error("inbound call failed", exc_info=task.exception())

    def _refuse(self, call: SipCall, status: int, reason: str) -> None:
        self.refused[status] = self.refused.get(status, 0) + 1
        log.info("inbound call to %s refused: %s %s", call.dialed_user, status, reason)
        call.reject(status, reason)

    async def close(self, grace_s: float = 5.0) -> None:
        """Wait a little for the calls in progress (their channels were hung up)."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
            for task in pending:
                task.cancel()

    async def _take(self, trunk: InboundTrunk, ua: UserAgent, call: SipCall) -> None:
        dialed = call.dialed_user or ""
        caller = call.caller_user or ""
        now = datetime.now(UTC)
        async with self.sessions.begin() as session:
            did = await find_inbound_did(session, trunk.organization_id, dialed, trunk.tech_prefix)
            if did is None:
                self._refuse(call, 404, "Not Found")
                return
            pinned = None
            if did.inbound_flow_id is not None:
                pinned = await pinned_flow(session, trunk.organization_id, did.inbound_flow_id)
            if pinned is None:
                self._refuse(call, 404, "No Inbound Flow")
                return
            taken = await open_job(session, trunk.organization_id, did.number, pinned, now)
        await self._run(taken, ua, call, caller, now)

    async def _run(
        self, taken: Taken, ua: UserAgent, call: SipCall, caller: str, created: datetime
    ) -> None:
        execution = taken.execution
        call_id = str(uuid.uuid4())
        try:
            await self.preload(execution.id, execution.organization_id, taken.flow)
            ctx = RunContext(
                call_id=call_id,
                contact={"phone": caller},
                direction="inbound",
                from_number=caller,
                to_number=taken.did_number,
                organization_id=execution.organization_id,
                flow_id=execution.flow_id,
                flow_name=execution.flow_name,
                flow_version=execution.flow_version,
            )
            sink = StoredRecordingSink(self.storage, self.sessions, taken.job_id)
            runner = FlowRunner(self.library.resolve, sink)
            channel, watch = self.channel_for(ua, call)
            trace = await runner.run(taken.flow, ctx, channel, RealTimebase())
            await watch.settle()
            result = watch.verdict(CallResult.from_trace(trace))
        except Exception as exc:  # recorded as a failed attempt, never lost
            log.exception("inbound call %s", call.call_id)
            call.hangup()
            result = CallResult("failed", f"launcher_error: {type(exc).__name__}")
        self.tally.add("inbound", result)
        await self.store.finish([finish_item(taken, call_id, caller, created, result)])


def finish_item(
    taken: Taken, call_id: str, caller: str, created: datetime, result: CallResult
) -> FinishItem:
    """The inbound call's attempt (direction `inbound`, from the caller to the DID) and
    its job's end: never retried."""
    record = AttemptRecord.of(
        taken.execution, call_id, caller or None, taken.did_number, created, result, "inbound"
    )
    final = JobStatus.COMPLETED if result.outcome == "completed" else JobStatus.FAILED
    return FinishItem(
        job_id=taken.job_id,
        owner=OWNER,
        attempt=1,
        record=record,
        job=JobUpdate(final, None, result.outcome),
        node_counts=result.node_execution_count,
        key_results=result.key_results,
        auto_pause=(),
        caller_id=None,
        now=datetime.now(UTC),
    )


async def open_job(
    session: AsyncSession,
    organization_id: str,
    did_number: str,
    pinned: tuple[Flow, FlowVersion],
    now: datetime,
) -> Taken:
    org = await OrganizationRepository(session).get(organization_id)
    execution = await ExecutionRepository(session).add(
        build_execution(
            organization_id,
            pinned,
            [did_number],
            now,
            kind="inbound",
            program_id=None,
            audience_id=None,
            start_at=None,
            stop_at=None,
            retry_strategy={"type": "none"},
            pause_windows={},
            timezone=org.timezone if org is not None else "UTC",
            timezone_mode="program",
            max_concurrent_calls=1,
            calls_per_second=1.0,
            auto_pause_rules=[],
            total_contacts=1,
        )
    )
    lease = now + timedelta(milliseconds=DEFAULT_MAX_CALL_MS) + timedelta(minutes=5)
    job = await JobRepository(session).add(
        Job(
            execution_id=execution.id,
            contact_id="",
            status=JobStatus.IN_PROGRESS,
            attempt_count=1,
            next_attempt_at=None,
            lease_owner=OWNER,
            lease_expires_at=lease,
        )
    )
    return Taken(execution, job.id, did_number, compile_flow(execution.flow_graph))
