"""Concurrent two-way G.711 calls in one process, sipp (`uas_load`) as the far end.

For each N in `--calls` (default 100 250 500): sipp answers N calls and streams a
looped greeting into each; we dial them through `SipChannel` (20 calls at a time),
play a long prompt on every call and, for `--seconds`, measure:
- CPU of our process (percent of one core);
- outbound pacing from the shared media clock: gaps between consecutive ticks (each
  tick sends one packet per call), p50 / p99 / max in ms; and tick work time;
- packets received per call per second (should be ~50).
Baseline, same run: the same clock with N silent streams and no SIP or inbound media
(`--seconds` long), i.e. the pacing floor of this machine under the current load.

    .venv/bin/python bench/concurrent_calls.py [--calls 100 250 500] [--seconds 10]

Goal (issue 6): 500 calls with outbound p99 < 10 ms (read as the pacing error,
|gap - 20 ms|; the spike with a timer per call had gap p99 24 ms at 200 calls).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ringcast.telephony.channel import Answered, DialFailed, DialRequest
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import RtpStream
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


def free_port() -> int:
    for _ in range(200):
        port = random.randrange(15800, 15890, 2)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def jitter_ms(gaps: list[float], period_ms: int = 20) -> list[float]:
    """How far each gap is from the 20 ms period (the pacing error)."""
    return [abs(g - period_ms) for g in gaps]


def gaps_ms(clock: MediaClock) -> list[float]:
    late = clock.stats.late_ms
    return [clock.period_ms + b - a for a, b in itertools.pairwise(late)]


async def baseline(n: int, seconds: float) -> list[float]:
    """The same clock with n streams sending silence to a sink: the pacing floor."""
    clock = MediaClock(record=True)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    streams = [await RtpStream.open(clock) for _ in range(n)]
    for s in streams:
        s.set_remote("127.0.0.1", sink.getsockname()[1], 0, 101)
    await asyncio.sleep(1)
    clock.stats.late_ms.clear()
    await asyncio.sleep(seconds)
    result = gaps_ms(clock)
    for s in streams:
        s.close()
    clock.close()
    sink.close()
    return result


async def run(n: int, seconds: float, workdir: Path) -> None:
    scenario = workdir / "uas_load.xml"
    scenario.write_text(UAS.format(greeting=GREETING))
    port = free_port()
    sipp = subprocess.Popen(
        ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
         "-mp", "50000", "-m", str(n), "-nostdin", "-default_behaviors", "all,-abortunexp",
         "-buff_size", "4194304", "-timeout", "180s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir,
    )  # fmt: skip
    time.sleep(0.3)
    clock = MediaClock(record=True)
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=port))
    streams: list[RtpStream] = []

    async def open_media() -> MediaStream:
        stream = await RtpStream.open(clock)
        streams.append(stream)
        return stream

    channels = [SipChannel(ua, open_media, inband_dtmf=False) for _ in range(n)]
    prompt = (np.sin(2 * np.pi * 440 * np.arange(8000 * 120) / 8000) * 6000).astype(np.int16)
    answered = 0
    for i in range(0, n, 20):
        batch = channels[i : i + 20]
        for ch in batch:
            await ch.dial(DialRequest(to="1000", from_="bench", enable_amd=False))
        for ch in batch:
            event = await asyncio.wait_for(ch.next_event(), 20)
            if isinstance(event, Answered):
                answered += 1
                await ch.play([prompt])
            elif isinstance(event, DialFailed):
                print("  dial failed:", event)
    await asyncio.sleep(1)
    clock.stats.late_ms.clear()
    clock.stats.work_ms.clear()
    received0 = sum(s.stats.packets_received for s in streams)
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - t0) * 100
    rx_rate = (
        (sum(s.stats.packets_received for s in streams) - received0) / seconds / max(answered, 1)
    )
    gaps = gaps_ms(clock)
    work = clock.stats.work_ms
    for ch in channels:
        await ch.hangup()
    await asyncio.sleep(1.5)
    ua.close()
    clock.close()
    try:
        rc = sipp.wait(20)
    except subprocess.TimeoutExpired:
        sipp.kill()
        rc = sipp.wait()
    base = await baseline(n, min(seconds, 5))
    print(
        f"{n:4d} calls ({answered} up): CPU {cpu:5.1f}%  gap p50 {pct(gaps, 50):5.1f} "
        f"p99 {pct(gaps, 99):5.1f} max {max(gaps, default=float('nan')):5.1f} ms  "
        f"(|gap-20| p99 {pct(jitter_ms(gaps), 99):4.1f})  tick work p99 {pct(work, 99):4.1f} ms  "
        f"rx {rx_rate:4.1f} pkt/s/call  sipp rc={rc}"
    )
    print(
        f"      baseline (clock only, {n} silent streams): gap p99 {pct(base, 99):5.1f} "
        f"max {max(base, default=float('nan')):5.1f} ms  -> p99 ratio "
        f"{pct(gaps, 99) / pct(base, 99):.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[100, 250, 500])
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.calls:
            asyncio.run(run(n, args.seconds, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
