"""Shared trunk limits (PostgreSQL): the channels this process's lease row says it holds
are never fewer than it holds, whatever its grants, renewals and hand-backs overlap.

`trunk_channel_leases.in_use` is written whole (the channels held now, not a delta), so
two writes of one process computed from the same moment and landing in the other order
under-state it, and the other dialers take the difference: more calls at once on the
trunk than its channels (the 33-of-30 of test_global_limits). `LeaseBook` stands for
the database with `SharedTrunkLimits`' semantics (limits_repository.py: a grant counts
the others' live channels, grants the starts that fit in the channels left and the CPS
schedule, writes `active + granted` — `active` alone for slots of calls that hold their
channel —; `hold` writes `active`), each statement run after a round trip and answered
after another; test_a_refused_retake_keeps_the_late_calls_channel_on_the_row runs the
real statement on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from ringcast.dialer.clock import SystemClock
from ringcast.dialer.launcher import TrunkInfo
from ringcast.dialer.loop import Dialer, _TrunkState
from ringcast.dialer.pacing import SmoothBucket
from ringcast.dialer.simulated_launcher import SimulatedLauncher
from ringcast.trunks.limits_repository import Grant, SharedTrunkLimits

TRUNK, CHANNELS = "t1", 30


class LeaseBook:
    """The trunk's lease rows; a statement reaches it `trip_s` after it is sent."""

    def __init__(self, trip_s: float = 0.05) -> None:
        self.trip_s = trip_s
        self.in_use: dict[str, int] = {}
        self.next_slot = 0.0

    def limits(self, owner: str) -> Any:
        book = self

        class Limits:
            async def take(self, trunk_id: str, *, want: int, active: int, max_channels: int,
                           cps: float, horizon_s: float, now_s: float, lead_s: float = 0.0,
                           new_channels: bool = True) -> Grant:  # fmt: skip
                await asyncio.sleep(book.trip_s)
                others = sum(n for o, n in book.in_use.items() if o != owner)
                first = max(book.next_slot, now_s + lead_s)
                end = now_s + lead_s + horizon_s
                fit = 1 + int((end - first + 1e-9) * cps) if first <= end + 1e-9 else 0
                free = max_channels - others - active if new_channels else want
                n = max(0, min(want, free, fit))
                book.next_slot = first + n / cps
                book.in_use[owner] = active + (n if new_channels else 0)
                await asyncio.sleep(book.trip_s)
                return Grant(tuple(first + i / cps for i in range(n)), now_s)

            async def give_back(self, trunk_id: str, unused: tuple[float, ...], cps: float) -> None:
                await asyncio.sleep(2 * book.trip_s)

            async def hold(self, trunk_id: str, active: int, now_s: float) -> None:
                await asyncio.sleep(book.trip_s)
                book.in_use[owner] = active
                await asyncio.sleep(book.trip_s)

        return Limits()


def _dialer(book: LeaseBook, owner: str) -> tuple[Dialer, _TrunkState]:
    info = TrunkInfo(TRUNK, "127.0.0.1", 5060, "udp", None, None, None, CHANNELS, 1000, ("PCMU",))
    d = Dialer(None, SimulatedLauncher(), SystemClock(), limits=book.limits(owner))  # type: ignore[arg-type]
    trunk = d._trunks[TRUNK] = _TrunkState(info, SmoothBucket(1000))
    return d, trunk


def _holds(trunk: _TrunkState) -> int:
    """The channels the process holds: its calls' and the slots granted, not yet used."""
    return trunk.active + len(trunk.slots)


async def test_a_late_calls_retake_does_not_overwrite_the_ticks_grant() -> None:
    book = LeaseBook()
    d, trunk = _dialer(book, "a")
    trunk.active = 3  # three calls up
    # the tick asks for 5 starts while a late call (it holds a channel) retakes a slot
    tick = asyncio.create_task(d._grant(trunk, 5, 1.0))
    await asyncio.sleep(0.01)
    assert await d._take_slot(trunk, new_channel=False) is not None
    await tick
    assert _holds(trunk) == 8
    assert book.in_use["a"] >= _holds(trunk), book.in_use


async def test_two_forward_legs_taking_channels_at_once_both_count() -> None:
    book = LeaseBook()
    d, trunk = _dialer(book, "a")
    trunk.active = 3
    one, two = await asyncio.gather(d._second_leg(trunk, 1.0), d._second_leg(trunk, 1.0))
    assert one is not None and two is not None and trunk.active == 5
    assert book.in_use["a"] >= 5, book.in_use


async def test_the_end_of_tick_write_does_not_drop_a_leg_granted_meanwhile() -> None:
    book = LeaseBook()
    d, trunk = _dialer(book, "a")
    trunk.active, trunk.held = 3, 4  # a call ended since the last write
    leg = asyncio.create_task(d._second_leg(trunk, 1.0))
    await asyncio.sleep(0.01)
    await d._settle_shared()
    assert await leg is not None
    assert trunk.active == 4 and book.in_use["a"] >= 4, book.in_use
    await d._settle_shared()  # nothing changed since: what it wrote stands
    assert book.in_use["a"] >= 4, book.in_use


