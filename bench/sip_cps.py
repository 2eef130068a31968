"""Call set-up rate of our user agent against a sipp UAS that answers at once.

Each call: INVITE (with SDP) → 100 → 200 → ACK, then BYE → 200. We keep
`--concurrency` calls in flight until `--calls` have been set up, and report
set-ups per second (an answered INVITE is one set-up) and the number that failed.
Baseline, same run, same machine: sipp's own UAC against a second sipp UAS with the
same scenario (`-sn uac -d 0`), run flat out; the ratio is ours / sipp's.

    .venv/bin/python bench/sip_cps.py [--calls 3000] [--concurrency 20]

Goal (issue 6): ≥ 200 CPS with zero failed set-ups.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ringcast.telephony.sdp import build_sdp
from ringcast.telephony.sip import CallAnswered, CallEvent, CallFailed, TrunkConfig, UserAgent
from ringcast.telephony.sip.call import SipCall

UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="answer at once">
  <recv request="INVITE"/>
  <send><![CDATA[
      SIP/2.0 100 Trying
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
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
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
  ]]></send>
  <recv request="ACK"/>
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
        port = random.randrange(15700, 15790, 2)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def start_uas(workdir: Path, calls: int) -> tuple[subprocess.Popen[bytes], int]:
    scenario = workdir / "uas.xml"
    scenario.write_text(UAS)
    port = free_port()
    proc = subprocess.Popen(
        ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
         "-m", str(calls), "-nostdin", "-default_behaviors", "all,-abortunexp",
         "-buff_size", "4194304",
         "-timeout", "120s", "-trace_err", "-error_file", str(workdir / f"uas{port}.err")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir,
    )  # fmt: skip
    time.sleep(0.3)
    return proc, port


async def set_up(ua: UserAgent, sdp: bytes, timeout_s: float = 10) -> tuple[SipCall, CallEvent]:
    """Place one call; the call and how its INVITE ended (answered, or failed/timed out)."""
    call = ua.new_call("1000", "bench")
    done: asyncio.Future[CallEvent] = asyncio.get_running_loop().create_future()

    def listen(event: CallEvent) -> None:
        if isinstance(event, CallAnswered | CallFailed) and not done.done():
            done.set_result(event)

    call.listener = listen
    call.start_invite(sdp)
    try:
        return call, await asyncio.wait_for(done, timeout_s)
    except TimeoutError:
        return call, CallFailed(None, "timeout")


async def run_ours(port: int, calls: int, concurrency: int) -> tuple[float, int, int, float]:
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=port))
    sdp = build_sdp("127.0.0.1", 40000, 1, 1)
    failed = answered = 0
    remaining = calls

    async def one() -> None:
        nonlocal failed, answered
        call, event = await set_up(ua, sdp)
        if isinstance(event, CallAnswered):
            answered += 1
            call.hangup()
        else:
            failed += 1

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one()

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    await asyncio.sleep(1.0)  # let the last BYEs complete
    ua.close()
    return elapsed, answered, failed, cpu


def run_sipp_baseline(workdir: Path, calls: int, concurrency: int) -> tuple[float, int]:
    uas, port = start_uas(workdir, calls)
    t0 = time.perf_counter()
    uac = subprocess.run(
        ["sipp", "-sn", "uac", "-d", "0", "-i", "127.0.0.1", "-p", str(free_port()),
         "-m", str(calls), "-l", str(concurrency), "-r", "100000", "-nostdin",
         "-timeout", "120s", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    try:
        uas.wait(30)
    except subprocess.TimeoutExpired:
        uas.kill()
        uas.wait()
    return elapsed, uac.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("sipp") is None:
        print("sipp not installed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        uas, port = start_uas(work, args.calls)
        elapsed, answered, failed, cpu = asyncio.run(run_ours(port, args.calls, args.concurrency))
        try:
            uas_rc = uas.wait(60)
        except subprocess.TimeoutExpired:
            uas.kill()
            uas_rc = uas.wait()
        base_elapsed, base_rc = run_sipp_baseline(work, args.calls, args.concurrency)
    ours = answered / elapsed
    baseline = args.calls / base_elapsed
    print(f"ringcast UA : {answered} set-ups, {failed} failed, {elapsed:.2f} s "
          f"-> {ours:.0f} CPS (process CPU {cpu:.2f} s, sipp UAS rc={uas_rc})")  # fmt: skip
    print(
        f"sipp UAC    : {args.calls} calls, {base_elapsed:.2f} s -> {baseline:.0f} CPS (rc={base_rc})"
    )
    print(f"ratio ours/sipp: {ours / baseline:.2f}   goal: >= 200 CPS, 0 failed -> "
          f"{'MET' if ours >= 200 and failed == 0 else 'NOT MET'}")  # fmt: skip
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
