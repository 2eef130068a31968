"""The dialer as a supervised child process of `ringcast serve`.

Theory of operation. Media (SIP, RTP, flows, AMD) must never wait for API
work, so `ringcast serve` runs no dialer in its own event loop: it starts
`ringcast dialer --supervised` as a child and watches it. The child says
`READY_LINE` on its output once its loop runs; every other line it writes
(its log) is copied to our stderr tagged `dialer[<pid>]`. When the child
exits while we are not stopping, we wait the next back-off step and start a
new one; a child that ran `stable_s` resets the back-off. After
`max_failures` exits in a row without a stable run the state is `failed`
(with the last error) — still retried at the longest back-off, so a dialer
that comes back heals on its own. Calls a dead child had in progress are
not lost: their leases expire and the next child records them `worker_lost`
and follows the retry strategy.

Stopping: SIGTERM to the child (it stops claiming and lets its calls finish),
SIGKILL after `stop_grace_s`. The child runs in its own session (a terminal's
Ctrl-C reaches only us, and we stop it in order) and watches its stdin: when
we die without stopping it (kill -9), the pipe closes and it stops itself.

States: starting → running → (exit) restarting → starting ...;
restarting/starting → failed after `max_failures` quick exits; stopped.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import re
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ringcast.db.base import utcnow

log = logging.getLogger("ringcast.dialer.supervisor")

READY_LINE = "ringcast-dialer: running"
SUPERVISOR_KEY = "dialer"  # where `ringcast serve` keeps its supervisor (AppState.extras)
DEFAULT_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


class DialerProcessState(StrEnum):
    starting = "starting"
    running = "running"
    restarting = "restarting"
    failed = "failed"
    stopped = "stopped"


@dataclass(frozen=True, slots=True)
class DialerStatus:
    state: DialerProcessState
    since: datetime
    pid: int | None = None
    restarts: int = 0  # children started after the first
    last_error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "since": self.since.isoformat().replace("+00:00", "Z"),
            "pid": self.pid,
            "restarts": self.restarts,
            "lastError": self.last_error,
        }


def supervised_status(extras: Mapping[str, object]) -> DialerStatus | None:
    """The dialer child's status when this process supervises one (`ringcast serve`)."""
    supervisor = extras.get(SUPERVISOR_KEY)
    return supervisor.status if isinstance(supervisor, DialerSupervisor) else None


def dialer_command() -> list[str]:
    """`ringcast dialer --supervised` with this interpreter (the same install)."""
    return [sys.executable, "-m", "ringcast.cli.main", "dialer", "--supervised"]


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exited with status {returncode}"


class DialerSupervisor:
    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        backoff_s: Sequence[float] = DEFAULT_BACKOFF_S,
        max_failures: int = 5,
        stable_s: float = 30.0,
        stop_grace_s: float = 40.0,
    ) -> None:
        self.command = list(command)
        self.env = dict(os.environ if env is None else env)
        self.backoff_s = tuple(backoff_s)
        self.max_failures = max_failures
        self.stable_s = stable_s
        self.stop_grace_s = stop_grace_s
        self._state = DialerProcessState.starting
        self._since = utcnow()
        self._restarts = 0
        self._last_error: str | None = None
        self._stopping = asyncio.Event()
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def status(self) -> DialerStatus:
        process = self._process
        alive = process is not None and process.returncode is None
        return DialerStatus(
            self._state,
            self._since,
            process.pid if alive and process is not None else None,
            self._restarts,
            self._last_error,
        )

    def _move(self, state: DialerProcessState) -> None:
        if state != self._state:
            self._state, self._since = state, utcnow()

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name="dialer-supervisor")

    async def stop(self) -> None:
        """Stop the child (SIGTERM, SIGKILL after the grace) and supervising."""
        self._stopping.set()
        if self._task is not None:
            await self._task
        self._move(DialerProcessState.stopped)

    async def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            ran_s, error = await self._run_child()
            if self._stopping.is_set():
                return
            failures = 0 if ran_s >= self.stable_s else failures + 1
            wait_s = self.backoff_s[min(max(failures - 1, 0), len(self.backoff_s) - 1)]
            state = (
                DialerProcessState.failed
                if failures >= self.max_failures
                else DialerProcessState.restarting
            )
            log.error(
                "dialer %s; %s in %.0f s",
                error,
                "restarting" if failures < self.max_failures else "failed, retrying",
                wait_s,
            )
            self._last_error = error
            self._move(state)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait_s)

    async def _run_child(self) -> tuple[float, str]:
        """Run one child to its end; (seconds it was running, why it ended)."""
        first = self._process is None
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        except OSError as exc:
            return 0.0, f"could not start: {exc}"
        self._process = process
        if not first:
            self._restarts += 1
        if self._state != DialerProcessState.failed:  # failed stays until a child runs
            self._move(DialerProcessState.starting)
        tail: collections.deque[str] = collections.deque(maxlen=20)
        loop = asyncio.get_running_loop()
        following = asyncio.create_task(self._follow(process, tail))
        exited = asyncio.create_task(process.wait())
        stopping = asyncio.create_task(self._stopping.wait())
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not exited.done():  # we are stopping: the child too
            await self._terminate(process)
        returncode = await exited
        running_at = await following
        ran_s = loop.time() - running_at if running_at is not None else 0.0
        return ran_s, _error(returncode, tail)

    async def _follow(
        self, process: asyncio.subprocess.Process, tail: collections.deque[str]
    ) -> float | None:
        """Copy the child's output to our stderr, tagged, until it closes; watch
        for its ready line. Returns when (loop time) it said it was running."""
        running_at: float | None = None
        assert process.stdout is not None
        while line_bytes := await _read_line(process.stdout):
            line = line_bytes.decode(errors="replace").rstrip()
            if line == READY_LINE and running_at is None:
                running_at = asyncio.get_running_loop().time()
                self._move(DialerProcessState.running)
                continue
            tail.append(line)
            sys.stderr.write(f"dialer[{process.pid}] {line}\n")
        return running_at

    async def _terminate(self, process: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), self.stop_grace_s)
        except TimeoutError:
            log.warning(
                "dialer %d still running %.0f s after SIGTERM: killed",
                process.pid,
                self.stop_grace_s,
            )
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


async def _read_line(stream: asyncio.StreamReader) -> bytes:
    """The next line, or the next 64 kB of an overlong one (b"" at the end)."""
    try:
        return await stream.readline()
    except ValueError:  # no newline within the reader's limit
        return await stream.read(65536)


def _error(returncode: int, tail: collections.deque[str]) -> str:
    """The exit, and the last line the child wrote that reads like an error."""
    said = next((line for line in reversed(tail) if _ERROR_WORDS.search(line)), None)
    exit_ = describe_exit(returncode)
    return f"{exit_}: {said}"[:500] if said else exit_


_ERROR_WORDS = re.compile(r"error|exception|traceback|critical", re.IGNORECASE)
