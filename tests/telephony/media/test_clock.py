from __future__ import annotations

import asyncio
import time

from ringcast.telephony.media.clock import MediaClock, shared_media_clock


class FakeClient:
    def __init__(self, clock: MediaClock) -> None:
        self.clock = clock
        self.ticks: list[tuple[float, int]] = []
        self.housekeeping = 0

    def tick(self, frames: int) -> None:
        self.ticks.append((self.clock.time(), frames))

    def housekeep(self, now: float) -> None:
        self.housekeeping += 1


class BrokenClient(FakeClient):
    def tick(self, frames: int) -> None:
        raise RuntimeError("boom")


async def test_ticks_on_an_absolute_grid() -> None:
    clock = MediaClock()
    client = FakeClient(clock)
    start = clock.time()
    clock.register(client)
    await asyncio.sleep(0.5)
    clock.unregister(client)
    assert 20 <= len(client.ticks) <= 26
    # deadlines are epoch + k * 20 ms (k counts skipped periods too): a tick is
    # never early, and lateness does not accumulate (the last tick is as close to
    # its deadline as the first)
    k = 0
    late_ms = []
    for at, frames in client.ticks:
        k += frames
        late_ms.append((at - start - 0.02 * k) * 1000)
    assert min(late_ms) > -0.1
    assert late_ms[-1] < 10.0


async def test_stall_skips_ticks_without_burst() -> None:
    clock = MediaClock()
    client = FakeClient(clock)
    clock.register(client)
    await asyncio.sleep(0.05)
    time.sleep(0.1)  # block the loop for 5 periods
    await asyncio.sleep(0.1)
    clock.unregister(client)
    gaps = [(b[0] - a[0]) * 1000 for a, b in zip(client.ticks, client.ticks[1:], strict=False)]
    assert min(gaps) > 0.5  # never two sends back to back (a burst would be ~0)
    assert max(f for _, f in client.ticks) >= 4  # the timestamp jump covers the stall
    assert clock.stats.skipped_ticks >= 3


async def test_stops_when_empty_and_restarts() -> None:
    clock = MediaClock()
    client = FakeClient(clock)
    clock.register(client)
    clock.register(client)  # idempotent
    assert clock.clients == 1
    await asyncio.sleep(0.05)
    clock.unregister(client)
    n = len(client.ticks)
    await asyncio.sleep(0.05)
    assert len(client.ticks) == n
    clock.register(client)
    await asyncio.sleep(0.05)
    clock.close()
    assert len(client.ticks) > n


async def test_broken_client_is_dropped_others_continue() -> None:
    clock = MediaClock()
    good, bad = FakeClient(clock), BrokenClient(clock)
    clock.register(bad)
    clock.register(good)
    await asyncio.sleep(0.1)
    clock.close()
    assert len(good.ticks) >= 3


async def test_housekeeping_about_once_a_second() -> None:
    clock = MediaClock()
    client = FakeClient(clock)
    clock.register(client)
    await asyncio.sleep(1.1)
    clock.close()
    assert client.housekeeping == 1


async def test_shared_clock_is_one_per_loop() -> None:
    assert shared_media_clock() is shared_media_clock()


async def test_a_stalled_loop_shows_in_the_lateness_histogram_and_warns_once(caplog) -> None:
    clock = MediaClock()
    client = FakeClient(clock)
    clock.register(client)
    await asyncio.sleep(0.1)
    with caplog.at_level("WARNING", logger="ringcast.telephony.media.clock"):
        time.sleep(0.3)  # the loop is blocked: the next tick is ~300 ms late
        await asyncio.sleep(0.05)
        time.sleep(0.3)  # late again within WARN_EVERY_S: counted, not logged
        await asyncio.sleep(0.05)
    clock.unregister(client)
    stats = clock.stats
    assert sum(stats.late_buckets) == stats.ticks
    assert stats.late_buckets[-4] + stats.late_buckets[-3] >= 2  # the 200-500/500-1000 ms buckets
    assert stats.late_ticks >= 2
    warnings = [r for r in caplog.records if "fell behind" in r.getMessage()]
    assert len(warnings) == 1


async def test_clients_joining_or_leaving_inside_a_tick_count_from_the_next_one() -> None:
    clock = MediaClock()
    order: list[str] = []
    late = FakeClient(clock)

    class Leaver(FakeClient):
        def __init__(self, name: str) -> None:
            super().__init__(clock)
            self.name = name

        def tick(self, frames: int) -> None:
            order.append(self.name)
            if self.name == "a":  # a leaves, and brings in `late`, while ticked
                clock.unregister(self)
                clock.register(late)

    a, b, c = Leaver("a"), Leaver("b"), Leaver("c")
    for client in (a, b, c):
        clock.register(client)
    clock.register(b)  # already in: still once, in its first place
    await asyncio.sleep(0.065)
    clock.close()
    assert order[:3] == ["a", "b", "c"]  # the first tick: the three, in order
    assert order[3:5] == ["b", "c"]  # then without a
    assert len(late.ticks) == len(order[3:]) // 2 >= 1  # `late` from the second tick on
    assert clock.clients == 0
