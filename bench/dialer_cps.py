"""The real dialer at its configured rate: `ringcast serve` + `ringcast dialer` against sipp.

    .venv/bin/python bench/dialer_cps.py [--cps 300] [--seconds 60] [--baseline-seconds 20]
                                         [--profile /tmp/dialer.svg] [--overload]
                                         [--media-workers N|auto] [--hosts OURS,FAR,UAC]

What a user runs, as subprocesses: `ringcast serve --no-dialer` (the HTTP API, SQLite in a
fresh data dir) and `ringcast dialer` (the SIP launcher, its SIP address on 127.0.0.60).
Everything is set up over HTTP like an operator would: `cps x seconds` contacts by CSV
import into an audience, a 1 s tone uploaded as audio, a trunk to the far end (CPS and
channels no tighter than the program's), a DID on it, a flow (dial with AMD off → play the
tone → hang up), a program with `callsPerSecond = --cps`, launched through the API.
The far end is a sipp UAS on 127.0.0.61 (answers at once, echoes RTP with `-rtp_echo`, so
an answered call carries media both ways and is not `no_media`).

Measured at the far end: tcpdump on the UAS's SIP port (kernel timestamps; `sip_wire.py`):
the rate is the calls' first INVITEs per second from the first to the last; set-up time is
INVITE → 200 OK and INVITE → ACK per call, on the wire (p50/p99). sipp's own `-trace_stat`
gives its failed-call count. Failures: calls sipp failed, INVITEs refused or never answered
or never ACKed, retransmitted INVITEs (reported), and any job the API reports not
`completed` (GET /api/program-executions/{id}). The dialer's CPU is read from /proc (share
of one core, user and system, per call), and the dialer's own log says for how long
overload control held new calls (its media clock, or its workers', running late; the
call cap); with `--profile FILE` py-spy (if installed) samples it for the whole run
(`.svg` a flame graph, `.json` speedscope, `.txt` collapsed stacks for scripts;
`--profile-gil`: only while it holds the GIL, its Python CPU rather than its waits).
`--hosts` moves the three addresses to another loopback block.

Baseline, warm, same run, same UAS and capture, before the dialer: sipp's own UAC on
127.0.0.62 at `--cps` with the same call length (1 s), counted the same way; the ratios
dialer/baseline are printed. Goal (issue 19): the dialer's rate within 2 % of `--cps`,
every call completed, 0 failed, INVITE → 200 OK p99 < 250 ms and INVITE → ACK p99 <
250 ms; exit status 1 when missed. `--overload` instead checks "no collapse" above what
the box sustains: 0 failed and no retransmission storm (< 1 % of INVITEs retransmitted),
whatever rate is reached. sipp runs on the same (shared) cores as the dialer: write the
load average (printed) beside any figure.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from sip_wire import Capture, WireCall, WireFigures, figures, read_calls

OURS, FAR, BASE_UAC = "127.0.0.60", "127.0.0.61", "127.0.0.62"
GOAL_P99_MS = 250.0
# py-spy's output by the profile's suffix: speedscope JSON, collapsed stacks (one line per
# stack and its sample count, for grep and scripts), else an SVG flame graph
PROFILE_FORMATS = {".json": "speedscope", ".txt": "raw"}
DID = "+212522000001"

UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answer at once, echo RTP">
  <recv request="INVITE" crlf="true"/>
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
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]></send>
  <recv request="ACK" crlf="true"/>
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


def set_hosts(ours: str, far: str, base_uac: str) -> None:
    """Another loopback block (`--hosts`), e.g. when other runs share the box."""
    global OURS, FAR, BASE_UAC
    OURS, FAR, BASE_UAC = ours, far, base_uac


def free_port(host: str, kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> tuple[float, float]:
    """The process's (user, system) CPU seconds so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def tone_wav(seconds: float = 1.0) -> bytes:
    rate, out = 8000, io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = (
            int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(rate * seconds))
        )
        w.writeframes(b"".join(struct.pack("<h", s) for s in frames))
    return out.getvalue()


def phones(n: int) -> list[str]:
    """n distinct valid Moroccan mobile numbers (+2126…)."""
    return [f"+2126{10_000_000 + i * 7:08d}" for i in range(n)]


