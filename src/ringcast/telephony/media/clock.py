"""The one media clock of a process: a 20 ms tick that sends every stream's frame.

Theory of operation: a single timer chain on the event loop (`loop.call_at`,
no task, no timer per call) fires at absolute deadlines `epoch + k * period`,
and each firing calls `tick(frames)` on registered clients, which send exactly
one packet each. Because the next deadline is computed from the previous one,
not from "now", error never accumulates: a tick that fires 3 ms late is
followed by one on the grid again (a 17 ms gap), which is how the clock catches
up on drift. If the loop stalled for a whole period or more, the missed ticks
are not replayed one by one: the next firing calls each client once with
`frames`, how many periods passed, and the client sends what was due (an
`RtpStream` sends a playing prompt's or digit's due frames back to back, bounded,
so the far end hears them with contiguous timestamps, and jumps its timestamp
over due silence: `RtpStream._catch_up`).

All streams are served in one burst per period (about 6 µs a stream on the
2-core box). Spreading them over 4 phases 5 ms apart was tried and measured no
better with bench/media_pacing.py (so it was not kept): on a loaded
machine the process is preempted for longer than a short burst anyway.

Once a second the clock also calls `housekeep(now)` on each client, for cheap
periodic checks such as a dead-media timeout, so that the per-tick work stays
one send per stream.

The timer runs only while at least one client is registered.

Lateness is watched, not only kept: every tick's lateness lands in a fixed-bucket
histogram (`ClockStats.late_buckets`, exported by the dialer as
`ringcast_media_clock_late_seconds`), and a tick more than `WARN_LATE_MS` late
logs a warning at most once per `WARN_EVERY_S`, with how many such ticks were
seen since the last one. Nothing is logged per tick or per packet.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import weakref
from dataclasses import dataclass, field
from typing import Final, Protocol

log = logging.getLogger(__name__)


class ClockClient(Protocol):
    def tick(self, frames: int) -> None:
        """Send one frame; `frames` periods elapsed since the previous tick."""

    def housekeep(self, now: float) -> None:
        """Periodic, cheap checks (about once a second)."""


LATE_BUCKETS_MS: Final = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 5000.0)
"""Upper bounds of the lateness histogram's buckets (a last one, +Inf, follows)."""
WARN_LATE_MS: Final = 100.0
RECENT_ALPHA: Final = 0.05  # ~50 ticks, i.e. about a second at 20 ms
WARN_EVERY_S: Final = 10.0
CATCH_UP_MS: Final = 200
"""How late a stream's due prompt audio may be and still be sent (`RtpStream._catch_up`)."""


@dataclass(slots=True)
class ClockStats:
    ticks: int = 0
    skipped_ticks: int = 0
    max_late_ms: float = 0.0
    late_buckets: list[int] = field(default_factory=lambda: [0] * (len(LATE_BUCKETS_MS) + 1))
    """Ticks per lateness bucket (not cumulative); the last one is past every bound."""
    late_sum_ms: float = 0.0
    late_ticks: int = 0
    """Ticks later than WARN_LATE_MS."""
    recent_late_ms: float = 0.0
    """Lateness averaged over about the last second (an exponential moving average,
    RECENT_ALPHA per tick): what overload control reads (telephony/overload.py)."""
    # Filled only when `MediaClock(record=True)`, for benchmarks.
    late_ms: list[float] = field(default_factory=list)
    work_ms: list[float] = field(default_factory=list)


