"""Two `ringcast dialer` processes share one execution on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from dialer.dialer_kit import attempts, execution
from programs.campaign_kit import seed_campaign


async def test_two_dialer_processes_never_dial_a_job_twice(api, db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("several dialer processes need PostgreSQL")
    c = await seed_campaign(api, contacts=300, dids=3)
    h = api.acme.headers()
    body = c.program(callsPerSecond=1000, maxConcurrentCalls=40)
    pid = (await api.client.post("/api/programs", json=body, headers=h)).json()["id"]
    eid = (await api.client.post(f"/api/programs/{pid}/launch", headers=h)).json()["executionId"]
    env = {**os.environ, "RINGCAST_DATABASE_URL": db_url, "RINGCAST_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "ringcast.cli.main", "dialer", "--simulate", "--tick-ms", "50"]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (await execution(api, eid))["status"] == "completed":
                break
            await asyncio.sleep(0.5)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        outputs = [proc.communicate(timeout=30)[0].decode() for proc in procs]
    assert (await execution(api, eid))["status"] == "completed", outputs
    per_job = Counter(a.job_id for a in await attempts(api, eid))
    assert len(per_job) == 300
    assert set(per_job.values()) == {1}, "a job was dialed more than once"
    assert all("running" in out for out in outputs), outputs
