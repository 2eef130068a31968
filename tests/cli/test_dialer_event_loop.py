"""`RINGCAST_EVENT_LOOP` as a user sets it: a `ringcast dialer` process runs on the
loop asked for (by default uvloop when media workers carry the media), becomes ready, and stops when its parent goes
(end of file on stdin, a pipe read by the loop) and on SIGTERM (a signal handler)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import until_ready


def start_dialer(tmp_path: Path, choice: str | None, workers: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGCAST_")}
    env |= {
        "RINGCAST_DATA_DIR": str(tmp_path),
        "RINGCAST_SIP_LOCAL_HOST": "127.0.0.1",
        "RINGCAST_SIP_PORT": "0",
        "RINGCAST_MEDIA_WORKERS": str(workers),
        "RINGCAST_LOG_LEVEL": "INFO",
    }
    if choice is not None:
        env["RINGCAST_EVENT_LOOP"] = choice
    return subprocess.Popen(
        [sys.executable, "-m", "ringcast.cli.main", "dialer", "--supervised"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def worker_loop(dialer_pid: int, wait_s: float = 30.0) -> str:
    """Which loop the dialer's media worker runs on, read from outside: once the worker
    has an epoll descriptor (its loop exists; uvloop is imported before), whether
    uvloop's extension is mapped into it."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        for pid in (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()):
            if _parent(pid) != dialer_pid or b"media.workers" not in _cmdline(pid):
                continue
            if any("eventpoll" in _link(fd) for fd in Path(f"/proc/{pid}/fd").glob("*")):
                return "uvloop" if "uvloop" in _read(Path(f"/proc/{pid}/maps")) else "asyncio"
        time.sleep(0.1)
    return "no worker with a loop"


def _link(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _parent(pid: int) -> int:
    stat = _read(Path(f"/proc/{pid}/stat"))
    return int(stat.rsplit(")", 1)[1].split()[1]) if stat else -1


@pytest.mark.parametrize(
    ("choice", "workers", "loop", "how"),
    [
        (None, 1, "uvloop", "eof"),  # auto, the media in a worker
        (None, 0, "asyncio", "sigterm"),  # auto, the media clock on the dialer's loop
        ("uvloop", 0, "uvloop", "sigterm"),
        ("asyncio", 1, "asyncio", "eof"),
    ],
)
def test_the_dialer_runs_on_the_loop_asked_for_and_stops(
    tmp_path: Path, choice: str | None, workers: int, loop: str, how: str
) -> None:
    child = start_dialer(tmp_path, choice, workers)
    try:
        assert f"dialer event loop: {loop}" in until_ready(child)
        if workers:  # its media workers run on the same choice (RTP only: auto is uvloop)
            assert worker_loop(child.pid) == loop
        assert child.stdin is not None
        if how == "eof":  # the parent gone
            child.stdin.close()
        else:
            child.send_signal(signal.SIGTERM)
        assert child.wait(60) == 0
        assert child.stdout is not None
        assert "stopped" in child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()
