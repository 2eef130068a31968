"""Media workers as a user runs them: `ringcast dialer` with RINGCAST_MEDIA_WORKERS=2,
calls placed through the HTTP API to sipp, read back from the call reports.

sipp answers, waits half a second and plays in-band DTMF "7" then "#"
(`inband_7hash.ulaw`), then a looped greeting until our BYE. The flow waits for the 7
and the "#" that ends the entry (heard in the worker, from the callee's audio), then
listens a few seconds more. So:
- every call carries media both ways and hears its key, on both workers (each worker's
  clock ticks, read from /metrics by pid);
- `kill -9` of one worker mid-call: its calls end `failed` / `media_timeout` (never
  `completed` without media), the other worker's calls finish normally, and a new
  worker takes the dead one's place at once and carries the next program's calls.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dialer.dialer_kit import jobs, launch
from support import require_tool
from telephony.sipp.scenarios import (
    ASSETS,
    END,
    HDR,
    OK_SDP,
    RECV_ACK,
    RECV_INVITE,
    RINGING,
    TRYING,
    WAIT_BYE,
    pause,
    play,
)

OURS, SIPP = "127.0.0.83", "127.0.0.84"  # helper mw's loopback range
CALLS = 4
HOLD_MS = 10000
KEY_THEN_TALK = (
    RECV_INVITE + TRYING + RINGING + OK_SDP + RECV_ACK + pause(500)
    + play(str(ASSETS / "inband_7hash.ulaw")) + pause(2200)
    + play(str(ASSETS / "callee_human.ulaw"), loops=-1) + WAIT_BYE
)  # fmt: skip
GRAPH: dict[str, Any] = {
    "startNodeId": "dial",
    "nodes": [
        {
            "id": "dial",
            "type": "dial",
            "config": {"timeout": 20000, "enableAMD": False},
            "outputs": {"onAnswer": "ask", "default": "deaf"},
        },
        {
            "id": "ask",
            "type": "dtmf",
            "config": {  # "7" then the terminator "#": both keys must be heard
                "mode": "multi_digit",
                "variable": "choice",
                "timeout": 5000,
                "multiDigitConfig": {"maxDigits": 4, "terminator": "#"},
                "retry": {"maxRetries": 0},
            },
            "outputs": {"branches": {"7": "hold"}, "onMaxRetries": "deaf", "default": "deaf"},
        },
        {
            "id": "hold",  # the key was heard: stay on the line a while (the kill happens here)
            "type": "dtmf",
            "config": {
                "mode": "single_digit",
                "variable": "more",
                "timeout": HOLD_MS,
                "singleDigitConfig": {"allowedDigits": ["9"]},
                "retry": {"maxRetries": 0},
            },
            "outputs": {"default": "heard"},
        },
        {"id": "heard", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
        {"id": "deaf", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind((host, 0))
        port = int(u.getsockname()[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        t.bind((host, port))  # the dialer listens on TCP too
    return port


def children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(p) for p in text.split()}


def start_sipp(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    scenario = tmp_path / "key_then_talk.xml"
    scenario.write_text(HDR.format(name="key_then_talk") + KEY_THEN_TALK + END)
    port = free_port(SIPP)
    sipp = subprocess.Popen(
        ["sipp", "-sf", str(scenario), "-i", SIPP, "-p", str(port), "-mi", SIPP,
         "-mp", str(free_port(SIPP)), "-nostdin", "-timeout", "120s",
         "-default_behaviors", "all,-abortunexp"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.3)
    assert sipp.poll() is None, "sipp did not start"
    return sipp, port


def start_dialer(settings: Any, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RINGCAST_DATABASE_URL": settings.database_url.get_secret_value(),
        "RINGCAST_DATA_DIR": str(settings.data_dir),
        "RINGCAST_SIP_LOCAL_HOST": OURS,
        "RINGCAST_SIP_PORT": str(free_port(OURS)),
        "RINGCAST_MEDIA_WORKERS": "2",
        "RINGCAST_MEDIA_TIMEOUT_S": "3",
        "RINGCAST_LOG_LEVEL": "INFO",
    }
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ringcast.cli.main", "dialer", "--tick-ms", "100"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while "running (Ctrl-C to stop)" not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"ringcast dialer did not start\n{log_path.read_text()[-3000:]}")
        time.sleep(0.05)
    return proc


async def reports(api: Any, eid: str, timeout_s: float = 60) -> list[dict[str, Any]]:
    """Every job's final call report, once all are final."""
    h = api.acme.headers()
    deadline = time.monotonic() + timeout_s
    while True:
        out = []
        for job in await jobs(api, eid):
            out.append((await api.client.get(f"/api/call-report/{job.id}", headers=h)).json())
        if all(r["status"] in ("completed", "failed") for r in out):
            return out
        assert time.monotonic() < deadline, out
        await asyncio.sleep(0.25)


def last_attempt(report: dict[str, Any]) -> dict[str, Any]:
    attempt: dict[str, Any] = report["attempts"][-1]
    return attempt


def path_of(attempt: dict[str, Any]) -> list[str]:
    return [p["nodeId"] for p in attempt["flowExecution"]["executionPath"]]


def media(attempt: dict[str, Any]) -> dict[str, Any]:
    (event,) = [e for e in attempt["events"] if e["type"] == "media_stats"]
    return dict(event["data"])


def summary(attempt: dict[str, Any]) -> tuple[Any, ...]:
    stats = media(attempt) if attempt["call"]["answeredAt"] else {}
    return (attempt["outcome"], attempt["outcomeReason"], path_of(attempt),
            stats.get("packetsSent"), stats.get("packetsReceived"), attempt["call"].get("durationMs"))  # fmt: skip


