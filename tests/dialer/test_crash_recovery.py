"""kill -9 a dialer in the middle of a 200-call program over real SIP (sipp answers),
start another: every contact ends with a report, the dead dialer's calls come back as
`worker_lost` after their lease, attempts never exceed the strategy, and no job is
dialed again while its first call could still be running."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from dialer.dialer_kit import attempts, execution, jobs
from programs.campaign_kit import seed_campaign
from support import require_tool

LEASE_S = 4
CONTACTS = 200
WAITING_GRAPH = {
    "startNodeId": "dial-1",
    "nodes": [
        {
            "id": "dial-1",
            "type": "dial",
            "config": {"timeout": 10000, "enableAMD": False},
            "outputs": {"onAnswer": "wait-1", "default": "bye"},
        },
        {
            "id": "wait-1",
            "type": "dtmf",
            "config": {
                "mode": "single_digit",
                "variable": "choice",
                "timeout": 1500,
                "singleDigitConfig": {"allowedDigits": ["1"]},
                "retry": {"maxRetries": 0},
            },
            "outputs": {"default": "bye"},
        },
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_dialer(env: dict[str, str], log: object) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "ringcast.cli.main", "dialer", "--lease-s", str(LEASE_S)]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # type: ignore[arg-type]


async def test_kill_9_mid_program_then_a_new_dialer_finishes_it(api, db_url, settings, tmp_path):
    require_tool("sipp")
    if not db_url.startswith("sqlite"):
        pytest.skip("the SQLite half is enough (one dialer at a time here)")
    port = free_udp_port()
    # -rtp_echo: our RTP comes back, the calls carry media (none → failed / no_media)
    sipp = subprocess.Popen(
        ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1", "-mp", str(free_udp_port()),
         "-rtp_echo", "-nostdin", "-timeout", "120s"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    log_path = tmp_path / "dialers.log"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        h = api.acme.headers()
        r = await api.client.post(
            "/api/trunks", json={"name": "sipp", "host": "127.0.0.1", "port": port}, headers=h
        )
        assert r.status_code == 201, r.text
        c = await seed_campaign(api, contacts=CONTACTS, dids=2)
        flow = await api.client.post(
            "/api/flows", json={"name": "wait", "graph": WAITING_GRAPH}, headers=h
        )
        assert flow.status_code == 201, flow.text
        retry_at = datetime.now(UTC) + timedelta(seconds=20)
        body = c.program(
            flowId=flow.json()["id"],
            callsPerSecond=40,
            maxConcurrentCalls=40,
            retryStrategy={"type": "scheduled", "retryDates": [retry_at.isoformat()]},
        )
        pid = (await api.client.post("/api/programs", json=body, headers=h)).json()["id"]
        launched = await api.client.post(f"/api/programs/{pid}/launch", headers=h)
        eid = launched.json()["executionId"]
        env = {
            **os.environ,
            "RINGCAST_DATABASE_URL": db_url,
            "RINGCAST_DATA_DIR": str(settings.data_dir),
        }
        log = log_path.open("ab")
        procs.append(start_dialer(env, log))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(await attempts(api, eid)) < 60:
            await asyncio.sleep(0.2)
        assert len(await attempts(api, eid)) >= 60, log_path.read_text()
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait()
        killed_at = datetime.now(UTC)
        in_flight = {j.id for j in await jobs(api, eid) if j.status == "in_progress"}
        assert in_flight, "the dialer should have died with calls in progress"

        procs.append(start_dialer(env, log))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (await execution(api, eid))["status"] == "completed":
                break
            await asyncio.sleep(0.5)
        final = await execution(api, eid)
        assert final["status"] == "completed", log_path.read_text()[-3000:]

        rows = await attempts(api, eid)
        per_job = Counter(a.job_id for a in rows)
        assert len(per_job) == CONTACTS  # every contact has a report
        assert max(per_job.values()) <= 2  # 1 + one scheduled retry
        lost = [a for a in rows if a.outcome_reason == "worker_lost"]
        assert {a.job_id for a in lost} == in_flight
        for a in lost:
            assert a.created_at >= killed_at + timedelta(seconds=LEASE_S - 1)
            retried = [b for b in rows if b.job_id == a.job_id and b.attempt == 2]
            # the retry started after the dead dialer's lease ran out, never alongside it
            assert all(b.created_at >= a.created_at for b in retried)
        assert sum(1 for a in rows if a.outcome == "completed") >= CONTACTS - len(lost)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        sipp.kill()
        sipp.wait()
