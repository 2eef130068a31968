"""SIP call set-up rate over TLS vs TCP, in one run, against Kamailio (TLS module).

Kamailio answers every INVITE itself at once (200 with SDP, stateless) and every
other request 200, on a TCP and a TLS listener; certificates come from a throwaway CA
(trustme). Our user agent places `--calls` calls (INVITE → 200 → ACK, BYE → 200),
`--concurrency` in flight, four ways: over one reused connection (what a dialer does:
TLS costs only record encryption) and with a fresh connection per call (TLS pays a
full handshake and certificate check each time), each over TCP and over TLS. Prints
set-ups per second (the best of `--rounds` interleaved rounds) and the ratio TLS / TCP
of each.

    .venv/bin/python bench/tls_setup.py [--calls 2000] [--concurrency 20] [--rounds 3]

Needs kamailio and kamailio-tls-modules (scripts/test.sh installs them).
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
from collections import Counter
from pathlib import Path

import trustme

from ringcast.telephony.sdp import build_sdp
from ringcast.telephony.sip import CallAnswered, CallFailed, TrunkConfig, UserAgent
from ringcast.telephony.sip.transport import TlsClient

sys.path.insert(0, str(Path(__file__).parent))
from sip_cps import set_up

HOST = "127.0.0.46"
NAME = "bench.carrier.test"
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
CONFIG = r"""#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=2
tcp_children=2
auto_aliases=no
enable_tls=yes
listen=tcp:@HOST@:@TCP@
listen=tls:@HOST@:@TLS@
mpath="@MPATH@"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "tls.so"
modparam("tls", "config", "@TLSCFG@")

request_route {
	if (is_method("ACK")) {
		exit;
	}
	if (is_method("INVITE")) {
		append_to_reply("Contact: <sip:$Ri:$Rp;transport=$pr>\r\n");
		set_reply_body("v=0\r\no=k 1 1 IN IP4 @HOST@\r\ns=-\r\nc=IN IP4 @HOST@\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", "application/sdp");
	}
	sl_send_reply("200", "OK");
}
"""


def free_port() -> int:
    for _ in range(200):
        port = random.randrange(20000, 40000)
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def start_kamailio(work: Path, ca: trustme.CA) -> tuple[subprocess.Popen[bytes], int, int]:
    cert = ca.issue_cert(NAME)
    chain, key = work / "cert.pem", work / "key.pem"
    chain.write_bytes(b"".join(p.bytes() for p in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(key))
    side = (
        f"method = TLSv1.2+\nverify_certificate = no\nprivate_key = {key}\ncertificate = {chain}\n"
    )
    (work / "tls.cfg").write_text(f"[server:default]\n{side}\n[client:default]\n{side}")
    tcp, tls = free_port(), free_port()
    text = CONFIG
    for name, value in {"HOST": HOST, "TCP": str(tcp), "TLS": str(tls), "MPATH": MODULES,
                        "TLSCFG": str(work / "tls.cfg")}.items():  # fmt: skip
        text = text.replace(f"@{name}@", value)
    (work / "k.cfg").write_text(text)
    proc = subprocess.Popen(
        ["kamailio", "-f", str(work / "k.cfg"), "-DD", "-E", "-m", "64", "-M", "16",
         "-Y", str(work), "-P", str(work / "k.pid")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, tls), 0.2).close()
            return proc, tcp, tls
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("kamailio did not start")


async def run(
    config: TrunkConfig, calls: int, concurrency: int, fresh: bool
) -> tuple[float, Counter[str]]:
    """(set-ups per second, failures by reason): one agent for all calls, or one per call."""
    shared = None if fresh else await UserAgent.start(config)
    sdp = build_sdp("127.0.0.1", 40000, 1, 1)
    answered = 0
    failed: Counter[str] = Counter()
    remaining = calls

    async def one() -> None:
        nonlocal answered
        ua = shared or await UserAgent.start(config)
        call, event = await set_up(ua, sdp)
        if isinstance(event, CallAnswered):
            answered += 1
            call.hangup()
        elif isinstance(event, CallFailed):
            failed[event.reason] += 1
        if shared is None:
            await asyncio.sleep(0.05)  # the BYE leaves before the connection closes
            ua.close()

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    await asyncio.sleep(0.5)
    if shared is not None:
        shared.close()
    return answered / elapsed, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="best of N (a shared CPU is noisy)")
    args = parser.parse_args()
    if shutil.which("kamailio") is None or not Path(MODULES, "tls.so").exists():
        print("kamailio with its TLS module is not installed", file=sys.stderr)
        return 2
    ca = trustme.CA()
    with tempfile.TemporaryDirectory() as tmp:
        proc, tcp_port, tls_port = start_kamailio(Path(tmp), ca)
        try:
            tcp = TrunkConfig(host=HOST, port=tcp_port, transport="tcp")
            tls = TrunkConfig(
                host=HOST, port=tls_port, transport="tls",
                tls=TlsClient(ca_pem=ca.cert_pem.bytes().decode(), server_name=NAME),
            )  # fmt: skip
            results: dict[tuple[str, bool], tuple[float, Counter[str]]] = {}
            for _ in range(args.rounds):  # interleaved; the best round of each counts
                for fresh in (False, True):
                    calls = args.calls if not fresh else max(args.calls // 4, 50)
                    for name, config in (("TCP", tcp), ("TLS", tls)):
                        cps, failures = asyncio.run(run(config, calls, args.concurrency, fresh))
                        best, failed_so_far = results.get((name, fresh), (0.0, Counter()))
                        results[name, fresh] = (max(best, cps), failed_so_far + failures)
        finally:
            proc.terminate()
            proc.wait(10)
    failed = 0
    for fresh, label in ((False, "one reused connection"), (True, "a new connection per call")):
        (tcp_cps, tcp_failed), (tls_cps, tls_failed) = results["TCP", fresh], results["TLS", fresh]
        failed += tcp_failed.total() + tls_failed.total()
        print(f"{label:26}: TCP {tcp_cps:7.1f} CPS ({tcp_failed.total()} failed)   "
              f"TLS {tls_cps:7.1f} CPS ({tls_failed.total()} failed)   "
              f"ratio TLS/TCP {tls_cps / tcp_cps:.2f}")  # fmt: skip
        for reason, count in (tcp_failed + tls_failed).items():
            print(f"    failed: {count} x {reason}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
