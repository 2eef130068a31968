"""Time for the runner: the clock, the flow's timers, and waiting for what comes first.

The interpreter asks for timers by id (`SetTimer`/`CancelTimer`) and is told
when one fires (`TimerFired`). A `Timebase` owns those timers and merges them
with the channel's events: `next_event(channel)` returns whichever happens
first. Two implementations, same contract:

- `RealTimebase`: wall-clock time; timers are `loop.call_later`, and waiting
  races the channel's `next_event` against the timer queue (a channel read in
  progress is kept across calls, never cancelled, so no event is lost).
- `VirtualTimebase`: virtual time shared with a `SimulatedChannel` through its
  `VirtualClock`; it compares its earliest timer with the channel's earliest
  scheduled event (`next_event_at_ms`) and jumps to it. On a tie the channel
  event wins (a key pressed exactly at the timeout counts).
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, cast, runtime_checkable

from ringcast.flow.events import TimerFired
from ringcast.telephony.channel import Channel, ChannelEvent
from ringcast.telephony.simulated import SimulationStalledError, VirtualClock


class Timebase(Protocol):
    def now(self) -> datetime: ...

    def set_timer(self, timer_id: str, delay_ms: int) -> None: ...

    def cancel_timer(self, timer_id: str) -> None: ...

    def clear_timers(self) -> None: ...

    async def next_event(self, channel: Channel) -> ChannelEvent | TimerFired: ...


_VIRTUAL_TYPES: set[type] = set()  # channel types seen to be VirtualTimeChannels


@runtime_checkable
class VirtualTimeChannel(Protocol):
    def next_event_at_ms(self, timer_at_ms: int | None = None) -> int | None:
        """When the next event is due; `timer_at_ms` is the earliest timer, which
        fires first (and may change the run) if it is due before that event."""
        ...

    async def next_event(self) -> ChannelEvent: ...


class VirtualTimebase:
    """Timers in virtual time, for a channel that schedules its events likewise."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._heap: list[tuple[int, int, str]] = []
        self._live: dict[str, int] = {}  # timer id → seq of its live entry
        self._seq = 0

    def now(self) -> datetime:
        return self.clock.now()

    def set_timer(self, timer_id: str, delay_ms: int) -> None:
        self._seq += 1
        self._live[timer_id] = self._seq
        heapq.heappush(self._heap, (self.clock.now_ms + max(0, delay_ms), self._seq, timer_id))

    def cancel_timer(self, timer_id: str) -> None:
        self._live.pop(timer_id, None)

    def clear_timers(self) -> None:
        self._live.clear()
        self._heap.clear()

    def _earliest(self) -> int | None:
        heap = self._heap
        while heap and self._live.get(heap[0][2]) != heap[0][1]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    async def next_event(self, channel: Channel) -> ChannelEvent | TimerFired:
        # checked once per channel type: a Protocol isinstance walks its members each time
        if type(channel) not in _VIRTUAL_TYPES:
            if not isinstance(channel, VirtualTimeChannel):
                raise TypeError("VirtualTimebase needs a channel that runs in virtual time")
            _VIRTUAL_TYPES.add(type(channel))
        virtual = cast(VirtualTimeChannel, channel)
        timer_at = self._earliest()
        channel_at = virtual.next_event_at_ms(timer_at)
        if timer_at is not None and (channel_at is None or timer_at < channel_at):
            _, _, timer_id = heapq.heappop(self._heap)
            del self._live[timer_id]
            self.clock.now_ms = max(self.clock.now_ms, timer_at)
            return TimerFired(timer_id)
        if channel_at is None:
            raise SimulationStalledError("no channel event and no timer is pending")
        return await virtual.next_event()


class RealTimebase:
    """Wall-clock timers on the running event loop."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._fired: asyncio.Queue[TimerFired] = asyncio.Queue()
        self._ready: deque[TimerFired] = deque()
        self._reading: asyncio.Future[ChannelEvent] | None = None

    def now(self) -> datetime:
        return self._clock()

    def set_timer(self, timer_id: str, delay_ms: int) -> None:
        self.cancel_timer(timer_id)
        loop = asyncio.get_running_loop()
        self._handles[timer_id] = loop.call_later(max(0, delay_ms) / 1000, self._fire, timer_id)

    def _fire(self, timer_id: str) -> None:
        self._handles.pop(timer_id, None)
        self._fired.put_nowait(TimerFired(timer_id))

    def cancel_timer(self, timer_id: str) -> None:
        handle = self._handles.pop(timer_id, None)
        if handle is not None:
            handle.cancel()

    def clear_timers(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        if self._reading is not None:
            self._reading.cancel()
            self._reading = None

    async def next_event(self, channel: Channel) -> ChannelEvent | TimerFired:
        if self._ready:
            return self._ready.popleft()
        if not self._fired.empty():
            return self._fired.get_nowait()
        if self._reading is None:
            self._reading = asyncio.ensure_future(channel.next_event())
        waiting_timer = asyncio.ensure_future(self._fired.get())
        racers: set[asyncio.Future[Any]] = {self._reading, waiting_timer}
        await asyncio.wait(racers, return_when=asyncio.FIRST_COMPLETED)
        if waiting_timer.done():
            timer = waiting_timer.result()
            if not self._reading.done():
                return timer
            self._ready.append(timer)  # both ready: the channel event first
        else:
            waiting_timer.cancel()
        event = self._reading.result()
        self._reading = None
        return event
