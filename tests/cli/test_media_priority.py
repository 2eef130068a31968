"""`RINGCAST_MEDIA_PRIORITY` as a user sets it: a `ringcast dialer` process (and its
media workers) runs at the CPU priority asked for, read back from the kernel
(/proc), says what it got in /metrics' file, and runs on at its own priority,
with a warning, when it lacks the right."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import until_ready

SCHED_OTHER, SCHED_RR = 0, 2
ROOT = os.geteuid() == 0


def sched(pid: int, tid: int | None = None) -> tuple[int, int]:
    """(policy, nice) of a thread, from /proc/PID/task/TID/stat."""
    stat = Path(f"/proc/{pid}/task/{tid or pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[38]), int(fields[16])  # policy (field 41), nice (field 19)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def start_dialer(
    tmp_path: Path, priority: str, workers: int, prefix: list[str] | None = None
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGCAST_")}
    env |= {
        "RINGCAST_DATA_DIR": str(tmp_path),
        "RINGCAST_SIP_LOCAL_HOST": "127.0.0.1",
        "RINGCAST_SIP_PORT": "0",
        "RINGCAST_MEDIA_PRIORITY": priority,
        "RINGCAST_MEDIA_WORKERS": str(workers),
    }
    child = subprocess.Popen(
        [*(prefix or []), sys.executable, "-m", "ringcast.cli.main", "dialer", "--supervised"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return child


def metric_line(data_dir: Path) -> str:
    path = data_dir / "dialer-metrics.prom"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text().splitlines():
                if line.startswith("ringcast_media_priority{"):
                    return line
        time.sleep(0.2)
    raise AssertionError("no ringcast_media_priority in the dialer's metrics file")


def stop(child: subprocess.Popen[str]) -> None:
    if child.stdin is not None:
        child.stdin.close()
    try:
        child.wait(60)
    finally:
        if child.poll() is None:
            child.kill()


@pytest.mark.skipif(not ROOT, reason="raising a priority needs root or CAP_SYS_NICE")
@pytest.mark.parametrize(
    ("priority", "workers", "dialer_expected", "worker_expected"),
    [
        ("high", 0, (SCHED_OTHER, -10), None),
        ("realtime", 0, (SCHED_RR, 0), None),  # the dialer's loop carries the clock
        ("realtime", 1, (SCHED_OTHER, -10), (SCHED_RR, -10)),  # the worker carries it
        ("normal", 1, (SCHED_OTHER, 0), (SCHED_OTHER, 0)),
    ],
)
def test_the_dialer_and_its_media_workers_run_at_the_priority_asked(
    tmp_path: Path,
    priority: str,
    workers: int,
    dialer_expected: tuple[int, int],
    worker_expected: tuple[int, int] | None,
) -> None:
    child = start_dialer(tmp_path, priority, workers)
    try:
        until_ready(child)
        assert sched(child.pid) == dialer_expected
        spawned = children(child.pid)
        if worker_expected is None:
            assert spawned == []
        else:
            assert len(spawned) == workers
            # a worker applies its priority once started (the dialer does not wait for it)
            deadline = time.monotonic() + 30
            while sched(spawned[0]) != worker_expected and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [sched(pid) for pid in spawned] == [worker_expected]
        got = {"high": "high", "realtime": "high" if workers else "realtime"}.get(priority)
        assert metric_line(tmp_path) == (
            f'ringcast_media_priority{{got="{got or "normal"}",wanted="{priority}"}} 1.0'
        )
    finally:
        stop(child)


@pytest.mark.skipif(not ROOT, reason="needs root to drop CAP_SYS_NICE from a child")
def test_without_the_right_the_dialer_runs_on_and_says_so(tmp_path: Path) -> None:
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is missing"
    # root without CAP_SYS_NICE: what a service user without the right meets
    child = start_dialer(
        tmp_path, "realtime", 0, prefix=[setpriv, "--bounding-set", "-sys_nice", "--"]
    )
    try:
        said = until_ready(child)
        assert sched(child.pid) == (SCHED_OTHER, 0)
        assert "media priority realtime wanted, running at normal" in said
        assert (
            metric_line(tmp_path) == 'ringcast_media_priority{got="normal",wanted="realtime"} 1.0'
        )
    finally:
        stop(child)


def test_non_media_threads_of_a_realtime_process_run_ordinary() -> None:
    """The off-loop pool and the Silero model builder leave SCHED_RR behind."""
    if not ROOT:
        pytest.skip("SCHED_RR needs root or CAP_SYS_NICE")
    script = """
import asyncio, os
from ringcast.telephony.media import priority
from ringcast.kit.offload import off_loop
from ringcast.telephony.amd.silero_pool import SileroPool
assert priority.apply("realtime").got == "realtime"
async def main():
    heavy = await off_loop(lambda: (os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0)))
    pool = SileroPool(build=lambda: (os.sched_getscheduler(0), None))
    pool.reserve(1).result(30)
    print(os.sched_getscheduler(0), heavy, pool.take()[0])
asyncio.run(main())
"""
    out = (
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        .stdout.strip()
        .split(maxsplit=1)
    )
    assert out == [str(SCHED_RR), f"(0, 10) {SCHED_OTHER}"]


def test_the_dialer_grows_its_descriptor_table_before_its_first_call(tmp_path: Path) -> None:
    """kit/fds.py: grown later, with threads running, the kernel waits an RCU grace
    period on the event loop (1.3-3.8 s on a busy box)."""
    child = start_dialer(tmp_path, "normal", 0)
    try:
        until_ready(child)
        status = Path(f"/proc/{child.pid}/status").read_text()
        fd_size = int(status.split("FDSize:")[1].split()[0])
        limits = Path(f"/proc/{child.pid}/limits").read_text()
        hard = next(ln.split()[4] for ln in limits.splitlines() if ln.startswith("Max open files"))
        needed = 1000 * 3 + 256  # RINGCAST_DIALER_MAX_CALLS' default
        assert fd_size >= (needed if hard == "unlimited" else min(needed, int(hard)))
    finally:
        stop(child)
