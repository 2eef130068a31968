"""Live calls while the API is hammered: RTP gaps measured at the far end.

`ringcast serve` (the product as a user starts it: API + its dialer) calls N
sipp callees through a trunk built over the HTTP API; each call plays a prompt
of `--prompt-s` seconds and hangs up, while sipp streams audio back (two-way RTP).
tcpdump captures what arrives at sipp's media address; per call, the gaps
between consecutive RTP packets from us are measured there, at the receiver,
not from our own send timestamps. Two phases in one run, the same N calls each:

- quiet: nothing else happens;
- loaded: meanwhile the API gets 30-44 MB JSON bodies on /api/contact/upsert, a
  CSV with 400,000 header columns, 20 parallel audio uploads and list calls at
  the rate limit, for the prompt's length plus 10 s (then the load stops).

Printed per phase: packets, inter-arrival gap p50 / p99 / max (ms), frames
missing (expected from each call's span at 50/s, minus received), calls that
stalled (ended node_stalled / max_duration, or outlasted the prompt by 10 s),
the loaded/quiet ratio, and how long /health took under the load (the API's own
latency; the calls' media runs in the dialer child and is what the goal is about). Goal (issue 21): loaded p99 < 30 ms, max < 200 ms,
0 stalled calls; exit status 1 when missed.

    .venv/bin/python bench/realtime_under_load.py [--calls 200] [--prompt-s 20]

Needs sipp and tcpdump (root, or CAP_NET_RAW) on PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np
from concurrent_calls import GREETING, UAS, free_port

ROOT = Path(__file__).resolve().parents[1]
RINGCAST = [sys.executable, "-m", "ringcast.cli.main"]
SIPP_HOST = "127.0.0.3"  # the callees (SIP and media)
OUR_HOST = "127.0.0.1"
MEDIA_PORT = 40000
GOAL_P99_MS, GOAL_MAX_MS = 30.0, 200.0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def prompt_wav(seconds: float) -> bytes:
    t = np.arange(int(8000 * seconds)) / 8000
    pcm = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(pcm.tobytes())
    return buffer.getvalue()


def ok(response: httpx.Response) -> dict:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else {}


async def build(client: httpx.AsyncClient, calls: int, sip_port: int, prompt_s: float) -> tuple:
    trunk = ok(
        await client.post(
            "/api/trunks",
            json={
                "name": "sipp",
                "host": SIPP_HOST,
                "port": sip_port,
                "transport": "udp",
                "maxChannels": calls,
                "callsPerSecond": 50,
                "isDefault": True,
                "optionsIntervalSec": 0,
            },
        )
    )  # fmt: skip (sipp answers no OPTIONS)
    ok(await client.post("/api/dids", json={"number": "+33100000001", "country": "FR",
                                            "status": "active", "trunkId": trunk["id"]}))  # fmt: skip
    audio = ok(await client.post(
        "/api/audio-management/upload",
        files={"file": ("prompt.wav", prompt_wav(prompt_s), "audio/wav")},
        data={"title": "long prompt", "usageType": "prompt"}))  # fmt: skip
    graph = {"startNodeId": "d", "nodes": [
        {"id": "d", "type": "dial", "config": {"timeout": 10000, "enableAMD": False},
         "outputs": {"onAnswer": "p"}},
        {"id": "p", "type": "play", "config": {"audioItems": [
            {"type": "audioFile", "audioId": audio["id"]}]}, "outputs": {"onComplete": "bye"}},
        {"id": "bye", "type": "hangup", "config": {"reason": "done"}, "outputs": {}}]}  # fmt: skip
    flow = ok(await client.post("/api/flows", json={"name": "prompt", "graph": graph}))
    return flow["id"]


async def prepare(client: httpx.AsyncClient, flow_id: str, phase: str, calls: int) -> str:
    """A program over `calls` fresh contacts, ready to launch; returns its id."""
    base = 33600000000 if phase == "quiet" else 33610000000
    phones = {f"+{base + i}" for i in range(calls)}
    result = ok(await client.post("/api/contact/upsert",
                                  json={"data": [{"primaryPhone": p} for p in phones]}))  # fmt: skip
    if result.get("failed"):
        raise RuntimeError(f"contacts refused: {result['failed'][:3]}")
    audience = ok(await client.post("/api/audience", json={"name": phase}))
    ids: list[str] = []
    page = 1
    while True:
        listing = ok(await client.get("/api/contact", params={"page": page, "limit": 100}))
        ids += [c["id"] for c in listing["data"] if c["primaryPhone"] in phones]
        if not listing["meta"]["hasNextPage"]:
            break
        page += 1
    ok(await client.post(f"/api/audience/{audience['id']}/add-contacts", json={"contacts": ids}))
    program = ok(await client.post("/api/programs", json={
        "name": phase, "audienceId": audience["id"], "flowId": flow_id,
        "didPool": ["+33100000001"], "retryStrategy": {"type": "none"},
        "maxConcurrentCalls": calls, "callsPerSecond": 50}))  # fmt: skip
    return str(program["id"])


async def probe_health(url: str, latencies: list[float]) -> None:
    """/health once a second: how long the API makes a liveness check wait under the load."""
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        while True:
            started = time.monotonic()
            with contextlib.suppress(httpx.HTTPError):
                await client.get("/health")
            latencies.append((time.monotonic() - started) * 1000)
            await asyncio.sleep(1)


async def wait_done(client: httpx.AsyncClient, execution_id: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            status = ok(await client.get(f"/api/program-executions/{execution_id}"))["status"]
        except httpx.TimeoutException:
            continue  # the API is still digesting the load; ask again
        if status in ("completed", "cancelled", "stopped"):
            return
        await asyncio.sleep(1)
    raise RuntimeError(f"execution {execution_id} not done in {timeout_s:.0f} s")


async def hammer(
    url: str, key: str, stop: asyncio.Event, workdir: Path, done: dict[str, int]
) -> None:
    """What an API user (or attacker) may send: huge bodies, a wide CSV, uploads, lists."""
    headers = {"x-api-key": key}
    big = json.dumps({"data": [{"primaryPhone": "+33612345678", "firstName": "x" * 200,
                                "customAttributes": {"note": "y" * 300}}] * 70_000}).encode()  # fmt: skip
    wide = workdir / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(400_000)) + "\n")
    wav = prompt_wav(5)

    async def loop(name: str, send) -> None:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
            while not stop.is_set():
                try:
                    await send(client)
                    done[name] = done.get(name, 0) + 1
                except httpx.HTTPError:
                    done[f"{name} errors"] = done.get(f"{name} errors", 0) + 1

    async def upsert(c: httpx.AsyncClient) -> None:
        await c.post("/api/contact/upsert", content=big,
                     headers={"content-type": "application/json"})  # fmt: skip

    async def csv_import(c: httpx.AsyncClient) -> None:
        await c.post("/api/contact/import", files={"file": ("wide.csv", wide.read_bytes())})

    async def upload(c: httpx.AsyncClient) -> None:
        await c.post("/api/audio-management/upload", files={"file": ("a.wav", wav, "audio/wav")},
                     data={"title": "load", "usageType": "prompt"})  # fmt: skip

    async def listing(c: httpx.AsyncClient) -> None:
        await c.get("/api/contact", params={"limit": 100})

    tasks = [loop("upsert 40 MB", upsert), loop("csv 400k columns", csv_import)]
    tasks += [loop("audio upload", upload) for _ in range(20)]
    tasks += [loop("list", listing) for _ in range(4)]
    await asyncio.gather(*tasks)


def capture_gaps(pcap: Path) -> dict[str, list[float]]:
    """Arrival times (s) at sipp of each of our RTP streams (one source port per call),
    read back by tcpdump itself."""
    text = subprocess.run(["tcpdump", "-r", str(pcap), "-tt", "-n", "-q"],
                          capture_output=True, text=True).stdout  # fmt: skip
    arrivals: dict[str, list[float]] = defaultdict(list)
    for line in text.splitlines():
        parts = line.split()
        # 1700000000.123456 IP 127.0.0.1.40002 > 127.0.0.3.6000: UDP, length 172
        if len(parts) < 5 or parts[1] != "IP" or not parts[4].startswith(f"{SIPP_HOST}."):
            continue
        arrivals[parts[2]].append(float(parts[0]))
    return arrivals


def media_stats(arrivals: dict[str, list[float]]) -> dict[str, float]:
    gaps: list[float] = []
    missing = 0
    for times in arrivals.values():
        if len(times) < 50:  # a stray packet (SIP on another port, a far end's probe)
            continue
        times.sort()
        diffs = np.diff(np.asarray(times)) * 1000
        gaps += diffs.tolist()
        expected = round((times[-1] - times[0]) / 0.020) + 1
        missing += max(0, expected - len(times))
    return {"streams": float(sum(len(t) >= 50 for t in arrivals.values())),
            "packets": float(sum(len(t) for t in arrivals.values())),
            "p50": pct(gaps, 50), "p99": pct(gaps, 99), "max": max(gaps, default=float("nan")),
            "missing": float(missing)}  # fmt: skip


async def stalled(client: httpx.AsyncClient, execution_id: str, prompt_s: float) -> int:
    text = (await client.post("/api/call-report/export", json={"executionId": execution_id})).text
    bad = 0
    for row in csv.DictReader(io.StringIO(text)):
        too_long = int(row["durationMs"] or 0) > (prompt_s + 10) * 1000
        if row["outcomeReason"] in ("node_stalled", "max_duration") or too_long:
            bad += 1
    return bad


async def phase(name, client, url, key, program_id, args, sip_port, workdir) -> dict[str, float]:
    pcap = workdir / f"{name}.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-B", "262144", "-w", str(pcap), "-n",
                             "udp", "and", "dst", "host", SIPP_HOST, "and", "not", "port",
                             str(sip_port)], stderr=subprocess.DEVNULL)  # fmt: skip
    await asyncio.sleep(1.5)
    launched = ok(await client.post(f"/api/programs/{program_id}/launch"))
    execution_id = launched["executionId"]
    sent: dict[str, int] = {}
    health: list[float] = []
    if name == "loaded":
        await asyncio.sleep(min(5.0, args.prompt_s / 3))  # the calls are up: now hammer
        stop = asyncio.Event()
        load = asyncio.create_task(hammer(url, key, stop, workdir, sent))
        probe = asyncio.create_task(probe_health(url, health))
        await asyncio.sleep(args.prompt_s + 10)  # every call plays its prompt under load
        for task in (load, probe):
            task.cancel()  # requests still in flight are abandoned, not awaited
            with contextlib.suppress(asyncio.CancelledError):
                await task
    await wait_done(client, execution_id, args.prompt_s * 4 + 300)
    dump.terminate()
    dump.wait()
    stats = media_stats(capture_gaps(pcap))
    stats["stalled"] = float(await stalled(client, execution_id, args.prompt_s))
    execution = ok(await client.get(f"/api/program-executions/{execution_id}"))
    stats["contacts"] = float(execution.get("totalContacts") or 0)
    print(f"{name:>7}: {stats['contacts']:.0f} contacts, {stats['streams']:.0f} streams, {stats['packets']:.0f} packets, gap p50 "
          f"{stats['p50']:.1f} / p99 {stats['p99']:.1f} / max {stats['max']:.1f} ms, "
          f"{stats['missing']:.0f} frames missing, {stats['stalled']:.0f} stalled calls"
          + (f"; API requests answered meanwhile: {sent}" if sent else "")
          + (f"; /health p50 {pct(health, 50):.0f} / max {max(health):.0f} ms" if health else ""))  # fmt: skip
    return stats


async def main(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="rt-load-"))
    env = {**os.environ, "RINGCAST_DATA_DIR": str(workdir / "data"),
           "RINGCAST_SIP_LOCAL_HOST": OUR_HOST, "RINGCAST_SIP_PORT": str(free_port(OUR_HOST)),
           "RINGCAST_RATE_LIMIT_PER_SECOND": "50", "RINGCAST_RATE_LIMIT_BURST": "100"}  # fmt: skip
    key = subprocess.run([*RINGCAST, "keys", "create", "--org", "bench", "--name", "b", "-q"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    with (workdir / "serve.log").open("w") as serve_log:
        api_port = free_port(OUR_HOST) + 1
        serve = subprocess.Popen([*RINGCAST, "serve", "--port", str(api_port)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=serve_log)  # fmt: skip
        sip_port = free_port(SIPP_HOST)
        scenario = workdir / "uas.xml"
        scenario.write_text(UAS.format(greeting=GREETING))
        sipp = subprocess.Popen(
            ["sipp", "-sf", str(scenario), "-i", SIPP_HOST, "-p", str(sip_port), "-mi", SIPP_HOST,
             "-mp", str(MEDIA_PORT), "-nostdin", "-default_behaviors", "all,-abortunexp",
             "-buff_size", "4194304", "-max_socket", "4096"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)  # fmt: skip
        url = f"http://127.0.0.1:{api_port}"
        try:
            fresh = httpx.Limits(max_keepalive_connections=0)  # no stale keep-alive races
            async with httpx.AsyncClient(
                base_url=url, headers={"x-api-key": key}, timeout=120, limits=fresh
            ) as c:
                for _ in range(120):
                    try:
                        if (await c.get("/health")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.5)
                flow_id = await build(c, args.calls, sip_port, args.prompt_s)
                programs = {
                    p: await prepare(c, flow_id, p, args.calls) for p in ("quiet", "loaded")
                }
                quiet = await phase(
                    "quiet", c, url, key, programs["quiet"], args, sip_port, workdir
                )
                loaded = await phase(
                    "loaded", c, url, key, programs["loaded"], args, sip_port, workdir
                )
        finally:
            for proc in (serve, sipp):
                proc.terminate()  # serve stops its dialer child first (calls may finish)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(f"loaded / quiet: gap p99 {loaded['p99'] / quiet['p99']:.2f}x, "
          f"max {loaded['max'] / quiet['max']:.2f}x")  # fmt: skip
    met = (loaded["p99"] < GOAL_P99_MS and loaded["max"] < GOAL_MAX_MS
           and loaded["stalled"] == 0 and quiet["stalled"] == 0
           and loaded["streams"] >= args.calls * 0.99)  # fmt: skip
    print(f"goal (loaded p99 < {GOAL_P99_MS:.0f} ms, max < {GOAL_MAX_MS:.0f} ms, 0 stalled, "
          f"every call streamed): {'MET' if met else 'MISSED'}")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--prompt-s", type=float, default=20.0)
    sys.exit(asyncio.run(main(parser.parse_args())))
