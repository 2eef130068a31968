"""What SRTP costs: per packet, per call, and for concurrent calls on vs off in one run.

    .venv/bin/python bench/srtp.py [--calls 100] [--seconds 5] [--packets 20000]

1. Per packet: `SrtpPair.protect` + `unprotect` of a 172-byte G.711 RTP packet (20 ms,
   PCMU) for both suites, and SRTCP for a sender report, in microseconds (libsrtp
   through pylibsrtp; best of 5 runs).
2. Per call: a call sends and receives 50 packets a second, so its SRTP cost per
   call-second is 50 * (protect + unprotect), shown also as a share of one core
   and for a 60 s call.
3. Concurrent calls: N calls on loopback, each two `RtpStream`s playing a prompt at
   each other (both directions protected and unprotected, the in-band DTMF detector
   off as in a flow that waits for no key), driven by one `MediaClock`, for the given
   seconds, once with SRTP off and once on, in this one process. Printed: CPU time of
   the process per call-second, packets received, authentication failures, the media
   clock's p99 and worst lateness, and the ratio of CPU on/off.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import time

import numpy as np

from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.srtp import SUITES, SrtpKey, SrtpPair
from ringcast.telephony.media.stream import RtpStream

HOST = "127.0.0.53"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def per_packet(suite: str, packets: int) -> tuple[float, float, float]:
    """Best-of-5 microseconds for protect, unprotect (RTP) and protect+unprotect (RTCP)."""
    best = [float("inf")] * 3
    payload = bytes(range(160))
    rtcp = bytes([0x80, 200, 0, 6]) + bytes(24)
    for _ in range(5):
        a, b = SrtpKey.generate(suite), SrtpKey.generate(suite)
        ours, theirs = SrtpPair(a, b), SrtpPair(b, a)
        plain = [
            bytes([0x80, 0, (i >> 8) & 0xFF, i & 0xFF]) + i.to_bytes(4, "big") + bytes(4) + payload
            for i in range(packets)
        ]
        t0 = time.perf_counter()
        wire = [ours.protect(p) for p in plain]
        t1 = time.perf_counter()
        for w in wire:
            theirs.unprotect(w)
        t2 = time.perf_counter()
        for _ in range(packets // 10):
            theirs.unprotect_rtcp(ours.protect_rtcp(rtcp))
        t3 = time.perf_counter()
        for i, value in enumerate(
            ((t1 - t0) / packets, (t2 - t1) / packets, (t3 - t2) / (packets // 10))
        ):
            best[i] = min(best[i], value * 1e6)
    return best[0], best[1], best[2]


async def concurrent(calls: int, seconds: float, srtp: bool) -> dict[str, float]:
    clock = MediaClock(record=True)
    streams: list[RtpStream] = []
    prompt = (np.sin(np.arange(8000 * 30) * 0.05) * 8000).astype(np.int16)
    try:
        for _ in range(calls):
            left = await RtpStream.open(clock, HOST)
            right = await RtpStream.open(clock, HOST)
            if srtp:
                a, b = SrtpKey.generate(SUITES[0]), SrtpKey.generate(SUITES[0])
                left.set_srtp(SrtpPair(a, b))
                right.set_srtp(SrtpPair(b, a))
            left.set_remote(HOST, right.local_port, 0, None)
            right.set_remote(HOST, left.local_port, 0, None)
            left.play([prompt])
            right.play([prompt])
            streams += [left, right]
        await asyncio.sleep(1.0)  # settle: every stream sending and latched
        clock.stats.late_ms.clear()
        received0 = sum(s.stats.packets_received for s in streams)
        sent0 = sum(s.stats.packets_sent for s in streams)
        skipped0 = clock.stats.skipped_ticks
        gc.collect()
        cpu0, wall0 = _cpu(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu, wall = _cpu() - cpu0, time.perf_counter() - wall0
        received = sum(s.stats.packets_received for s in streams) - received0
        sent = sum(s.stats.packets_sent for s in streams) - sent0
        late = sorted(clock.stats.late_ms) or [0.0]
        return {
            "cpu_s": cpu,
            "cpu_pct": 100 * cpu / wall,
            "us_per_call_s": 1e6 * cpu / (calls * wall),
            "received": received,
            "sent": sent,
            "skipped_ticks": clock.stats.skipped_ticks - skipped0,
            "send_errors": sum(s.stats.send_errors for s in streams),
            "expected": 2 * calls * 50 * wall,
            "failed": sum(s.stats.srtp_failed for s in streams),
            "late_p99_ms": late[int(0.99 * (len(late) - 1))],
            "late_max_ms": late[-1],
        }
    finally:
        for s in streams:
            s.close()
        clock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--packets", type=int, default=20000)
    args = parser.parse_args()

    print("1. per packet (172-byte PCMU RTP; SRTCP: a 32-byte SR), best of 5")
    costs = {}
    for suite in SUITES:
        protect, unprotect, rtcp = per_packet(suite, args.packets)
        costs[suite] = protect + unprotect
        print(f"   {suite}: protect {protect:.2f} us, unprotect {unprotect:.2f} us, "
              f"SRTCP protect+unprotect {rtcp:.2f} us")  # fmt: skip
    print("2. per call (50 packets/s each way: 50 protects + 50 unprotects a second)")
    for suite, both in costs.items():
        per_s = 50 * both
        print(f"   {suite}: {per_s:.0f} us per call-second ({per_s / 1e4:.3f} % of a core), "
              f"{60 * per_s / 1000:.1f} ms CPU for a 60 s call; "
              f"1000 calls: {per_s * 1000 / 1e4:.1f} % of a core")  # fmt: skip
    print(f"3. {args.calls} concurrent calls (two streams each), {args.seconds:.0f} s, one clock")
    results = {}
    for srtp in (False, True):
        r = asyncio.run(concurrent(args.calls, args.seconds, srtp))
        results[srtp] = r
        print(f"   SRTP {'on ' if srtp else 'off'}: CPU {r['cpu_pct']:.1f} % "
              f"({r['us_per_call_s']:.0f} us per call-second), sent {r['sent']:.0f} "
              f"(of {r['expected']:.0f} on time; ticks skipped {r['skipped_ticks']:.0f}, "
              f"send errors {r['send_errors']:.0f}), received {r['received']:.0f}, "
              f"auth failures {r['failed']:.0f}, "
              f"clock late p99 {r['late_p99_ms']:.1f} ms max {r['late_max_ms']:.1f} ms")  # fmt: skip
    ratio = results[True]["cpu_s"] / max(results[False]["cpu_s"], 1e-9)
    extra = results[True]["us_per_call_s"] - results[False]["us_per_call_s"]
    print(f"   ratio CPU on/off: {ratio:.2f} (+{extra:.0f} us per call-second with SRTP)")


if __name__ == "__main__":
    main()
