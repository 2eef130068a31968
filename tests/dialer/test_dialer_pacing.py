"""The dialer's achieved rate with ticks that last longer than `tick_s` (issue 19)."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

from dialer.dialer_kit import clock_now, dialer, launch, scripted


async def test_dialer_holds_its_rate_when_ticks_run_late(api):
    # 20 CPS, tick_s 0.2 but each tick really lasts 0.3 s (0.1 s of its own work)
    _, _eid = await launch(api, contacts=120, callsPerSecond=20, maxConcurrentCalls=500)
    clock = clock_now()
    t0 = clock.now()
    launcher = scripted()
    d = dialer(api, launcher, clock, tick_s=0.2)
    for k in range(15):  # ticks at 0, 0.3, ... 4.2 s
        await d.run_once(t0 + timedelta(seconds=0.3 * k))
    await d.drain()
    offsets = sorted((p.start_at - t0).total_seconds() for p in launcher.plans)
    per_second = Counter(int(s + 1e-6) for s in offsets)
    assert [per_second[s] for s in range(4)] == [20, 20, 20, 20], per_second
    # the horizon follows the real tick length: once it has measured one tick,
    # starts are evenly spaced (only the first late tick has an owed slot to catch up)
    steady = [s for s in offsets if s >= 0.5]
    gaps = [b - a for a, b in itertools.pairwise(steady)]
    assert min(gaps) >= 0.05 - 1e-6
