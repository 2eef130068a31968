"""The dialer supervisor with stand-in children (small Python scripts)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from ringcast.dialer.supervisor import (
    READY_LINE,
    DialerProcessState,
    DialerSupervisor,
    supervised_status,
)


def script(code: str) -> list[str]:
    return [sys.executable, "-c", code]


async def until(supervisor: DialerSupervisor, state: DialerProcessState) -> None:
    deadline = time.monotonic() + 20
    while supervisor.status.state != state:
        assert time.monotonic() < deadline, supervisor.status
        await asyncio.sleep(0.02)


async def test_a_child_that_cannot_start_is_failed_with_its_error_and_still_retried(tmp_path):
    starts = tmp_path / "starts"
    code = (
        f"open({str(starts)!r}, 'a').write('x'); print('connecting'); "
        "print('RuntimeError: no database at sqlite:///nowhere'); raise SystemExit(3)"
    )
    supervisor = DialerSupervisor(script(code), backoff_s=(0.05, 0.1), max_failures=3)
    supervisor.start()
    await until(supervisor, DialerProcessState.failed)
    status = supervisor.status
    assert (
        status.last_error == "exited with status 3: RuntimeError: no database at sqlite:///nowhere"
    )
    assert status.restarts >= 2 and status.as_json()["state"] == "failed"
    tried = len(starts.read_text())
    await asyncio.sleep(0.5)
    assert len(starts.read_text()) > tried  # failed, yet retried at the longest back-off
    await supervisor.stop()
    assert supervisor.status.state == DialerProcessState.stopped


async def test_running_child_is_restarted_when_it_dies_and_stopped_with_sigterm(tmp_path):
    stopped = tmp_path / "stopped"
    code = (
        "import signal, sys, time\n"
        f"def bye(*_):\n    open({str(stopped)!r}, 'a').write('x'); sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        f"print({READY_LINE!r}, flush=True)\n"
        "print('working', flush=True)\n"
        "time.sleep(float(sys.argv[1]))\n"
    )
    # the first child "dies" after 1 s; the next ones would run for a minute
    supervisor = DialerSupervisor([*script(code), "1.0"], backoff_s=(0.05,))
    supervisor.start()
    await until(supervisor, DialerProcessState.running)
    first = supervisor.status.pid
    assert first is not None
    supervisor.command[-1] = "60"
    await until(supervisor, DialerProcessState.restarting)
    assert supervisor.status.last_error == "exited with status 0"
    await until(supervisor, DialerProcessState.running)
    assert supervisor.status.pid not in (None, first) and supervisor.status.restarts == 1
    assert supervised_status({"dialer": supervisor}) == supervisor.status
    assert supervised_status({}) is None
    await supervisor.stop()
    assert Path(stopped).read_text() == "x"  # SIGTERM, handled: a clean stop
    assert supervisor.status.state == DialerProcessState.stopped


async def test_a_child_that_ignores_sigterm_is_killed_after_the_grace():
    code = (
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"print({READY_LINE!r}, flush=True)\ntime.sleep(60)\n"
    )
    supervisor = DialerSupervisor(script(code), stop_grace_s=0.3)
    supervisor.start()
    await until(supervisor, DialerProcessState.running)
    started = time.monotonic()
    await supervisor.stop()
    assert time.monotonic() - started < 5
    assert supervisor.status.state == DialerProcessState.stopped


async def test_stopping_while_a_child_starts_stops_that_child():
    supervisor = DialerSupervisor(script("import time; time.sleep(60)"))
    supervisor.start()
    await asyncio.sleep(0)  # the child is being started
    started = time.monotonic()
    await supervisor.stop()
    assert time.monotonic() - started < 10
    process = supervisor._process
    assert process is None or process.returncode is not None