async def test_another_dialer_is_never_granted_what_this_one_holds() -> None:
    """Two dialers on one 30-channel trunk, the first one's tick and late retakes
    overlapping: together they never hold more than 30."""
    book = LeaseBook()
    a, ta = _dialer(book, "a")
    b, tb = _dialer(book, "b")
    ta.active = 20
    tick = asyncio.create_task(a._grant(ta, 10, 1.0))  # fills the trunk
    await asyncio.sleep(0.01)
    await a._take_slot(ta, new_channel=False)  # a late call of its own
    await tick
    await b._grant(tb, 10, 1.0)
    assert _holds(ta) + _holds(tb) <= CHANNELS, (_holds(ta), _holds(tb), book.in_use)


async def test_a_late_call_whose_retake_is_refused_still_counts_its_channel() -> None:
    """The CPS schedule is booked past the retake's one-second horizon: no slot, and the
    call still holds its channel — the row must keep saying so."""
    book = LeaseBook()
    d, trunk = _dialer(book, "a")
    trunk.active = 3
    book.next_slot = d._epoch() + 30  # other dialers booked the next 30 s
    assert await d._take_slot(trunk, new_channel=False) is None
    assert book.in_use["a"] == 3, book.in_use


async def test_a_refused_retake_keeps_the_late_calls_channel_on_the_row(api, db_url) -> None:
    """The real statement (PostgreSQL): a slot for a call that holds its channel needs no
    channel, and refused or granted the row still counts that channel."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the shared budget is PostgreSQL's")
    body = {"name": "shared", "host": "127.0.0.59", "maxChannels": 4, "optionsIntervalSec": 0}
    r = await api.client.post("/api/trunks", json=body, headers=api.acme.headers())
    assert r.status_code == 201, r.text
    trunk_id = r.json()["id"]
    sessions = api.app.state.ringcast.sessions
    a, b = SharedTrunkLimits(sessions, "dialer-a"), SharedTrunkLimits(sessions, "dialer-b")
    now = time.time()
    limits = {"max_channels": 4, "cps": 1.0, "now_s": now}
    assert len((await a.take(trunk_id, want=3, active=0, horizon_s=2.0, **limits)).slots) == 3
    # one of those calls is late: the schedule's next slot is 3 s away, past its horizon
    late = await a.take(trunk_id, want=1, active=3, horizon_s=0.5, new_channels=False, **limits)
    assert late.slots == ()
    # the other dialer sees a's three channels: one left
    assert len((await b.take(trunk_id, want=4, active=0, horizon_s=10, **limits)).slots) == 1
    # the trunk is full, yet the late call (it holds its channel) gets a slot; b none
    later = await a.take(trunk_id, want=1, active=3, horizon_s=10, new_channels=False, **limits)
    assert len(later.slots) == 1
    assert (await b.take(trunk_id, want=1, active=1, horizon_s=10, **limits)).slots == ()


async def test_draining_keeps_the_leases_of_calls_still_up_and_gives_them_back(
    monkeypatch: Any,
) -> None:
    """A dialer stopping (no more ticks) waits for its calls: their channels' lease is
    renewed meanwhile (else it expires under a long call and others take them)."""
    monkeypatch.setattr("ringcast.dialer.loop.LEASE_TTL_S", 0.3)
    book = LeaseBook(trip_s=0.005)
    d, trunk = _dialer(book, "a")
    writes: list[int] = []
    hold = d.limits.hold  # type: ignore[union-attr]

    async def counted(trunk_id: str, active: int, now_s: float) -> None:
        writes.append(active)
        await hold(trunk_id, active, now_s)

    d.limits.hold = counted  # type: ignore[union-attr]
    trunk.active, trunk.held, trunk.held_at = 1, 1, d.clock.monotonic()

    async def long_call() -> None:
        await asyncio.sleep(0.8)
        trunk.active -= 1

    d._inflight["job"] = asyncio.create_task(long_call())
    d._inflight["job"].add_done_callback(lambda _: d._inflight.pop("job", None))
    await d.drain()
    assert writes.count(1) >= 2, writes  # renewed while the call was up
    assert writes[-1] == 0 and book.in_use["a"] == 0, writes  # and given back


async def test_a_tick_that_fails_early_still_writes_what_it_holds() -> None:
    book = LeaseBook(trip_s=0.005)
    d, trunk = _dialer(book, "a")

    class Down:
        async def start_due(self, now: Any) -> None:
            raise ConnectionError("database restarting")

    d.store = Down()  # type: ignore[assignment]
    trunk.active, trunk.held = 2, 3  # a call ended since the last write
    with pytest.raises(ConnectionError):
        await d.run_once()
    assert book.in_use["a"] == 2, book.in_use