def stop(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, wait_s: float = 60) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Stack:
    """The API server and (later) the dialer, in one fresh data dir."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = {
            **os.environ,
            "RINGCAST_DATA_DIR": str(work / "data"),
            "RINGCAST_RATE_LIMIT_PER_SECOND": "100000",
            "RINGCAST_RATE_LIMIT_BURST": "100000",
            "RINGCAST_SIP_LOCAL_HOST": OURS,
            "RINGCAST_SIP_PORT": str(free_port(OURS)),
        }
        self.ringcast = [sys.executable, "-m", "ringcast.cli.main"]
        subprocess.run([*self.ringcast, "db", "upgrade"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        self.key = subprocess.run(
            [*self.ringcast, "keys", "create", "--org", "bench", "--name", "bench", "-q"],
            env=self.env, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        port = free_port("127.0.0.1", socket.SOCK_STREAM)
        self.api = subprocess.Popen(
            [*self.ringcast, "serve", "--no-dialer", "--port", str(port)], env=self.env,
            stdout=(work / "api.log").open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"x-api-key": self.key}, timeout=60
        )
        for _ in range(300):
            try:
                self.http.get("/health")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        self.dialer: subprocess.Popen[bytes] | None = None

    def call(self, method: str, path: str, expect: int, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        if r.status_code != expect:
            raise SystemExit(f"{method} {path}: {r.status_code} {r.text[:800]}")
        return r.json()

    def seed(self, n: int, cps: float, far_port: int) -> str:
        """Contacts, audience, audio, trunk, DID, flow and program; returns the program id."""
        audience = self.call("POST", "/api/audience", 201, json={"name": "bench"})["id"]
        csv = "primaryPhone,firstName\n" + "".join(f"{p},C{i}\n" for i, p in enumerate(phones(n)))
        job = self.call("POST", "/api/contact/import", 202, data={"audienceId": audience},
                        files={"file": ("c.csv", csv.encode(), "text/csv")})  # fmt: skip
        while job["status"] in ("pending", "running"):
            time.sleep(0.5)
            job = self.call("GET", f"/api/contact/import/{job['id']}", 200)
        if job["status"] != "completed" or job["createdCount"] != n:
            raise SystemExit(f"import: {job}")
        audio = self.call("POST", "/api/audio-management/upload", 201, data={"title": "tone"},
                          files={"file": ("tone.wav", tone_wav(), "audio/wav")})["id"]  # fmt: skip
        trunk = self.call("POST", "/api/trunks", 201, json={
            "name": "sipp", "host": FAR, "port": far_port, "maxChannels": 5000,
            "callsPerSecond": max(cps, 1000), "optionsIntervalSec": 0})["id"]  # fmt: skip
        self.call("POST", "/api/dids", 201, json={"number": DID, "country": "MA", "trunkId": trunk})
        graph = {
            "startNodeId": "dial",
            "nodes": [
                {"id": "dial", "type": "dial", "config": {"timeout": 30000, "enableAMD": False},
                 "outputs": {"onAnswer": "play", "default": "bye"}},
                {"id": "play", "type": "play",
                 "config": {"audioItems": [{"type": "audioFile", "audioId": audio}]},
                 "outputs": {"onComplete": "bye", "default": "bye"}},
                {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
            ],
        }  # fmt: skip
        flow = self.call("POST", "/api/flows", 201, json={"name": "tone", "graph": graph})["id"]
        return str(self.call("POST", "/api/programs", 201, json={
            "name": "bench", "audienceId": audience, "flowId": flow, "didPool": [DID],
            "retryStrategy": {"type": "none"}, "callsPerSecond": cps,
            "maxConcurrentCalls": 10000})["id"])  # fmt: skip

    def start_dialer(self, profile: Path | None, gil: bool = False) -> None:
        log = (self.work / "dialer.log").open("wb")
        self.dialer = subprocess.Popen([*self.ringcast, "dialer"], env=self.env, stdout=log,
                                       stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 60
        while b"running (Ctrl-C to stop)" not in (self.work / "dialer.log").read_bytes():
            if self.dialer.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("ringcast dialer did not start:\n" + self.dialer_log()[-3000:])
            time.sleep(0.1)
        time.sleep(1.0)  # its trunk agents started
        self.profiler: subprocess.Popen[bytes] | None = None
        if profile is not None:
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            if Path(spy).exists():
                self.profiler = subprocess.Popen(
                    [spy, "record", "--nonblocking", "-p", str(self.dialer.pid), "-o", str(profile), "-r", "50",
                     "-f", PROFILE_FORMATS.get(profile.suffix, "flamegraph"),
                     *(["--gil"] if gil else [])],
                    stdout=subprocess.DEVNULL, stderr=(self.work / "py-spy.log").open("wb"),
                )  # fmt: skip
            else:
                print("py-spy not installed: no profile (pip install py-spy)")

    def dialer_log(self) -> str:
        return (self.work / "dialer.log").read_text(errors="replace")

    def close(self) -> None:
        if self.dialer is not None:
            if getattr(self, "profiler", None) is not None:
                stop(self.profiler, signal.SIGINT)  # type: ignore[arg-type]
            stop(self.dialer)
        stop(self.api)
        self.http.close()


def start_uas(work: Path, port: int, media_port: int) -> subprocess.Popen[bytes]:
    (work / "uas.xml").write_text(UAS)
    proc = subprocess.Popen(
        ["sipp", "-sf", str(work / "uas.xml"), "-i", FAR, "-p", str(port), "-mi", FAR,
         "-mp", str(media_port), "-rtp_echo", "-nostdin", "-timeout", "3600s",
         "-buff_size", "8388608", "-max_recv_loops", "10000", "-default_behaviors", "all,-abortunexp",
         "-trace_stat", "-stf", str(work / "uas-stat.csv"), "-fd", "1"],
        cwd=work, stdout=subprocess.DEVNULL, stderr=(work / "uas.err").open("wb"),
    )  # fmt: skip
    time.sleep(0.5)
    if proc.poll() is not None:
        raise SystemExit(f"sipp UAS exited: {(work / 'uas.err').read_text()[-2000:]}")
    return proc


def sipp_failed(work: Path) -> int:
    lines = (work / "uas-stat.csv").read_text().splitlines()
    if len(lines) < 2:
        return -1
    header, last = lines[0].split(";"), lines[-1].split(";")
    return int(last[header.index("FailedCall(C)")])


def run_baseline(work: Path, port: int, cps: float, seconds: float) -> None:
    n = int(cps * seconds)
    subprocess.run(
        ["sipp", "-sn", "uac", f"{FAR}:{port}", "-i", BASE_UAC, "-p", str(free_port(BASE_UAC)),
         "-r", f"{cps:g}", "-m", str(n), "-d", "1000", "-nostdin", "-timeout", "600s",
         "-buff_size", "8388608"],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def show(name: str, f: WireFigures) -> None:
    print(f"{name}: {f.calls} calls at {f.rate:7.2f} CPS (per whole second {f.per_second_min}"
          f"-{f.per_second_max}); answered {f.answered}, ACKed {f.acked}, INVITE retransmitted "
          f"in {f.retransmitted}, refused {f.refused or 0}; INVITE->200 p50 {f.ok_p50_ms:.1f} / "
          f"p99 {f.ok_p99_ms:.1f} ms; INVITE->ACK p50 {f.ack_p50_ms:.1f} / p99 "
          f"{f.ack_p99_ms:.1f} / max {f.ack_max_ms:.1f} ms")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cps", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=20)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument(
        "--profile-gil",
        action="store_true",
        help="sample only while the dialer holds the GIL: its Python CPU, not its waits",
    )
    parser.add_argument("--overload", action="store_true")
    parser.add_argument(
        "--media-workers",
        default="auto",
        help="RINGCAST_MEDIA_WORKERS for the dialer (default: the product's, auto: one per core)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, pcap)")
    parser.add_argument(
        "--hosts",
        default=",".join((OURS, FAR, BASE_UAC)),
        help="loopback addresses: the dialer's, the sipp UAS's, the baseline UAC's",
    )
    args = parser.parse_args()
    set_hosts(*args.hosts.split(","))
    for tool in ("sipp", "tcpdump"):
        if shutil.which(tool) is None:
            print(f"{tool} not installed", file=sys.stderr)
            return 2
    n = int(args.cps * args.seconds)
    work = Path(tempfile.mkdtemp(prefix="dialer-cps-"))
    far_port, media_port = free_port(FAR), free_port(FAR)
    stack = Stack(work)
    stack.env["RINGCAST_MEDIA_WORKERS"] = args.media_workers
    uas: subprocess.Popen[bytes] | None = None
    capture = Capture(work / "sip.pcap", FAR, far_port)
    try:
        t0 = time.perf_counter()
        program = stack.seed(n, args.cps, far_port)
        print(f"seeded {n} contacts over HTTP in {time.perf_counter() - t0:.1f} s")
        uas = start_uas(work, far_port, media_port)
        capture.start()
        load_base = loadavg()
        run_baseline(work, far_port, args.cps, args.baseline_seconds)
        time.sleep(2.0)
        stack.start_dialer(args.profile, args.profile_gil)
        assert stack.dialer is not None
        pid = stack.dialer.pid
        cpu0, load_before = cpu_seconds(pid), loadavg()
        launched = stack.call("POST", f"/api/programs/{program}/launch", 201)["executionId"]
        t_launch = time.perf_counter()
        deadline = t_launch + args.seconds * 3 + 120
        execution: dict[str, Any] = {}
        api_errors: list[str] = []  # the API failing while the dialer runs is a failure too
        while time.perf_counter() < deadline:
            time.sleep(1.0)
            r = stack.http.get(f"/api/program-executions/{launched}")
            if r.status_code != 200:
                api_errors.append(f"{r.status_code} {r.text[:200]}")
                continue
            execution = r.json()
            if execution["status"] not in ("running", "scheduled"):
                break
        wall = time.perf_counter() - t_launch
        user, system = (b - a for a, b in zip(cpu0, cpu_seconds(pid), strict=True))
        cpu = user + system
        load_after = loadavg()
        time.sleep(1.0)
    finally:
        stack.close()
        capture.stop()
        if uas is not None:
            stop(uas, signal.SIGINT, 10)
    calls = list(read_calls(capture.path).values())
    base = figures([c for c in calls if c.source == BASE_UAC])
    ours_calls: list[WireCall] = [c for c in calls if c.source == OURS]
    ours = figures(ours_calls)
    failed_at_sipp = sipp_failed(work)
    print(
        f"set to {args.cps:g} CPS, {n} calls, media workers {args.media_workers}; load average "
        f"{load_base} (before baseline), "
        f"{load_before} (dialer start), {load_after} (end); capture drops: {capture.dropped}"
    )
    show(f"baseline sipp UAC -> sipp ({args.baseline_seconds:g} s)", base)
    show("ringcast dialer -> sipp", ours)
    print(
        f"dialer CPU {cpu:.1f} s (user {user:.1f}, system {system:.1f}) over {wall:.1f} s = "
        f"{100 * cpu / wall:.0f} % of one core, {1000 * cpu / max(ours.calls, 1):.2f} ms per "
        f"call; "
        f"execution {execution.get('status')}: completed {execution.get('contactsCompleted')}, "
        f"failed {execution.get('contactsFailed')}, pending {execution.get('contactsPending')}, "
        f"in progress {execution.get('contactsInProgress')}; sipp failed calls {failed_at_sipp}"
    )
    held = re.search(r"overload control held new calls for ([\d.]+) s", stack.dialer_log())
    print(f"overload control (a media clock late, the call cap) held new calls for "
          f"{held.group(1) if held else '?'} s of the {wall:.0f} s")  # fmt: skip
    print(f"ratio dialer/baseline: rate {ours.rate / base.rate:.3f}, INVITE->ACK p99 "
          f"{ours.ack_p99_ms / base.ack_p99_ms:.2f}x")  # fmt: skip
    off = abs(ours.rate - args.cps) / args.cps
    unanswered = ours.calls - ours.answered + (ours.answered - ours.acked)
    failed = (failed_at_sipp != 0) + unanswered + sum(ours.refused.values()) + len(api_errors)
    failed += int(execution.get("contactsFailed") or 0)  # e.g. no_media, node_stalled
    if api_errors:
        print(f"API errors while the dialer ran: {len(api_errors)}, first: {api_errors[0]}")
    all_done = execution.get("contactsCompleted") == n and ours.calls == n
    if args.overload:
        storm = ours.retransmitted > 0.01 * max(ours.calls, 1)
        ok = failed == 0 and all_done and not storm
        print(
            f"overload: {ours.rate:.0f} CPS reached, retransmitted {ours.retransmitted}, "
            f"failed {failed}: {'no collapse' if ok else 'COLLAPSE or failures'}"
        )
    else:
        ok = (off <= 0.02 and failed == 0 and all_done and ours.ok_p99_ms < GOAL_P99_MS
              and ours.ack_p99_ms < GOAL_P99_MS)  # fmt: skip
        print(f"goal: rate within 2 % (off {off * 100:.2f} %), 0 failed ({failed}), all "
              f"{n} completed ({all_done}), set-up p99 < {GOAL_P99_MS:.0f} ms: "
              f"{'OK' if ok else 'MISSED'}")  # fmt: skip
    if args.keep or not ok:
        print(f"work dir kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
