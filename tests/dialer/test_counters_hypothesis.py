"""Hypothesis drives random operation sequences against one execution: ticks with
time jumps, pause, resume, cancel, callees answering or not. After every step the
four counters sum to totalContacts and no job goes over its attempt budget."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer.dialer_kit import BUSY, NO_ANSWER, clock_now, dialer, execution, jobs, tick
from programs.campaign_kit import Campaign, seed_campaign
from ringcast.dialer.simulated_launcher import INSTANT_HUMAN, SimulatedLauncher

_campaigns: dict[int, Campaign] = {}
step = st.one_of(
    st.tuples(st.just("tick"), st.sampled_from([0.1, 0.5, 61.0])),
    st.tuples(st.sampled_from(["pause", "resume", "cancel"]), st.just(0.0)),
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(step, min_size=1, max_size=15),
    answers=st.lists(st.sampled_from(["human", "busy", "no_answer"]), min_size=5, max_size=5),
    concurrency=st.sampled_from([1, 2, 10]),
)
async def test_counters_sum_whatever_happens(api: Any, steps, answers, concurrency):
    campaign = _campaigns.get(id(api))
    if campaign is None:
        campaign = _campaigns[id(api)] = await seed_campaign(api, contacts=5, dids=1)
    scripts = {"human": INSTANT_HUMAN, "busy": BUSY, "no_answer": NO_ANSWER}
    order = iter(answers * 10)
    launcher = SimulatedLauncher(lambda _n: scripts[next(order)])
    h = api.acme.headers()
    body = campaign.program(
        maxConcurrentCalls=concurrency,
        callsPerSecond=50,
        retryStrategy={"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 1},
    )
    pid = (await api.client.post("/api/programs", json=body, headers=h)).json()["id"]
    eid = (await api.client.post(f"/api/programs/{pid}/launch", headers=h)).json()["executionId"]
    clock = clock_now()
    d = dialer(api, launcher, clock)
    for op, seconds in steps:
        if op == "tick":
            await tick(d, clock, seconds)
        else:
            await api.client.patch(f"/api/program-executions/{eid}/{op}", headers=h)
        await execution(api, eid)  # asserts completed + failed + pending + inProgress == total
        assert all(j.attempt_count <= 2 for j in await jobs(api, eid))
    await api.client.patch(f"/api/program-executions/{eid}/cancel", headers=h)
    final = await execution(api, eid)
    assert final["contactsPending"] == 0 and final["contactsInProgress"] == 0
