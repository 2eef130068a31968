"""Outbound RTP pacing: the shared media clock vs a timer per call, at N streams.

    .venv/bin/python bench/media_pacing.py [--calls 100 250 500] [--seconds 10] [--one-way]

For each N, this process opens N `RtpStream`s playing a long prompt (PCMU,
20 ms frames) towards a sink in a *separate process*, which records the kernel
receive timestamp of every packet (SO_TIMESTAMPNS, taken on loopback while the
sender is still inside `sendto`, so the sink's own scheduling does not blur the
figures) and, unless --one-way, echoes each packet back so the sender also
receives 50 packets/s per stream (two-way G.711, like a call). Two designs, same
per-packet code (`RtpStream.tick`):

- clock: one `MediaClock` drives every stream (the design we ship);
- timer: the spike's design, one asyncio task per stream doing
  `tick(); await asyncio.sleep(0.02)`.

Printed per design and N: CPU% of the sender process over the window, packets,
inter-packet gap p50/p99/max (all streams pooled), the worst stream's p99, the
p99 deviation from 20 ms, gaps > 40 ms, packet loss; then the ratio of the
timer design's p99 gap to the clock's. Goal: 500 streams with the p99 gap
within 10 ms of the 20 ms period (clock design).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import os
import resource
import socket
import struct
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from multiprocessing.connection import Connection

import numpy as np

from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import RtpStream

SINK_SOCKETS = 16
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
_TIMESPEC = struct.Struct("@qq")


# ---- sink process -------------------------------------------------------------


def _sink_main(conn: Connection, echo: bool) -> None:
    # The sink stands for the far end, another machine in real life: its own
    # session puts it in its own scheduler autogroup (Linux shares CPU between
    # sessions first), so it does not eat into the sender's share; and kernel
    # timestamps do not depend on when it runs, so it also yields to the sender.
    os.setsid()
    os.nice(10)
    socks = []
    for _ in range(SINK_SOCKETS):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        socks.append(s)
    conn.send([s.getsockname()[1] for s in socks])
    times: dict[int, list[float]] = {}
    window_start = 0.0
    ancsize = socket.CMSG_SPACE(_TIMESPEC.size)

    def drain(sock: socket.socket) -> None:
        while True:
            try:
                data, anc, _, addr = sock.recvmsg(2048, ancsize)
            except BlockingIOError:
                return
            stamp = time.time()
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = _TIMESPEC.unpack(raw[: _TIMESPEC.size])
                    stamp = sec + nsec * 1e-9
            times.setdefault(addr[1], []).append(stamp)
            if echo:
                sock.sendto(data, addr)

    while True:
        # Poll every 2 ms instead of sleeping in select(): a sink woken by every
        # packet would preempt the sender 25,000 times a second on a 2-core box.
        time.sleep(0.002)
        for sock in socks:
            drain(sock)
        if not conn.poll():
            continue
        # The window is given in the sender's time (kernel receive stamps are
        # CLOCK_REALTIME too), so the sender never waits for the sink.
        command, at = conn.recv()
        if command == "reset":
            # not cleared here: the sink may run behind and already hold packets
            # of the window; the report filters by time instead
            window_start = at
        elif command == "report":
            for sock in socks:
                drain(sock)
            report = {k: np.array(v) for k, v in times.items()}
            conn.send({k: v[(v >= window_start) & (v < at)] for k, v in report.items()})
            times.clear()
        else:
            return


# ---- sender -------------------------------------------------------------------


@dataclass
class Result:
    design: str
    calls: int
    cpu_pct: float
    packets: int
    expected: int
    p50: float
    p99: float
    max: float
    worst_stream_p99: float
    p99_dev: float
    over_40: int
    tick_late_p99: float | None = None
    tick_work_p99: float | None = None
    gc_max_ms: float = 0.0
    skipped_ticks: int = 0
    preempted: int = 0  # involuntary context switches: the machine's load, not ours

    def line(self) -> str:
        # approximate: the window edges are set by the sender's wall clock
        loss = 100 * max(0, self.expected - self.packets) / max(1, self.expected)
        extra = ""
        if self.tick_late_p99 is not None:
            extra = f"  skipped ticks {self.skipped_ticks}  tick late p99 {self.tick_late_p99:.2f} work p99 {self.tick_work_p99:.2f} ms"
        extra += f"  GC max {self.gc_max_ms:.1f} ms  preempted {self.preempted}x"
        return (
            f"{self.design:5} N={self.calls:<4} CPU {self.cpu_pct:5.1f}%  pkts {self.packets:>7}"
            f" (loss {loss:.2f}%)  gap ms p50 {self.p50:.2f} p99 {self.p99:.2f}"
            f" max {self.max:.1f}  worst-stream p99 {self.worst_stream_p99:.2f}"
            f"  |gap-20| p99 {self.p99_dev:.2f}  >40ms {self.over_40}{extra}"
        )


async def _run(
    design: str, calls: int, seconds: float, conn: Connection, ports: list[int]
) -> Result:
    clock = MediaClock(record=True)
    streams = [await RtpStream.open(clock) for _ in range(calls)]
    rng = np.random.default_rng(1)
    prompt = rng.integers(-8000, 8000, int(8000 * (seconds + 10))).astype(np.int16)
    for i, stream in enumerate(streams):
        stream.play([prompt])
        if design == "clock":
            stream.set_remote("127.0.0.1", ports[i % len(ports)], 0, 101)
    tasks: list[asyncio.Task[None]] = []
    if design == "timer":
        for i, stream in enumerate(streams):
            # Same per-packet work; the remote is set without joining the clock.
            stream._remote = ("127.0.0.1", ports[i % len(ports)])
            tasks.append(asyncio.create_task(_timer_per_call(stream)))
    await asyncio.sleep(1.5)  # warm-up
    conn.send(("reset", time.time()))
    clock.stats.late_ms.clear()
    skipped0 = clock.stats.skipped_ticks
    clock.stats.work_ms.clear()
    gc_pauses = _GcPauses()
    gc.callbacks.append(gc_pauses)
    usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    await asyncio.sleep(seconds)
    usage1, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    gc.callbacks.remove(gc_pauses)
    conn.send(("report", time.time()))
    arrivals: dict[int, np.ndarray] = conn.recv()
    for task in tasks:
        task.cancel()
    for stream in streams:
        stream.close()
    clock.close()
    await asyncio.sleep(0.3)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    gaps_per_stream = [np.diff(np.sort(t)) * 1000 for t in arrivals.values() if t.size > 2]
    gaps = np.concatenate(gaps_per_stream) if gaps_per_stream else np.zeros(1)
    late = clock.stats.late_ms
    work = clock.stats.work_ms
    return Result(
        design=design,
        calls=calls,
        cpu_pct=100 * cpu / (wall1 - wall0),
        packets=int(sum(t.size for t in arrivals.values())),
        expected=int(calls * seconds * 50),
        p50=float(np.percentile(gaps, 50)),
        p99=float(np.percentile(gaps, 99)),
        max=float(gaps.max()),
        worst_stream_p99=max(float(np.percentile(g, 99)) for g in gaps_per_stream),
        p99_dev=float(np.percentile(np.abs(gaps - 20), 99)),
        over_40=int((gaps > 40).sum()),
        tick_late_p99=float(np.percentile(late, 99)) if late else None,
        tick_work_p99=float(np.percentile(work, 99)) if work else None,
        gc_max_ms=gc_pauses.max_ms,
        skipped_ticks=clock.stats.skipped_ticks - skipped0,
        preempted=usage1.ru_nivcsw - usage0.ru_nivcsw,
    )


class _GcPauses:
    """Longest garbage-collector pause, to tell GC stalls from scheduling ones."""

    def __init__(self) -> None:
        self.max_ms = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.max_ms = max(self.max_ms, (time.perf_counter() - self._start) * 1000)


async def _timer_per_call(stream: RtpStream) -> None:
    while True:
        stream.tick(1)
        await asyncio.sleep(0.02)


def _load() -> str:
    with open("/proc/loadavg") as f:
        return "load average " + " ".join(f.read().split()[:3])


def _median(results: list[Result], field: str) -> float:
    return float(np.median([getattr(r, field) for r in results]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[100, 250, 500])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per design and N (medians)")
    parser.add_argument("--one-way", action="store_true", help="the sink does not echo")
    parser.add_argument("--designs", nargs="+", default=["clock", "timer"])
    parser.add_argument("--uvloop", action="store_true", help="run the sender on uvloop")
    parser.add_argument("--nice", type=int, default=0, help="sender niceness (negative: root)")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    sink = ctx.Process(target=_sink_main, args=(child, not args.one_way), daemon=True)
    sink.start()
    ports: list[int] = parent.recv()
    results: list[Result] = []
    if args.nice:
        os.nice(args.nice)
    run: Callable[[Coroutine[None, None, Result]], Result] = asyncio.run
    if args.uvloop:
        import uvloop

        run = uvloop.run
    loop_name = "uvloop" if args.uvloop else "asyncio"
    print(f"sender loop: {loop_name}, nice {os.nice(0)}; {_load()}")
    try:
        for calls in args.calls:
            # designs interleaved, so a burst of load from elsewhere hits both
            for _ in range(args.repeat):
                for design in args.designs:
                    result = run(_run(design, calls, args.seconds, parent, ports))
                    print(result.line(), flush=True)
                    results.append(result)
    finally:
        parent.send(("quit", 0.0))
        sink.join(5)
    print(f"{_load()}")
    print(f"\nmedians over {args.repeat} run(s); ratio = timer / clock")
    for calls in args.calls:
        line = f"  N={calls:<4}"
        by = {d: [r for r in results if r.calls == calls and r.design == d] for d in args.designs}
        for design, runs in by.items():
            if runs:
                line += (
                    f" {design}: CPU {_median(runs, 'cpu_pct'):.0f}% gap p50"
                    f" {_median(runs, 'p50'):.2f} p99 {_median(runs, 'p99'):.2f}"
                    f" max {_median(runs, 'max'):.1f} |gap-20| p99 {_median(runs, 'p99_dev'):.2f};"
                )
        if by.get("clock") and by.get("timer"):
            c, t = by["clock"], by["timer"]
            line += (
                f" ratio p99 {_median(t, 'p99') / _median(c, 'p99'):.2f}x,"
                f" |gap-20| p99 {_median(t, 'p99_dev') / max(_median(c, 'p99_dev'), 1e-3):.1f}x"
            )
        print(line)


if __name__ == "__main__":
    main()
