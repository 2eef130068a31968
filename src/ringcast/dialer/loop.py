"""The dialer loop: turns running executions into paced, leased calls.

Theory of operation. `run_once(now)` is one tick:

1. scheduled executions whose start time came become running;
2. expired leases (a dialer died mid-call) become a `failed` attempt with
   reason `worker_lost` and follow the retry strategy; our own in-flight
   leases are renewed;
3. for each live execution: past `stopAt` → stopped (pending jobs
   cancelled); an autoPause threshold reached → paused_threshold; inside a
   pause window → nothing (timezoneMode "contact": the claim instead defers
   each job outside its callee's own windows, `callee_windows`); no job
   left → completed; else claim due jobs up to the free capacity —
   `maxConcurrentCalls` minus calls in progress (all dialers), the trunks'
   free channels (this process), and the start slots the CPS buckets
   (program and trunk; `pacing`) give up to the next tick. Pacing runs on
   the clock's monotonic seconds; the horizon is the real length of the last
   tick (sleep + work, at least `tick_s`, at most 1 s), so slots stay evenly
   spaced, and slots a late tick missed are caught up (bounded); and the
   launcher's `room()` (overload control: the process's call cap, nothing while
   its media clock runs late) — jobs left unclaimed simply stay pending.
4. each claimed job gets a caller id (LRU over the pool), its trunk, and a
   start slot; a task sleeps until the slot, runs the call through the
   `CallLauncher` and records the attempt, finishing the job or scheduling
   the next attempt (retry strategy, then moved out of pause windows).

Calls run as tasks, so `run_once` returns at once; `drain()` waits for them
(tests call `run_once` then `drain`). `run_forever` ticks every `tick_s`.
All time comes from the injected `Clock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from ringcast.dialer.attempts import AttemptRecord
from ringcast.dialer.callee_windows import CalleeWindows
from ringcast.dialer.caller_id import CallerIdPool, PoolEntry
from ringcast.dialer.clock import Clock
from ringcast.dialer.launcher import (
    CallLauncher,
    CallPlan,
    CallResult,
    LegGateTaker,
    TrunkHealthView,
    TrunkInfo,
)
from ringcast.dialer.next_state import after_attempt
from ringcast.dialer.pacing import SmoothBucket, reserve
from ringcast.dialer.recorder import BatchRecorder
from ringcast.dialer.retry import RetryPolicy
from ringcast.dialer.store import ClaimedJob, DialerStore, FinishItem, NodeNote
from ringcast.dialer.trunk_group import failover_order
from ringcast.flow.compiled import CompiledFlow, compile_flow
from ringcast.flow.runner import NodeObserver
from ringcast.flow.trace import PathEntry
from ringcast.programs.models import Execution
from ringcast.programs.status import ExecutionStatus
from ringcast.scheduling.windows import PauseWindows
from ringcast.telephony.sip.forward import LegGate
from ringcast.telephony.sip.outcome import retriable as sip_retriable
from ringcast.trunks.limits_repository import LEASE_TTL_S, SharedTrunkLimits

log = logging.getLogger("ringcast.dialer")
# a callee whose time zones share no allowed time (timezoneMode "contact")
NO_CALLING_TIME = "no_calling_time"


MAX_HORIZON_S = 1.0
LEG_POLL_S = 0.1  # a forward waiting for a free trunk channel looks again this often
PACE_WAIT_S = 60.0  # a call waits this long at most for a channel and start slot
# An INVITE later than this after its slot (and than one slot interval) forfeits it and
# takes a new one: slots 1/cps apart, each INVITE in [slot, slot + 1/cps], so any one
# second at the carrier holds at most cps + 1 of them.
LATE_S = 0.04
SET_UP_LEAD_S = 0.25  # shared limits: a call sets up this early, its INVITE waits the slot
RETAKE_LEAD_S = 0.1  # a call that missed its slot takes one at least this far ahead


@dataclass(frozen=True, slots=True)
class DialerConfig:
    owner: str = field(default_factory=lambda: f"dialer-{uuid.uuid4().hex[:12]}")
    tick_s: float = 0.2
    lease_s: float = 60.0
    renew_every_s: float = 15.0
    nodes_every_s: float = 1.0  # how often the calls' current nodes are written
    sweep_every_s: float = 5.0
    max_claim_per_tick: int = 500


@dataclass(slots=True)
class _ExecState:
    """What the dialer derives once per execution (it never changes after launch)."""

    execution: Execution
    windows: PauseWindows
    policy: RetryPolicy
    flow: CompiledFlow
    bucket: SmoothBucket
    callee: CalleeWindows | None = None  # timezoneMode "contact"
    pool: CallerIdPool | None = None

    @property
    def auto_pause(self) -> list[tuple[str, int]]:
        return [(r["nodeId"], int(r["threshold"])) for r in self.execution.auto_pause_rules]


@dataclass(slots=True)
class _TrunkState:
    info: TrunkInfo
    bucket: SmoothBucket  # in-process limits (SQLite)
    active: int = 0
    # shared limits (PostgreSQL): start slots granted this tick, in database seconds
    slots: list[float] = field(default_factory=list)
    db_offset_s: float = 0.0  # the schedule's epoch seconds minus our monotonic seconds
    held: int = 0  # the channels our lease row says we hold
    held_at: float = float("-inf")
    # one lease write at a time, each computed when it runs: the row is written whole,
    # so two computed from one moment and landing in the other order under-state it
    lease_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(slots=True)
class _CallBudget:
    """What one call holds: a channel on each trunk in `held`, and the start slot
    (our monotonic seconds) it was given on a trunk and has not used yet."""

    held: list[_TrunkState] = field(default_factory=list)
    slots: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class TickReport:
    claimed: int = 0
    recovered: int = 0
    transitions: list[tuple[str, str]] = field(default_factory=list)


class Dialer:
    def __init__(
        self,
        store: DialerStore,
        launcher: CallLauncher,
        clock: Clock,
        config: DialerConfig | None = None,
        limits: SharedTrunkLimits | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """`limits`: trunk limits shared with every dialer on the database (PostgreSQL);
        None keeps them in this process."""
        self.store = store
        self.launcher = launcher
        self.clock = clock
        self.config = config or DialerConfig()
        self.limits = limits
        self._health = launcher if isinstance(launcher, TrunkHealthView) else None
        if isinstance(launcher, LegGateTaker):
            launcher.set_leg_gates(self.leg_gate)
        self._rng = rng or random.Random()
        self._states: dict[str, _ExecState] = {}
        self._trunks: dict[str, _TrunkState] = {}
        self._default_trunk: dict[str, str | None] = {}
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._inflight_executions: dict[str, str] = {}
        self._node_notes: dict[str, NodeNote] = {}  # the latest node of each call, unwritten
        self._last_nodes: datetime | None = None
        self._recorder = BatchRecorder(store)
        self._last_renew: datetime | None = None
        self._last_sweep: datetime | None = None
        self.lost_leases = 0
        self.late_starts = 0  # shared limits: calls that missed their slot and took another
        self.grants_refused = 0  # shared limits: grants the database did not answer in time
        self._mono = 0.0  # this tick's monotonic seconds (pacing)
        self._horizon_s = self.config.tick_s
        self._ticked = False
        self._starting = 0  # calls claimed whose launch has not begun (waiting for a slot)
        self._room: int | None = None  # what the launcher may still start this tick
        self.held_s = 0.0  # tick time in which overload control let nothing start

    # ---- the tick ----------------------------------------------------------

    async def run_once(self, now: datetime | None = None) -> TickReport:
        wall, mono = self.clock.now(), self.clock.monotonic()
        if now is None:
            now = wall
        else:  # an explicit `now` (tests) shifts the monotonic reading with it
            mono += (now - wall).total_seconds()
        if self._ticked and mono > self._mono:
            self._horizon_s = min(max(self.config.tick_s, mono - self._mono), MAX_HORIZON_S)
        self._mono, self._ticked = mono, True
        report = TickReport()
        self._room = self._launcher_room()
        try:  # a tick failing early still renews the channel leases of the calls up
            await self.store.start_due(now)
            if self._due(self._last_sweep, now, self.config.sweep_every_s):
                self._last_sweep = now
                report.recovered = await self._sweep(now)
            if self._due(self._last_renew, now, self.config.renew_every_s):
                self._last_renew = now
                await self.store.renew(self.config.owner, list(self._inflight), self._lease(now))
            if self._node_notes and self._due(self._last_nodes, now, self.config.nodes_every_s):
                self._last_nodes = now
                notes, self._node_notes = list(self._node_notes.values()), {}
                await self.store.note_nodes(self.config.owner, notes)
            live = await self.store.live_executions()
            for execution in live:
                await self._tick_execution(execution, now, report)
        finally:
            await self._settle_shared()
        self._forget_ended({e.id for e in live})
        return report

    async def drain(self) -> None:
        """Wait for every call started so far to be recorded; meanwhile (no more ticks)
        the shared channel leases of the calls still up are renewed, and given back as
        they end."""
        while self._inflight:
            done, _ = await asyncio.wait(list(self._inflight.values()), timeout=LEASE_TTL_S / 3)
            for task in done:  # retrieved (logged by the call itself), as gather would
                if not task.cancelled():
                    task.exception()
            await self._settle_shared()

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a tick failing (database blip) must not end the loop
                log.exception("dialer tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.tick_s)
        await self.drain()
        log.info("dialer %s stopped; overload control held new calls for %.1f s in all",
                 self.config.owner, self.held_s)  # fmt: skip

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    # ---- per execution -----------------------------------------------------

    async def _tick_execution(
        self, execution: Execution, now: datetime, report: TickReport
    ) -> None:
        state = self._state(execution)
        stop_at = execution.scheduled_stop_at
        if stop_at is not None and now >= stop_at:
            await self._move(execution, ExecutionStatus.STOPPED, now, report)
            return
        if execution.status != ExecutionStatus.RUNNING:
            return
        if state.auto_pause and await self._threshold_reached(state):
            await self._move(execution, ExecutionStatus.PAUSED_THRESHOLD, now, report)
            return
        if state.callee is None and state.windows.paused_at(now):
            return
        in_progress, pending = await self.store.job_activity(execution.id)
        if not pending:
            if in_progress == 0:
                await self._move(execution, ExecutionStatus.COMPLETED, now, report)
            return
        capacity = await self._capacity(state, in_progress, now)
        if capacity <= 0:
            return
        lease_until = self._lease(now)
        jobs = await self.store.claim(
            execution.id,
            execution.organization_id,
            capacity,
            self.config.owner,
            now,
            lease_until,
            state.callee.screen(now) if state.callee is not None else None,
        )
        report.claimed += len(jobs)
        for job in jobs:
            self._start(state, job, now)

    async def _move(
        self, execution: Execution, target: ExecutionStatus, now: datetime, report: TickReport
    ) -> None:
        if await self.store.set_status(execution.id, target, now):
            report.transitions.append((execution.id, target.value))

    async def _threshold_reached(self, state: _ExecState) -> bool:
        counts = await self.store.node_counts(state.execution.id)
        return any(counts.get(node, 0) >= limit for node, limit in state.auto_pause)

    async def _capacity(self, state: _ExecState, in_progress: int, now: datetime) -> int:
        """Free calls: the program's channels and CPS, and for each trunk group of the
        pool the budget of its trunks that are up (the sum: a call takes any of them)."""
        execution = state.execution
        pool = await self._pool(state)
        free = execution.max_concurrent_calls - in_progress
        free = min(free, state.bucket.slots_within(self._mono, self._horizon_s))
        for group in self._pool_groups(execution.organization_id, pool):
            total = 0
            for trunk in [t for t in group if not self._down(t)] or group:
                if total >= free:
                    break
                total += await self._trunk_free(trunk, free - total)
            free = min(free, total)
        if self._room is not None:
            free = min(free, self._room)
        return min(free, self.config.max_claim_per_tick)

    async def _trunk_free(self, trunk: _TrunkState, want: int) -> int:
        """Starts the trunk allows up to the next tick: its free channels and CPS slots,
        this process's (SQLite), or granted from the deployment's budget (PostgreSQL)."""
        info = trunk.info
        if self.limits is None:
            return min(
                info.max_channels - trunk.active,
                trunk.bucket.slots_within(self._mono, self._horizon_s),
            )
        if len(trunk.slots) < want:
            await self._grant(trunk, want - len(trunk.slots), self._horizon_s)
        return len(trunk.slots)

    async def _grant(
        self,
        trunk: _TrunkState,
        want: int,
        horizon_s: float,
        *,
        new_channel: bool = True,
        lead_s: float = SET_UP_LEAD_S,
    ) -> None:
        """Slots (and as many channels, unless the call asking holds one) from the
        deployment's budget, added to `trunk.slots`."""
        assert self.limits is not None
        info = trunk.info
        async with trunk.lease_lock:
            held = trunk.active + len(trunk.slots)
            grant = await self.limits.take(
                info.id,
                want=want,
                active=held,
                max_channels=info.max_channels,
                cps=info.calls_per_second,
                horizon_s=horizon_s,
                now_s=self._epoch(),
                lead_s=lead_s,
                new_channels=new_channel,
            )
            if grant.now_s == 0.0:
                self.grants_refused += 1
                return  # the database did not answer in time: nothing granted
            mono = self.clock.monotonic()
            trunk.db_offset_s = self._epoch() - mono
            trunk.slots += grant.slots
            trunk.held, trunk.held_at = held + (len(grant.slots) if new_channel else 0), mono

    async def _settle_shared(self) -> None:
        """End of tick (shared limits): hand back slots no claim used, and write the
        channels we hold when calls ended (or the lease needs renewing)."""
        if self.limits is None:
            return
        for trunk in list(self._trunks.values()):
            try:
                async with trunk.lease_lock:  # what we hold is read when it is written
                    if trunk.slots:
                        slots, trunk.slots = _contiguous_tail(trunk.slots, trunk.info), []
                        await self.limits.give_back(
                            trunk.info.id, slots, trunk.info.calls_per_second
                        )
                    mono, held = self.clock.monotonic(), trunk.active + len(trunk.slots)
                    renew = held and mono - trunk.held_at > LEASE_TTL_S / 3
                    if trunk.held != held or renew:
                        await self.limits.hold(trunk.info.id, held, self._epoch())
                        trunk.held, trunk.held_at = held, mono
            except Exception:  # held over: fewer calls until the lease expires, never more
                log.exception("trunk %s: shared limits not settled", trunk.info.id)

    def _launcher_room(self) -> int | None:
        """Overload control: a launcher with `room()` (the SIP launcher) says how many
        more calls its process may start; the calls claimed but not yet launched
        count against it. None: no limit (e.g. scripted callees)."""
        room_of = getattr(self.launcher, "room", None)
        room = room_of() if room_of is not None else None
        if room == 0:  # full (its call cap, or its media clock late): this tick starts none
            self.held_s += self._horizon_s
        return None if room is None else max(0, room - self._starting)

    # ---- one call ----------------------------------------------------------

    def _start(self, state: _ExecState, job: ClaimedJob, now: datetime) -> None:
        assert state.pool is not None
        entry = state.pool.pick(now) or PoolEntry("")
        order = self._order(state.execution.organization_id, entry)
        trunk = self._first_trunk(order)
        budget = _CallBudget()
        slot: float | None
        trunk_slot: float | None = None  # the INVITE is paced on this one (shared limits)
        if trunk is None:
            slot = reserve([state.bucket], self._mono)
        elif self.limits is None:
            slot = reserve([state.bucket, trunk.bucket], self._mono)
        elif trunk.slots:  # a slot of this tick's grant, on our clock
            trunk_slot = trunk.slots.pop(0) - trunk.db_offset_s
            slot = max(trunk_slot, state.bucket.next_free(self._mono))
            state.bucket.book(slot)
        else:  # the grant ran out (groups shared by executions): paced at the INVITE
            slot = None
            reserve([state.bucket], self._mono)  # the program's slot, booked
        start_at = now + timedelta(seconds=max(0.0, (slot or self._mono) - self._mono))
        if trunk is not None and slot is not None:
            trunk.active += 1
            budget.held.append(trunk)
            # the program's own pacing may start the call later than the trunk's slot: the
            # INVITE is still checked against the trunk's slot (late: a new one)
            budget.slots[trunk.info.id] = slot if trunk_slot is None else trunk_slot
        self._starting += 1
        if self._room is not None:
            self._room -= 1
        rest = [t for t in order if t is not trunk]
        task = asyncio.create_task(
            self._call(state, job, entry.number, trunk, rest, budget, start_at)
        )
        self._inflight[job.job_id] = task
        self._inflight_executions[job.job_id] = state.execution.id

    def _order(self, organization_id: str, entry: PoolEntry) -> list[_TrunkState]:
        """The call's trunks in failover order; those that are down left out (unless all
        are: their status may be stale, and a call needs a trunk)."""
        if entry.group:
            ids = failover_order(entry.group, self._rng)
        else:
            default = entry.trunk_id or self._default_trunk.get(organization_id)
            ids = [default] if default else []
        order = [self._trunks[i] for i in ids if i in self._trunks]
        return [t for t in order if not self._down(t)] or order

    def _first_trunk(self, order: list[_TrunkState]) -> _TrunkState | None:
        """The first trunk of the order with budget left this tick (else the first)."""
        for trunk in order:
            if self.limits is not None and trunk.slots:
                return trunk
            if self.limits is None and trunk.active < trunk.info.max_channels:
                return trunk
        return order[0] if order else None

    def _epoch(self) -> float:
        """The shared schedule's time: this host's clock (NTP between hosts)."""
        return self.clock.now().timestamp()

    async def _sleep(self, seconds: float) -> None:
        await self.clock.sleep_until(self.clock.now() + timedelta(seconds=seconds))

    def _down(self, trunk: _TrunkState) -> bool:
        return self._health is not None and self._health.trunk_down(trunk.info.id)

    async def _pace(self, budget: _CallBudget, trunk_id: str) -> bool:
        """Right before the INVITE on `trunk_id`: hold one of its channels and start in
        one of its CPS slots; with shared limits at most `LATE_S` after it (a call the
        event loop or its set-up made later forfeits that slot and takes another), so
        the carrier never sees a burst. False when nothing came free in `PACE_WAIT_S`."""
        trunk = self._trunks.get(trunk_id)
        if trunk is None:
            return True  # not a trunk of ours (the settings' fallback)
        deadline = self.clock.monotonic() + PACE_WAIT_S
        while True:
            mono = self.clock.monotonic()
            slot = budget.slots.pop(trunk_id, None)
            if slot is None:
                slot = await self._take_slot(trunk, new_channel=trunk not in budget.held)
                if slot is not None and trunk not in budget.held:
                    trunk.active += 1
                    budget.held.append(trunk)
            if slot is not None:
                mono = self.clock.monotonic()  # the take may have waited on the database
                if slot > mono:
                    await self._sleep(slot - mono)
                late_s = min(LATE_S, 1.0 / trunk.info.calls_per_second)
                if self.limits is None or self.clock.monotonic() - slot <= late_s:
                    return True  # (in-process limits keep today's pacing: late calls go)
                self.late_starts += 1
                continue  # too late for this slot: take the next free one
            if mono >= deadline:
                return False
            await self._sleep(self.config.tick_s)

    async def _take_slot(self, trunk: _TrunkState, new_channel: bool) -> float | None:
        """One start slot within the next second (and a channel, if `new_channel`)."""
        info = trunk.info
        mono = self.clock.monotonic()
        if self.limits is None:
            slot = trunk.bucket.next_free(mono)
            if (new_channel and trunk.active >= info.max_channels) or slot - mono > 1.0:
                return None
            trunk.bucket.book(max(slot, mono))
            return max(slot, mono)
        await self._grant(trunk, 1, 1.0, new_channel=new_channel, lead_s=RETAKE_LEAD_S)
        return trunk.slots.pop(0) - trunk.db_offset_s if trunk.slots else None

    async def _call(
        self,
        state: _ExecState,
        job: ClaimedJob,
        caller_id: str,
        trunk: _TrunkState | None,
        rest: list[_TrunkState],
        budget: _CallBudget,
        start_at: datetime,
    ) -> None:
        execution = state.execution
        call_id = str(uuid.uuid4())
        created_at = self.clock.now()
        starting = True
        try:
            # with shared limits the call sets up (flow, media) before its slot and the
            # INVITE waits for the slot itself (`_pace`): set-up time is no lateness
            lead = SET_UP_LEAD_S if self.limits is not None else 0.0
            await self.clock.sleep_until(start_at - timedelta(seconds=lead))
            starting, self._starting = False, self._starting - 1
            if job.contact is None:
                result = CallResult("cancelled", "contact_deleted")
            elif job.on_dnc:
                result = CallResult("cancelled", "dnc")
            elif state.callee is not None and state.callee.never(str(job.contact["primaryPhone"])):
                result = CallResult("cancelled", NO_CALLING_TIME)
            else:
                plan = CallPlan(
                    call_id=call_id,
                    job_id=job.job_id,
                    attempt=job.attempt,
                    execution_id=execution.id,
                    organization_id=execution.organization_id,
                    program_id=execution.program_id,
                    to_number=str(job.contact["primaryPhone"]),
                    contact=job.contact,
                    caller_id=caller_id,
                    trunk=trunk.info if trunk else None,
                    flow=state.flow,
                    flow_graph=execution.flow_graph,
                    flow_id=execution.flow_id,
                    flow_name=execution.flow_name,
                    flow_version=execution.flow_version,
                    start_at=start_at,
                    on_node=self._node_observer(job),
                    leg_gate=partial(self._second_leg, trunk) if trunk else None,
                    failover=tuple(t.info for t in rest),
                    pace=partial(self._pace, budget),
                )
                try:
                    result = await self.launcher.launch(plan)
                except Exception as exc:  # a launcher bug must not lose the job
                    log.exception("launcher failed for job %s", job.job_id)
                    result = CallResult("failed", f"launcher_error: {type(exc).__name__}")
                if result.trunk_id is None and trunk is not None:
                    result.trunk_id = trunk.info.id
                    result.trunks_tried = result.trunks_tried or [trunk.info.id]
            to_number = str(job.contact["primaryPhone"]) if job.contact else ""
            await self._record(state, job, call_id, caller_id, to_number, created_at, result)
        finally:
            if starting:
                self._starting -= 1
            for used in budget.held:
                used.active -= 1
            self._inflight.pop(job.job_id, None)
            self._inflight_executions.pop(job.job_id, None)
            self._node_notes.pop(job.job_id, None)

    def _node_observer(self, job: ClaimedJob) -> NodeObserver:
        """Keeps the latest node the call entered, for the next `note_nodes` write."""

        def entered(entry: PathEntry) -> None:
            self._node_notes[job.job_id] = NodeNote(
                job.job_id, job.attempt, entry.node_id, entry.node_type, entry.at
            )

        return entered

    def leg_gate(self, organization_id: str, trunk_id: str) -> LegGate:
        """The gate of a Forward leg on any trunk of the organization (`_second_leg`), for
        the launcher: legs on the node's `trunkId`, on a group's next trunk, and the
        forwards of inbound calls (whose trunk no program of ours may have loaded)."""

        async def gate(wait_s: float) -> Callable[[], None] | None:
            trunk = self._trunks.get(trunk_id)
            if trunk is None:
                await self._load_trunks(organization_id)
                trunk = self._trunks.get(trunk_id)
            if trunk is None:  # not a trunk the store knows (the settings' fallback)
                return lambda: None
            return await self._second_leg(trunk, wait_s)

        return gate

    async def _second_leg(self, trunk: _TrunkState, wait_s: float) -> Callable[[], None] | None:
        """A Forward node's agent leg is one more call on the trunk: it takes one of its
        channels and a start slot (`_take_slot`: the deployment's shared budget when
        limits are shared, else this process's), waiting up to `wait_s` for them; the
        returned callable gives the channel back (once). None: none came free in time."""
        deadline = self.clock.monotonic() + wait_s
        while (slot := await self._take_slot(trunk, new_channel=True)) is None:
            if self.clock.monotonic() >= deadline:
                return None
            await asyncio.sleep(LEG_POLL_S)
        trunk.active += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                trunk.active -= 1

        try:
            wait = slot - self.clock.monotonic()
            if wait > 0:
                await self._sleep(wait)
        except BaseException:  # cancelled while waiting for its slot (the callee hung up)
            release()
            raise
        return release

    async def _record(
        self,
        state: _ExecState,
        job: ClaimedJob,
        call_id: str,
        caller_id: str,
        to_number: str,
        created_at: datetime,
        result: CallResult,
    ) -> None:
        now = self.clock.now()
        record = AttemptRecord.of(
            state.execution, call_id, caller_id, to_number, created_at, result
        )
        item = self._finish_item(
            state,
            job.job_id,
            self.config.owner,
            job.attempt,
            record,
            to_number or None,
            now,
            result.node_execution_count,
            key_results=result.key_results,
        )
        if not await self._recorder.record(item):
            self.lost_leases += 1
            log.warning("lease lost for job %s attempt %s", job.job_id, job.attempt)

    def _finish_item(
        self,
        state: _ExecState,
        job_id: str,
        owner: str,
        attempt: int,
        record: AttemptRecord,
        phone: str | None,
        now: datetime,
        node_counts: Mapping[str, int],
        *,
        lost: bool = False,
        key_results: Mapping[str, str] | None = None,
    ) -> FinishItem:
        """The one place an attempt's end becomes a `FinishItem`: the job's next state
        is decided here, in pure code (`next_state.after_attempt`); a lost lease
        (`lost`) counts no nodes, checks no autoPause rule and used no caller id."""

        def reopen(at: datetime) -> datetime:
            if state.callee is not None:
                return state.callee.next_allowed(phone, at)
            return state.windows.next_allowed(at)

        return FinishItem(
            job_id=job_id,
            owner=owner,
            attempt=attempt,
            record=record.lost() if lost else record,
            job=after_attempt(
                state.policy,
                attempt,
                record.outcome,
                now,
                reopen,
                retriable=sip_retriable(record.outcome_reason),
            ),
            node_counts=node_counts,
            auto_pause=() if lost else state.auto_pause,
            caller_id=record.from_number if record.dialed_at is not None and not lost else None,
            now=now,
            key_results={} if lost or key_results is None else key_results,
        )

    # ---- leases --------------------------------------------------------------

    async def _sweep(self, now: datetime) -> int:
        recovered = 0
        for job in await self.store.expired(now, limit=200):
            if job.job_id in self._inflight:
                continue  # ours and still running: renew will fix it
            execution = await self.store.execution(job.execution_id)
            if execution is None:
                continue
            state = self._state(execution)
            result = CallResult("failed", "worker_lost", terminated_at=now)
            record = AttemptRecord.of(execution, str(uuid.uuid4()), None, "", now, result)
            item = self._finish_item(
                state,
                job.job_id,
                job.lease_owner,
                job.attempt,
                record,
                job.phone,
                now,
                {},
                lost=True,
            )
            [ok] = await self.store.finish([item])
            recovered += int(ok)
        return recovered

    def _lease(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.config.lease_s)

    @staticmethod
    def _due(last: datetime | None, now: datetime, every_s: float) -> bool:
        return last is None or (now - last).total_seconds() >= every_s

    # ---- caches --------------------------------------------------------------

    def _state(self, execution: Execution) -> _ExecState:
        state = self._states.get(execution.id)
        if state is None:
            windows = PauseWindows.from_json(execution.pause_windows, execution.timezone)
            state = _ExecState(
                execution=execution,
                windows=windows,
                policy=RetryPolicy.from_json(execution.retry_strategy),
                flow=compile_flow(execution.flow_graph),
                bucket=SmoothBucket(execution.calls_per_second),
                callee=CalleeWindows(windows) if execution.timezone_mode == "contact" else None,
            )
            self._states[execution.id] = state
        else:
            state.execution = execution  # status, rules and stopAt may change
        return state

    def _forget_ended(self, live_ids: set[str]) -> None:
        busy = self._busy_executions()
        for execution_id in list(self._states):
            if execution_id not in live_ids and execution_id not in busy:
                del self._states[execution_id]

    def _busy_executions(self) -> set[str]:
        return set(self._inflight_executions.values())

    async def _pool(self, state: _ExecState) -> CallerIdPool:
        if state.pool is None:
            execution = state.execution
            entries = await self.store.pool(execution.organization_id, execution.did_pool)
            state.pool = CallerIdPool(entries)
            await self._load_trunks(execution.organization_id)
        return state.pool

    async def _load_trunks(self, organization_id: str) -> None:
        infos, default = await self.store.trunks(organization_id)
        self._default_trunk[organization_id] = default
        for trunk_id, info in infos.items():
            known = self._trunks.get(trunk_id)
            if known is None:
                self._trunks[trunk_id] = _TrunkState(info, SmoothBucket(info.calls_per_second))
            else:
                known.info = info

    def _pool_groups(self, organization_id: str, pool: CallerIdPool) -> list[list[_TrunkState]]:
        """The distinct trunk groups of the pool's DIDs (a DID without one: its trunk or
        the organization's default), as known trunks."""
        default = self._default_trunk.get(organization_id)
        groups: set[tuple[str, ...]] = set()
        for entry in pool.entries or [PoolEntry("")]:
            ids: list[str | None] = [m.trunk_id for m in entry.group]
            ids = ids or [entry.trunk_id or default]
            groups.add(tuple(sorted({i for i in ids if i is not None})))
        known = [[self._trunks[i] for i in g if i in self._trunks] for g in groups]
        return [g for g in known if g]


def _contiguous_tail(slots: list[float], info: TrunkInfo) -> tuple[float, ...]:
    """The unbroken run of slots at the end of ours (one interval apart): only those can
    be handed back; a gap means other dialers hold the slots in it."""
    ordered = sorted(slots)
    interval = 1.0 / info.calls_per_second
    start = len(ordered) - 1
    while start > 0 and abs(ordered[start] - ordered[start - 1] - interval) < 1e-4:
        start -= 1
    return tuple(ordered[start:])


__all__: Sequence[str] = ["Dialer", "DialerConfig", "TickReport"]
