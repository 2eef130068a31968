"""Concurrent two-way G.711 calls: RTP in the dialer's loop vs in media workers, one run.

For each N in `--calls` (default 1500), twice in the same run — `loop` (every stream
on this process's event loop, today's default) and `workers` (`MediaWorkers`, one
process per core, `--workers`): sipp (`uas_load`, on 127.0.0.82) answers N calls and
streams a looped greeting into each; we dial them through `SipChannel` (50 at a time)
and play a long prompt on every call. Then for `--seconds` our RTP towards sipp is
captured by tcpdump on loopback (kernel timestamps: measured at the far end, not by
our own loop) and read afterwards, per stream (SSRC):
- jitter p99 (ms): per packet, |arrival spacing - RTP timestamp spacing| (RFC 3550
  §6.4.1's D), over all streams: how far packets stray from the sender's own 20 ms
  timeline (the raw inter-arrival gap is 20 ms when all is well, so its p99 cannot be
  compared with a 10 ms goal; it is printed too, p50 / p99 / max);
- frames never sent: RTP timestamps advance 160 a frame even across skipped ticks,
  so (last ts - first ts) / 160 + 1 - packets seen is what the far end never got;
- calls that failed to set up;
- CPU of our side (the dialer process plus its workers; % of one core) and the frames
  on the wire per CPU-second of our side (efficiency, steadier than latency on a
  shared box);
- memory per call: resident memory (VmRSS) of our side at steady state minus before
  the first call, over the calls (the shared prompt, held once per process, included).
sipp's own inbound RTP to us makes the calls two-way (latched by our streams).
The load average is printed next to every figure: the box is shared.

    .venv/bin/python bench/concurrent_calls.py [--calls 1500] [--seconds 10] [--workers 2]

Goal (issue 19): 1,500 calls with the workers: jitter p99 < 10 ms, 0 frames never sent,
0 failed; exit status 1 when missed (benches are not run by CI). The ratio printed is
loop / workers for jitter p99 and never-sent frames.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ringcast.telephony.channel import Answered, DialFailed, DialRequest
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import RtpStream
from ringcast.telephony.media.workers import MediaWorkers
from ringcast.telephony.sip import TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import MediaStream, SipChannel

ROOT = Path(__file__).resolve().parents[1]
GREETING = ROOT / "tests/telephony/sipp/assets/callee_human.ulaw"
UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uas_load">
  <recv request="INVITE"/>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP4 [media_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [rtpstream_audio_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
  ]]></send>
  <recv request="ACK"/>
  <nop><action><exec rtp_stream="{greeting},-1,0"/></action></nop>
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
</scenario>
"""


SIPP_HOST, OUR_HOST = "127.0.0.82", "127.0.0.81"  # helper mw's loopback range
JITTER_P99_GOAL_MS = 10.0


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f}"


def rss_kb(pids: list[int]) -> int:
    """Resident memory of these processes (kB), from /proc."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(
            (int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS:")), 0
        )
    return total


def cpu_s(pids: list[int]) -> float:
    """utime + stime of these processes (seconds), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


@dataclass
class Wire:
    """What the capture saw of our RTP."""

    streams: int
    packets: int
    never_sent: int
    gaps_ms: np.ndarray
    capture_drops: str
    jitter_ms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """|D| of RFC 3550 §6.4.1 per packet pair: arrival spacing minus RTP timestamp spacing
    (ms), i.e. how far each packet strays from the sender's own timeline (0 on a perfect
    20 ms clock; a frame skipped over silence costs nothing, a burst of catch-up frames
    does)"""
    span_s: float = 0.0  # first to last packet seen


