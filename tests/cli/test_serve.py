"""`ringcast serve` as a user runs it: the API in one process, the dialer in a
supervised child that places real SIP calls to a callee farm — and comes back
after a kill -9 with nothing lost or doubled."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ringcast.calleefarm import BehaviourBook, CalleeFarm
from ringcast.calleefarm.behaviour import Behaviour
from ringcast.demo import campaign
from ringcast.dialer.supervisor import READY_LINE
from support import wav_bytes

T = TypeVar("T")
CONTACTS = [f"+2126610001{n:02d}" for n in range(8)]
PLAY_S = 3.0  # each answered call plays this long: the kill lands on calls in progress


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(type=kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ringcast(*args: str) -> list[str]:
    return [sys.executable, "-m", "ringcast.cli.main", *args]


async def until(what: str, probe: Callable[[], Awaitable[T | None]], timeout_s: float) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        found = await probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)


def graph(audio_id: str) -> dict[str, Any]:
    end = {"id": "end", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}}
    return {
        "startNodeId": "dial",
        "nodes": [
            {
                "id": "dial",
                "type": "dial",
                "config": {"timeout": 15000, "enableAMD": False},
                "outputs": {"onAnswer": "play", "default": "end"},
            },
            {
                "id": "play",
                "type": "play",
                "config": {"audioItems": [{"type": "audioFile", "audioId": audio_id}]},
                "outputs": {"default": "end"},
            },
            end,
        ],
    }


async def build_campaign(client: httpx.AsyncClient, farm: CalleeFarm) -> str:
    """Trunk, contacts, audience, a dial → play → hangup flow, launched: the execution id."""
    await campaign.create_trunk(client, *farm.address)
    rows = [{"primaryPhone": phone, "firstName": "Serve"} for phone in CONTACTS]
    upserted = campaign.ok("upsert", await client.post("/api/contact/upsert", json={"data": rows}))
    assert not upserted["failed"], upserted
    listing = campaign.ok("contacts", await client.get("/api/contact", params={"limit": 100}))
    audience = campaign.ok("audience", await client.post("/api/audience", json={"name": "all"}))
    campaign.ok(
        "add contacts",
        await client.post(
            f"/api/audience/{audience['id']}/add-contacts",
            json={"contacts": [c["id"] for c in listing["data"]]},
        ),
    )
    files = {"file": ("tone.wav", wav_bytes(PLAY_S), "audio/wav")}
    audio = campaign.ok(
        "upload",
        await client.post(
            "/api/audio-management/upload", files=files, data={"title": "t", "usageType": "prompt"}
        ),
    )
    flow = campaign.ok(
        "flow", await client.post("/api/flows", json={"name": "f", "graph": graph(audio["id"])})
    )
    soon = datetime.now(UTC) + timedelta(seconds=2)
    program = campaign.ok(
        "program",
        await client.post(
            "/api/programs",
            json={
                "name": "serve test",
                "audienceId": audience["id"],
                "flowId": flow["id"],
                "didPool": list(campaign.DIDS),
                # a call cut by the kill is a failed (worker_lost) attempt: tried again at once
                "retryStrategy": {
                    "type": "scheduled",
                    "retryDates": [soon.isoformat(), (soon + timedelta(seconds=1)).isoformat()],
                },
                "maxConcurrentCalls": 3,
                "callsPerSecond": 5,
            },
        ),
    )
    launched = campaign.ok("launch", await client.post(f"/api/programs/{program['id']}/launch"))
    return str(launched["executionId"])


async def reports(client: httpx.AsyncClient, execution_id: str) -> dict[str, dict[str, Any]]:
    export = await client.post("/api/call-report/export", json={"executionId": execution_id})
    assert export.status_code == 200, export.text
    jobs = {row["phone"]: row["jobId"] for row in csv.DictReader(io.StringIO(export.text))}
    return {
        phone: campaign.ok("report", await client.get(f"/api/call-report/{job_id}"))
        for phone, job_id in jobs.items()
    }


async def test_serve_dials_from_a_supervised_child_that_survives_kill_9(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGCAST_")}
    env |= {
        "RINGCAST_DATA_DIR": str(tmp_path),
        "RINGCAST_DIALER_LEASE_S": "3",
        "RINGCAST_DIALER_TICK_MS": "100",
        # a fixed SIP port, as in production: the restarted child binds it again
        "RINGCAST_SIP_PORT": str(free_port(socket.SOCK_DGRAM)),
        "RINGCAST_RATE_LIMIT_PER_SECOND": "1000",
        "RINGCAST_RATE_LIMIT_BURST": "2000",
    }
    key = subprocess.run(
        ringcast("keys", "create", "--org", "Serve", "--name", "t", "-q"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    book = BehaviourBook()
    for phone in CONTACTS:
        book.set(phone, Behaviour("human"))
    farm = CalleeFarm(book)
    await farm.start()
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        serve = subprocess.Popen(
            ringcast("serve", "--port", str(port)), env=env, stdout=log, stderr=subprocess.STDOUT
        )
    child_pids: list[int] = []
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"x-api-key": key}, timeout=30
        ) as client:

            async def dialer(running_not: int | None = None) -> dict[str, Any] | None:
                try:
                    health = (await client.get("/health")).json()
                except httpx.TransportError:
                    return None
                d: dict[str, Any] = health["dialer"]
                ok = d["state"] == "running" and d["pid"] not in (None, running_not)
                return health if ok else None

            health = await until("the dialer child running", dialer, 60)
            assert health["status"] == "ok"
            first_pid = health["dialer"]["pid"]
            child_pids.append(first_pid)
            assert first_pid != serve.pid  # the API process runs no media

            execution_id = await build_campaign(client, farm)

            async def one_reported() -> int | None:
                done = [r for r in (await reports(client, execution_id)).values() if r["attempts"]]
                return len(done) or None

            await until("a call placed and reported", one_reported, 60)
            os.kill(first_pid, signal.SIGKILL)

            health = await until("a new dialer child", lambda: dialer(first_pid), 60)
            child_pids.append(health["dialer"]["pid"])
            assert health["dialer"]["restarts"] == 1
            assert "SIGKILL" in health["dialer"]["lastError"]
            metrics = (await client.get("/metrics")).text
            assert 'ringcast_dialer_process_state{state="running"} 1.0' in metrics
            assert "ringcast_dialer_process_restarts 1.0" in metrics

            async def completed() -> dict[str, Any] | None:
                e = (await client.get(f"/api/program-executions/{execution_id}")).json()
                return e if e["status"] == "completed" else None

            execution = await until("the execution completed", completed, 120)
            assert execution["contactsCompleted"] == len(CONTACTS), execution
            final = await reports(client, execution_id)
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(60)
        finally:
            if serve.poll() is None:
                serve.kill()
            await farm.stop()
    log_text = log_path.read_text(errors="replace")
    # a clean stop (uvicorn re-raises the SIGTERM it handled)
    assert serve.returncode in (0, -signal.SIGTERM), log_text[-3000:]
    assert "Application shutdown complete" in log_text
    for pid in child_pids:  # the killed one, and the one stopped with the parent
        assert not Path(f"/proc/{pid}").exists(), pid
    assert f"dialer[{child_pids[1]}] " in log_text, log_text[-3000:]  # the child's log, tagged

    # nothing lost: every contact reached, to the end of the flow ...
    assert set(final) == set(CONTACTS)
    for phone, report in final.items():
        attempts = report["attempts"]
        assert report["finalOutcome"] == "completed", (phone, report)
        assert [a["attempt"] for a in attempts] == list(range(1, len(attempts) + 1)), report
        # ... nothing doubled: one completed attempt each, any other one a call the kill
        # cut; the far end got no more calls than were recorded
        outcomes = [(a["outcome"], a["outcomeReason"]) for a in attempts]
        assert [o for o, _ in outcomes].count("completed") == 1, outcomes
        assert all(o == ("failed", "worker_lost") for o in outcomes if o[0] != "completed")
        assert 1 <= len(farm.records_for(phone)) <= len(attempts), (phone, outcomes)


def test_the_dialer_child_stops_when_its_parent_is_gone(tmp_path: Path) -> None:
    """serve killed with -9 cannot stop its child: the child sees its stdin close."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGCAST_")}
    env |= {"RINGCAST_DATA_DIR": str(tmp_path), "RINGCAST_SIP_PORT": "0"}
    child = subprocess.Popen(
        ringcast("dialer", "--supervised", "--simulate"),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert child.stdout is not None
        lines = []
        while (line := child.stdout.readline()) and line.strip() != READY_LINE:
            lines.append(line)
        assert line.strip() == READY_LINE, "".join(lines)
        assert child.stdin is not None
        child.stdin.close()  # what the kernel does when the parent dies
        assert child.wait(60) == 0
        assert "parent process gone: stopping" in child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()
