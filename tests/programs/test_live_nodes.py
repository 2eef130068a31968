"""The live view's calls in flight carry the flow node each call is in (and for
how long, `stalled` past the limit), fed by the flow runner's node-entered
observer through the dialer; DTMF nodes' key-press tallies count how calls
ended each menu."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from dialer.dialer_kit import clock_now, dialer, jobs, scripted, tick
from programs.campaign_kit import phone, seed_campaign
from ringcast.calls.live import NODE_STALLED_AFTER_S
from ringcast.dialer.launcher import CallPlan, CallResult
from ringcast.flow.trace import PathEntry
from served_kit import MENU_GRAPH, pressing


class NodeLauncher:
    """Calls that enter nodes (as the runner reports them) and then wait."""

    def __init__(self, entered: dict[str, list[tuple[str, str, timedelta]]]) -> None:
        self.entered = entered  # phone -> [(node id, type, how long ago)]
        self.release = asyncio.Event()
        self.plans: list[CallPlan] = []

    async def launch(self, plan: CallPlan) -> CallResult:
        self.plans.append(plan)
        assert plan.on_node is not None
        for node_id, node_type, ago in self.entered.get(plan.to_number, []):
            plan.on_node(PathEntry(node_id, node_type, None, datetime.now(UTC) - ago))
        await self.release.wait()
        return CallResult("completed", "completed", dialed_at=plan.start_at)


async def _launch(api: Any, contacts: int, flow_id: str | None = None) -> str:
    c = await seed_campaign(api, contacts=contacts, dids=1)
    h = api.acme.headers()
    body = c.program(callsPerSecond=100, retryStrategy={"type": "none"})
    if flow_id is not None:
        body["flowId"] = flow_id
    program = await api.client.post("/api/programs", json=body, headers=h)
    assert program.status_code == 201, program.text
    launched = await api.client.post(f"/api/programs/{program.json()['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    return str(launched.json()["executionId"])


async def _live(api: Any, eid: str) -> dict[str, Any]:
    r = await api.client.get(f"/api/program-executions/{eid}/live", headers=api.acme.headers())
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_calls_in_flight_show_their_current_node_and_stalls(api):
    eid = await _launch(api, contacts=3)
    stuck = timedelta(seconds=NODE_STALLED_AFTER_S + 60)
    launcher = NodeLauncher(
        {
            phone(0): [("dial-1", "dial", timedelta(seconds=5))],
            phone(1): [("dial-1", "dial", stuck), ("menu", "dtmf", stuck)],
            # phone(2) has entered no node yet
        }
    )
    clock = clock_now()
    d = dialer(api, launcher, clock)
    await d.run_once(clock.now())
    for _ in range(500):
        if len(launcher.plans) == 3:
            break
        await asyncio.sleep(0.001)
    clock.advance(1)
    await d.run_once(clock.now())  # writes the nodes the calls entered

    live = await _live(api, eid)
    calls = {c["phone"]: c for c in live["inFlight"]}
    assert set(calls) == {phone(0), phone(1), phone(2)}
    first, hung, fresh = calls[phone(0)], calls[phone(1)], calls[phone(2)]
    assert (first["nodeId"], first["nodeType"], first["stalled"]) == ("dial-1", "dial", False)
    assert 4 <= first["nodeAgeSeconds"] < 60
    assert (hung["nodeId"], hung["nodeType"], hung["stalled"]) == ("menu", "dtmf", True)
    assert hung["nodeAgeSeconds"] >= NODE_STALLED_AFTER_S + 59
    assert fresh["nodeId"] is None and fresh["nodeAgeSeconds"] is None and not fresh["stalled"]
    job_ids = {j.id for j in await jobs(api, eid)}
    assert {c["jobId"] for c in live["inFlight"]} == job_ids

    launcher.release.set()
    await d.drain()
    await tick(d, clock, 1)
    assert (await _live(api, eid))["inFlight"] == []


async def test_a_node_note_needs_the_calls_lease(api):
    from ringcast.dialer.store import DialerStore, NodeNote

    eid = await _launch(api, contacts=1)
    [job] = await jobs(api, eid)
    store = DialerStore(api.app.state.ringcast.sessions)
    now = datetime.now(UTC)
    # not claimed: a note for it is refused (owner, status and attempt guard)
    await store.note_nodes("someone", [NodeNote(job.id, 1, "menu", "dtmf", now)])
    [job] = await jobs(api, eid)
    assert job.node_id is None


async def test_key_press_tallies_per_dtmf_node(api):
    flow = await api.client.post(
        "/api/flows", json={"name": "menu", "graph": MENU_GRAPH}, headers=api.acme.headers()
    )
    assert flow.status_code == 201, flow.text
    eid = await _launch(api, contacts=4, flow_id=flow.json()["id"])
    scripts = {phone(0): pressing("1"), phone(1): pressing("2"), phone(2): pressing("1")}
    launcher = scripted(scripts)
    launcher.script_for = lambda n: scripts.get(n, pressing())
    clock = clock_now()
    d = dialer(api, launcher, clock)
    await tick(d, clock)
    await tick(d, clock, 1)
    live = await _live(api, eid)
    assert live["execution"]["status"] == "completed"
    assert live["keyCounts"] == {"menu": {"1": 2, "2": 1, "timeout": 1}}


def test_the_flow_graph_labels_dtmf_nodes_with_their_tallies():
    from ringcast.dashboard.flowgraph import dot_source

    source = dot_source(
        MENU_GRAPH,
        {"dial": 4, "menu": 4},
        {"menu": {"timeout": 1, "2": 1, "none": 1, "1": 2}, "dial": {"1": 9}},
    )
    menu = next(line for line in source.splitlines() if line.startswith('  "menu" ['))
    assert "ran 4 times\\npressed 1: 2\\npressed 2: 1\\ntimeout: 1\\nnone: 1" in menu
    dial = next(line for line in source.splitlines() if line.startswith('  "dial" ['))
    assert "pressed" not in dial  # tallies belong to DTMF nodes only


def test_watch_prints_each_calls_node():
    from ringcast.cli.operate import _in_flight

    call = {"phone": "+1", "jobId": "j", "attempt": 1, "ageSeconds": 3.0}
    stuck = {**call, "nodeId": "menu", "nodeAgeSeconds": 200.0, "stalled": True}
    assert _in_flight({"inFlight": [call, stuck]}) == [
        "    calling +1 (job j, attempt 1, 3.0 s)",
        "    calling +1 (job j, attempt 1, 3.0 s) in menu for 200.0 s STALLED",
    ]