def read_capture(path: Path, sip_port: int) -> Wire:
    """Per SSRC: arrival gaps and frames never sent, from a pcap of RTP to sipp."""
    data = path.read_bytes()
    if len(data) < 24:
        return Wire(0, 0, 0, np.zeros(0), "")
    link = struct.unpack_from("<I", data, 20)[0]
    l2 = {1: 14, 113: 16, 0: 4}.get(link, 14)
    per: dict[int, list[tuple[float, int]]] = {}
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, _orig = struct.unpack_from("<IIII", data, off)
        pkt = data[off + 16 : off + 16 + incl]
        off += 16 + incl
        ip = l2
        if len(pkt) < ip + 20 + 8 + 12:
            continue
        ihl = (pkt[ip] & 0x0F) * 4
        udp = ip + ihl
        dport = int.from_bytes(pkt[udp + 2 : udp + 4], "big")
        if dport == sip_port or pkt[udp + 8] >> 6 != 2 or 200 <= pkt[udp + 9] <= 204:
            continue  # SIP, not RTP, or RTCP
        rtp = udp + 8
        ts, ssrc = struct.unpack_from("!II", pkt, rtp + 4)
        per.setdefault(ssrc, []).append((sec + usec / 1e6, ts))
    gaps: list[np.ndarray] = []
    jitter: list[np.ndarray] = []
    never = packets = 0
    first, last = float("inf"), 0.0
    for seen in per.values():
        if len(seen) < 2:
            continue
        arrivals = np.array([a for a, _ in seen])
        first, last = min(first, arrivals[0]), max(last, arrivals[-1])
        stamps = np.array([t for _, t in seen], dtype=np.int64)
        span = (stamps[-1] - stamps[0]) % (1 << 32)
        never += max(0, int(span // 160) + 1 - len(seen))
        packets += len(seen)
        gaps.append(np.diff(arrivals) * 1000)
        spacing = ((np.diff(stamps) + (1 << 31)) % (1 << 32) - (1 << 31)) / 8  # ms, signed
        jitter.append(np.abs(gaps[-1] - spacing))
    all_gaps = np.concatenate(gaps) if gaps else np.zeros(0)
    all_jitter = np.concatenate(jitter) if jitter else np.zeros(0)
    return Wire(
        len(per), packets, never, all_gaps, "", span_s=max(0.0, last - first), jitter_ms=all_jitter
    )


async def run(n: int, seconds: float, workdir: Path, workers_n: int) -> dict[str, float]:
    mode = "workers" if workers_n else "loop"
    scenario = workdir / "uas_load.xml"
    scenario.write_text(UAS.format(greeting=GREETING))
    port = free_port(SIPP_HOST)
    sipp = subprocess.Popen(
        ["sipp", "-sf", str(scenario), "-i", SIPP_HOST, "-p", str(port), "-mi", SIPP_HOST,
         "-mp", "50000", "-m", str(n), "-nostdin", "-default_behaviors", "all,-abortunexp",
         "-buff_size", "4194304", "-timeout", "300s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir,
    )  # fmt: skip
    time.sleep(0.5)
    clock = MediaClock()
    pool = await MediaWorkers.start(workers_n) if workers_n else None
    ua = await UserAgent.start(TrunkConfig(host=SIPP_HOST, port=port, local_host=OUR_HOST))

    async def open_media() -> MediaStream:
        if pool is not None:
            return await pool.open_stream(OUR_HOST)
        return await RtpStream.open(clock, OUR_HOST)

    opener: Callable[[], Awaitable[MediaStream]] = open_media
    if pool is not None:  # each worker up (imports done) before the baseline memory
        ready = [await pool.open_stream(OUR_HOST) for _ in range(workers_n)]
        for stream in ready:
            stream.close()
        await asyncio.wait_for(asyncio.gather(*(s.final for s in ready)), 30)
    rss0 = rss_kb([os.getpid(), *([w.proc.pid for w in pool.workers] if pool else [])])
    channels = [SipChannel(ua, opener, inband_dtmf=False) for _ in range(n)]
    prompt = (np.sin(2 * np.pi * 440 * np.arange(8000 * 300) / 8000) * 6000).astype(np.int16)
    answered = failed = 0
    for i in range(0, n, 50):
        batch = channels[i : i + 50]
        for ch in batch:
            await ch.dial(DialRequest(to="1000", from_="bench", enable_amd=False))
        for ch in batch:
            try:
                event = await asyncio.wait_for(ch.next_event(), 30)
            except TimeoutError:
                failed += 1
                continue
            if isinstance(event, Answered):
                answered += 1
                await ch.play([prompt])
            elif isinstance(event, DialFailed):
                failed += 1
    await asyncio.sleep(2)
    pcap = workdir / f"{mode}.pcap"
    # a 256 MB capture buffer holds ~10 s of 1,500 calls' RTP even if tcpdump itself is
    # starved of CPU (media workers at realtime priority): with 16 MB it dropped 800k
    # packets, which looked like frames never sent (the kernel stamps packets as they
    # are sent, so a late reader does not move the timestamps)
    dump = subprocess.Popen(
        ["tcpdump", "-i", "lo", "-s", "64", "-B", "262144", "-w", str(pcap), "-U",
         f"udp and dst host {SIPP_HOST} and src host {OUR_HOST}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    await asyncio.sleep(1)
    pids = [os.getpid(), *([w.proc.pid for w in pool.workers] if pool else [])]
    cpu0, t0, load_then = cpu_s(pids), time.perf_counter(), load()
    await asyncio.sleep(seconds)
    cpu = (cpu_s(pids) - cpu0) / (time.perf_counter() - t0) * 100
    per_call_kb = (rss_kb(pids) - rss0) / max(1, answered)
    dump.terminate()
    _, err = dump.communicate(timeout=30)
    drops = next((ln for ln in err.decode().splitlines() if "dropped by kernel" in ln), "")
    if drops and not drops.startswith("0 "):  # what tcpdump missed looks never sent
        drops += " (never sent is then an upper bound)"
    for ch in channels:
        await ch.hangup()
    await asyncio.sleep(2)
    ua.close()
    clock.close()
    if pool is not None:
        await pool.close()
    try:
        sipp.wait(30)
    except subprocess.TimeoutExpired:
        sipp.kill()
        sipp.wait()
    wire = read_capture(pcap, port)
    pcap.unlink()
    gaps, jitter = wire.gaps_ms, wire.jitter_ms
    p50, p99 = (float(np.percentile(gaps, q)) for q in (50, 99)) if len(gaps) else (0.0, 0.0)
    j99 = float(np.percentile(jitter, 99)) if len(jitter) else 0.0
    sent_share = wire.never_sent / max(1, wire.never_sent + wire.packets) * 100
    print(
        f"{mode:>7} {n:5d} calls ({answered} up, {failed} failed): wire jitter p99 {j99:6.1f} ms"
        f"  gap p50 {p50:5.1f} p99 {p99:6.1f} max {gaps.max() if len(gaps) else 0:7.1f} ms  never sent "
        f"{wire.never_sent} ({sent_share:.2f} %)  streams seen {wire.streams}  CPU {cpu:5.1f}%  "
        f"{wire.packets / max(wire.span_s, 1e-9) / max(cpu / 100, 1e-9):,.0f} frames per CPU-s  RSS {per_call_kb:.0f} kB "
        f"per call  [{load_then}] capture: {drops or 'no drop line'}",
        flush=True,
    )
    return {"p99": j99, "never": float(wire.never_sent), "failed": float(failed + n - answered)}


def _in_child(n: int, seconds: float, workers_n: int) -> dict[str, float]:
    """`run` in a new process: each mode starts from the same, clean memory."""
    command = [sys.executable, __file__, "--seconds", str(seconds), "--one", str(n), str(workers_n)]
    out = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout
    lines = out.strip().splitlines()
    print("\n".join(lines[:-1]), flush=True)
    result: dict[str, float] = json.loads(lines[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1500])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--workers-only", action="store_true", help="skip the loop run (no ratio printed)"
    )
    parser.add_argument("--one", type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    ok = True
    if args.one is not None:  # one run in this fresh process (its memory figure is its own)
        n, workers_n = args.one
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(asyncio.run(run(n, args.seconds, Path(tmp), workers_n))))
        return 0
    for n in args.calls:
        loop = None if args.workers_only else _in_child(n, args.seconds, 0)
        work = _in_child(n, args.seconds, args.workers)
        if loop is not None:
            ratio = loop["p99"] / work["p99"] if work["p99"] else float("nan")
            print(
                f"        {n} calls: loop / workers jitter p99 ratio {ratio:.2f}; never sent "
                f"{loop['never']:.0f} vs {work['never']:.0f}  [{load()}]"
            )
        met = work["p99"] < JITTER_P99_GOAL_MS and work["never"] == 0 and work["failed"] == 0
        print(f"        goal (workers: jitter p99 < {JITTER_P99_GOAL_MS} ms, 0 never sent, 0 failed): "
              f"{'OK' if met else 'MISSED'}")  # fmt: skip
        ok = ok and met
    return 0 if ok else 1


if __name__ == "__main__":
    random.seed()
    sys.exit(main())