class MediaClock:
    """A shared periodic clock; see the module docstring."""

    def __init__(self, period_ms: int = 20, *, record: bool = False) -> None:
        self.period_ms = period_ms
        self._period = period_ms / 1000
        self._housekeep_every = max(1, 1000 // period_ms)
        self._record = record
        # the clients by id (O(1) in and out: hundreds of streams come and go each
        # second) and, rebuilt at the next tick after a change, the tuple ticks walk
        self._members: dict[int, ClockClient] = {}
        self._clients: tuple[ClockClient, ...] | None = ()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._deadline = 0.0
        self._generation = 0  # bumped at each start, so a stale timer chain ends
        self.now = 0.0
        """Loop time of the current (or last) tick; cheap for clients to read."""
        self.stats = ClockStats()
        self._warned_at = float("-inf")
        self._warned_ticks = 0
        self._worst_late_ms = 0.0

    @property
    def clients(self) -> int:
        return len(self._members)

    def time(self) -> float:
        """The loop's clock (the clock this media clock ticks against)."""
        loop = self._loop or asyncio.get_running_loop()
        return loop.time()

    def register(self, client: ClockClient) -> None:
        key = id(client)
        if key in self._members:
            return
        self._members[key] = client
        self._clients = None
        if self._handle is None:
            loop = asyncio.get_running_loop()
            self._loop = loop
            self.now = loop.time()
            self._deadline = self.now + self._period
            self._generation += 1
            self._handle = loop.call_at(self._deadline, self._tick, self._generation)

    def unregister(self, client: ClockClient) -> None:
        if self._members.pop(id(client), None) is None:
            return
        self._clients = None
        if not self._members:
            self.close()

    def close(self) -> None:
        """Stop ticking and forget every client."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._members.clear()
        self._clients = ()
        self.stats.recent_late_ms = 0.0  # an idle clock is not late

    def _warn_late(self, now: float, late_ms: float) -> None:
        stats = self.stats
        stats.late_ticks += 1
        self._worst_late_ms = max(self._worst_late_ms, late_ms)
        if now - self._warned_at < WARN_EVERY_S:
            return
        log.warning(
            "media clock fell behind: %d ticks over %.0f ms late since the last warning, "
            "the worst %.0f ms (%d streams); a stream catches up on %d ms, later audio is "
            "dropped",
            stats.late_ticks - self._warned_ticks,
            WARN_LATE_MS,
            self._worst_late_ms,
            len(self._members),
            CATCH_UP_MS,
        )
        self._warned_at, self._warned_ticks = now, stats.late_ticks
        self._worst_late_ms = 0.0

    def _snapshot(self) -> tuple[ClockClient, ...]:
        """The clients in registration order (a tuple: one may leave while ticked)."""
        clients = self._clients
        if clients is None:
            clients = self._clients = tuple(self._members.values())
        return clients

    def _tick(self, generation: int) -> None:
        loop = self._loop
        if loop is None or generation != self._generation or self._handle is None:
            return
        period = self._period
        stats = self.stats
        now = loop.time()
        self.now = now
        deadline = self._deadline
        frames = 1 + int((now - deadline) / period)
        self._deadline = deadline + frames * period
        stats.ticks += 1
        stats.skipped_ticks += frames - 1
        late_ms = (now - deadline) * 1000
        if late_ms > stats.max_late_ms:
            stats.max_late_ms = late_ms
        stats.late_buckets[bisect.bisect_left(LATE_BUCKETS_MS, late_ms)] += 1
        stats.late_sum_ms += late_ms
        stats.recent_late_ms += (late_ms - stats.recent_late_ms) * RECENT_ALPHA
        if late_ms > WARN_LATE_MS:
            self._warn_late(now, late_ms)
        for client in self._snapshot():
            try:
                client.tick(frames)
            except Exception:
                # One broken stream must not stop the media of every other call.
                log.exception("media clock client failed; unregistering it")
                self.unregister(client)
        # Every N firings, not N periods: after a stall the streams hear the far end
        # again before a dead-media check looks. Counted in periods (tried), it runs on
        # the first firing after a stall; in a demo at load 50 the callee farm (whose
        # caller shared the stalled loop) then hung up live calls (likely, not proven).
        if stats.ticks % self._housekeep_every == 0:
            for client in self._snapshot():
                try:
                    client.housekeep(now)
                except Exception:
                    log.exception("media clock housekeeping failed")
        if self._record:
            stats.late_ms.append(late_ms)
            stats.work_ms.append((loop.time() - now) * 1000)
        if self._handle is not None and generation == self._generation:
            self._handle = loop.call_at(self._deadline, self._tick, generation)


_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MediaClock] = (
    weakref.WeakKeyDictionary()
)


def shared_media_clock() -> MediaClock:
    """The process's media clock for the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    clock = _shared.get(loop)
    if clock is None:
        clock = _shared[loop] = MediaClock()
    return clock
