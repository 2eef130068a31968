from __future__ import annotations

import asyncio

from dialer.dialer_kit import BlockedLauncher, clock_now, dialer, execution, launch, tick


async def test_trunk_channels_bound_concurrent_calls_and_dids_pick_their_trunk(api):
    h = api.acme.headers()
    main = await api.client.post(
        "/api/trunks", json={"name": "main", "host": "127.0.0.1", "maxChannels": 2}, headers=h
    )
    assert main.status_code == 201, main.text
    _, eid = await launch(api, contacts=5, dids=1, maxConcurrentCalls=10, callsPerSecond=100)
    clock = clock_now()
    blocked = BlockedLauncher()
    d = dialer(api, blocked, clock)
    await d.run_once(clock.now())
    await blocked.started(2)
    await d.run_once(clock.advance(1))
    await asyncio.sleep(0.01)
    assert len(blocked.plans) == 2  # the default trunk has two channels
    assert {p.trunk.id for p in blocked.plans if p.trunk} == {main.json()["id"]}
    assert (await execution(api, eid))["contactsInProgress"] == 2
    blocked.release.set()
    await d.drain()
    for _ in range(4):
        await tick(d, clock, 1)
    assert len(blocked.plans) == 5
    assert (await execution(api, eid))["status"] == "completed"
