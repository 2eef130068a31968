"""sipp as a real far end: a fixture that runs sipp on loopback and waits for it.

Scenarios come from `scenarios.py`, written into the test's tmp dir so asset paths
are absolute. Ports: sipp gets a free block from 15100-15999 (ours for tests); our
side binds port 0. Without sipp the tests skip, except under `CI=true`: they fail.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import RtpStream
from ringcast.telephony.media.workers import MediaWorkers
from ringcast.telephony.sip.channel import MediaStream
from support import unavailable
from telephony.sipp.scenarios import write_scenario


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(width: int = 8) -> int:
    """A base port with `width` free UDP ports above it, in our 15100-15999 range."""
    for _ in range(200):
        base = random.randrange(15100, 15990 - width, 2)
        if all(_udp_free(base + i) for i in range(width)):
            return base
    raise RuntimeError("no free port block in 15100-15999")


@dataclass
class SippPeer:
    proc: subprocess.Popen[bytes]
    port: int
    media_port: int
    workdir: Path

    @property
    def messages(self) -> str:
        path = self.workdir / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait(self, timeout_s: float = 30) -> int:
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                f"sipp did not finish in {timeout_s} s\n{self.diagnostics()}"
            ) from None

    def diagnostics(self) -> str:
        parts = []
        for name in ("screen.log", "errors.log"):
            path = self.workdir / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


def require_sipp() -> str:
    path = shutil.which("sipp")
    if path is None:
        unavailable("sipp not installed (apt-get install sip-tester)")
    return path


SippFactory = Callable[..., SippPeer]


@pytest.fixture
def sipp(tmp_path: Path) -> Iterator[SippFactory]:
    """`sipp(scenario, calls=1, transport="udp", extra=[...])` → a running `SippPeer`."""
    exe = require_sipp()
    started: list[SippPeer] = []

    def start(
        scenario: str,
        calls: int = 1,
        transport: str = "udp",
        extra: list[str] | None = None,
        scenario_path: Path | None = None,
    ) -> SippPeer:
        work = tmp_path / f"sipp{len(started)}"
        work.mkdir()
        builtin = scenario in ("uac", "uas")  # sipp's own scenarios (-sn)
        path = scenario_path or (None if builtin else write_scenario(work, scenario))
        source = ["-sn", scenario] if builtin else ["-sf", str(path)]
        for _attempt in range(3):  # another process may take the block meanwhile: retry
            peer = _launch(exe, source, calls, transport, extra or [], work)
            started.append(peer)
            if peer.proc.poll() is None or scenario.startswith("uac"):
                return peer
            if "Unable to bind" not in peer.diagnostics():
                break
        raise AssertionError(f"sipp exited early\n{peer.diagnostics()}")

    yield start
    for peer in started:
        if peer.proc.poll() is None:
            peer.proc.kill()
            peer.proc.wait()


def _launch(
    exe: str, source: list[str], calls: int, transport: str, extra: list[str], work: Path
) -> SippPeer:
    base = free_port_block()
    args = [exe, *source, "-i", "127.0.0.1", "-p", str(base), "-mi", "127.0.0.1",
            "-mp", str(base + 2), "-m", str(calls), "-timeout", "30s", "-nostdin",
            "-default_behaviors", "all,-abortunexp", "-t", "t1" if transport == "tcp" else "u1",
            "-trace_msg", "-message_file", str(work / "messages.log"),
            "-trace_err", "-error_file", str(work / "errors.log"), *extra]  # fmt: skip
    screen = (work / "screen.log").open("wb")
    proc = subprocess.Popen(args, stdout=screen, stderr=subprocess.STDOUT, cwd=work)
    peer = SippPeer(proc, base, base + 2, work)
    deadline = time.monotonic() + 5
    # Ready when sipp holds its SIP port (our own bind attempt fails) and is still alive
    # a moment later (a failed bind makes sipp exit at once).
    while _port_free(base, transport) and proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"sipp did not bind {base}\n{peer.diagnostics()}")
        time.sleep(0.02)
    time.sleep(0.05)
    return peer


def _port_free(port: int, transport: str) -> bool:
    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.setsockopt(
            socket.SOL_SOCKET, socket.SO_REUSEADDR, 1
        ) if kind == socket.SOCK_STREAM else None
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
async def clock() -> AsyncIterator[MediaClock]:
    clock = MediaClock()
    yield clock
    clock.close()


@pytest.fixture
def open_media(clock: MediaClock) -> Callable[[], Awaitable[MediaStream]]:
    """Opens an RTP stream that accepts sipp's audio (play_pcap_audio sends from port 0)."""

    async def open_stream() -> MediaStream:
        stream = await RtpStream.open(clock)
        stream.allow_source("127.0.0.1", 0)
        return stream

    return open_stream


@pytest.fixture(params=["loop", "workers"])
async def any_media(
    request: pytest.FixtureRequest, clock: MediaClock
) -> AsyncIterator[Callable[[], Awaitable[MediaStream]]]:
    """`open_media` on this event loop, then on a media worker process
    (telephony/media/workers.py): the same call must behave the same on both."""
    workers = await MediaWorkers.start(1) if request.param == "workers" else None

    async def open_stream() -> MediaStream:
        stream: MediaStream = (
            await workers.open_stream() if workers is not None else await RtpStream.open(clock)
        )
        stream.allow_source("127.0.0.1", 0)
        return stream

    yield open_stream
    if workers is not None:
        await workers.close()
