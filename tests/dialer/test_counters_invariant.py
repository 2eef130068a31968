"""Random operation sequences (ticks with time jumps, pause, resume, cancel,
a callee mix of answers and failures): after every step the execution's four
counters sum to totalContacts, no job exceeds its attempt budget, and once
everything settles nothing is left in progress."""

from __future__ import annotations

import random

import pytest

from dialer.dialer_kit import BUSY, NO_ANSWER, attempts, clock_now, dialer, execution, jobs, tick
from programs.campaign_kit import phone, seed_campaign
from ringcast.dialer.simulated_launcher import INSTANT_HUMAN, SimulatedLauncher

OPS = ["tick", "tick", "tick", "jump", "pause", "resume", "cancel"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_counters_always_sum_to_total(api, seed):
    rng = random.Random(seed)
    c = await seed_campaign(api, contacts=6, dids=2)
    h = api.acme.headers()
    scripts = [INSTANT_HUMAN, BUSY, NO_ANSWER]
    launcher = SimulatedLauncher(lambda _n: rng.choice(scripts))
    body = c.program(
        callsPerSecond=rng.choice([2, 50]),
        maxConcurrentCalls=rng.choice([1, 3, 10]),
        retryStrategy={"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 2},
    )
    pid = (await api.client.post("/api/programs", json=body, headers=h)).json()["id"]
    eid = (await api.client.post(f"/api/programs/{pid}/launch", headers=h)).json()["executionId"]
    url = f"/api/program-executions/{eid}"
    clock = clock_now()
    d = dialer(api, launcher, clock)
    for _ in range(25):
        op = rng.choice(OPS)
        if op == "tick":
            await tick(d, clock, rng.choice([0.1, 0.5, 1]))
        elif op == "jump":
            await tick(d, clock, 61)
        else:
            await api.client.patch(f"{url}/{op}", headers=h)  # 409s are part of the game
        await execution(api, eid)  # asserts the sum
        assert all(j.attempt_count <= 3 for j in await jobs(api, eid))
    await api.client.patch(f"{url}/resume", headers=h)
    for _ in range(10):
        await tick(d, clock, 61)
    final = await execution(api, eid)
    assert final["status"] in ("completed", "cancelled")
    assert final["contactsPending"] == final["contactsInProgress"] == 0
    per_job = {}
    for a in await attempts(api, eid):
        per_job[a.job_id] = per_job.get(a.job_id, 0) + 1
    assert all(n <= 3 for n in per_job.values())
    assert {p.to_number for p in launcher.plans} <= {phone(i) for i in range(6)}