def worker_ticks(text: str) -> dict[int, float]:
    found = re.findall(r'^ringcast_media_worker_ticks_total\{pid="(\d+)"\} (\S+)$', text, re.M)
    return {int(pid): float(n) for pid, n in found}


async def wait_for_ticks_on(api: Any, pids: set[int], eid: str, timeout_s: float = 20) -> None:
    """/metrics (the dialer's file, rewritten every 5 s) showing each of `pids`' media
    clock ticking: a worker's clock ticks only while it carries a stream."""
    deadline = time.monotonic() + timeout_s
    while True:
        ticks = worker_ticks((await api.client.get("/metrics")).text)
        if all(ticks.get(pid, 0) > 0 for pid in pids):
            return
        if time.monotonic() > deadline:
            h = api.acme.headers()
            states = [
                (await api.client.get(f"/api/call-report/{j.id}", headers=h)).json()
                for j in await jobs(api, eid)
            ]
            raise AssertionError(f"worker clocks {ticks}, wanted {pids}: {states}")
        await asyncio.sleep(0.5)


def assert_heard_with_media(attempt: dict[str, Any]) -> None:
    stats = media(attempt)
    assert (attempt["outcome"], attempt["outcomeReason"]) == ("completed", "completed"), attempt
    assert "hold" in path_of(attempt) and "deaf" not in path_of(attempt), path_of(attempt)
    assert stats["packetsReceived"] > 100 and stats["packetsSent"] > 100, stats


async def test_two_media_workers_in_ringcast_dialer_and_a_kill_9(api, db_url, settings, tmp_path):
    require_tool("sipp")
    if not db_url.startswith("sqlite"):
        pytest.skip("one database is enough for the media path")
    sipp, sipp_port = start_sipp(tmp_path)
    log_path = tmp_path / "dialer.log"
    dialer = start_dialer(settings, log_path)
    try:
        h = api.acme.headers()
        trunk = {"name": "sipp", "host": SIPP, "port": sipp_port, "optionsIntervalSec": 0}
        r = await api.client.post("/api/trunks", json=trunk, headers=h)
        assert r.status_code == 201, r.text
        workers = children(dialer.pid)
        assert len(workers) == 2, workers

        # 1. four calls, two on each worker; one worker is killed while they hold
        c, eid = await launch(api, CALLS, 1, GRAPH, callsPerSecond=20, maxConcurrentCalls=CALLS)
        await wait_for_ticks_on(api, workers, eid)
        victim = min(workers)
        # the clocks tick from the answer; the keys come within 2 s of it, the calls
        # then hold HOLD_MS: the kill lands mid-call, after the keys
        await asyncio.sleep(2.5)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        while len(children(dialer.pid) - {victim}) < 2:
            assert time.monotonic() - killed_at < 5, "the dead worker was not replaced"
            await asyncio.sleep(0.05)
        replacement = (children(dialer.pid) - workers).pop()

        attempts = [last_attempt(r) for r in await reports(api, eid)]
        lost = [a for a in attempts if a["outcome"] == "failed"]
        kept = [a for a in attempts if a["outcome"] == "completed"]
        assert len(lost) == CALLS // 2 and len(kept) == CALLS // 2, [summary(a) for a in attempts]
        for a in lost:  # its calls end honestly: a media failure, not `completed`
            assert a["outcomeReason"] == "media_timeout", a
            assert "hold" in path_of(a), path_of(a)  # it had heard its key before the kill
        for a in kept:
            assert_heard_with_media(a)
        text = (await api.client.get("/metrics")).text
        assert "ringcast_media_worker_restarts_total 1.0" in text, text[-3000:]
        assert "ringcast_media_workers 2.0" in text, text[-3000:]

        # 2. the next program's calls run on the survivor and the replacement
        r = await api.client.post("/api/programs", json=c.program(name="again"), headers=h)
        assert r.status_code == 201, r.text
        launched = await api.client.post(f"/api/programs/{r.json()['id']}/launch", headers=h)
        assert launched.status_code == 201, launched.text
        again = launched.json()["executionId"]
        survivors = {replacement, *(workers - {victim})}
        await wait_for_ticks_on(api, survivors, again)
        for a in [last_attempt(r) for r in await reports(api, again)]:
            assert_heard_with_media(a)
        # the clocks' figures: every worker's ticks, added up with the dialer's own
        text = (await api.client.get("/metrics")).text
        ticks = worker_ticks(text)
        assert set(ticks) == survivors and all(n > 0 for n in ticks.values()), ticks
        total = re.search(r"^ringcast_media_clock_late_seconds_count (\S+)$", text, re.M)
        assert total is not None and float(total.group(1)) >= sum(ticks.values()), text[-2000:]
    finally:
        dialer.send_signal(signal.SIGTERM)
        try:
            dialer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dialer.kill()
            dialer.wait()
        sipp.kill()
        sipp.wait()
    log = log_path.read_text(errors="replace")
    assert "media in 2 worker processes" in log, log[-3000:]
    assert "started in place of one that ended" in log, log[-3000:]


def test_media_workers_auto_is_one_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    from ringcast.settings import Settings

    monkeypatch.delenv("RINGCAST_MEDIA_WORKERS", raising=False)
    assert Settings().media_workers == (os.cpu_count() or 1)  # the default: every core
    monkeypatch.setenv("RINGCAST_MEDIA_WORKERS", "auto")
    assert Settings().media_workers == (os.cpu_count() or 1)
    monkeypatch.setenv("RINGCAST_MEDIA_WORKERS", "0")
    assert Settings().media_workers == 0
    monkeypatch.setenv("RINGCAST_MEDIA_WORKERS", "3")
    assert Settings().media_workers == 3
    monkeypatch.setenv("RINGCAST_MEDIA_WORKERS", "many")
    with pytest.raises(ValueError):
        Settings()
