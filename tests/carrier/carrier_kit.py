"""Helpers for the carrier tests (fixtures in conftest.py): Kamailio as the carrier, and `ringcast dialer` as the process a user runs.

`kamailio` (module-scoped: one Kamailio per test module, CI time) runs our
`kamailio.cfg.tmpl` on 127.0.0.2 with a free port (`start_kamailio`; tests/secure
starts one on other addresses with its TLS module as well): digest auth (401/407),
registrar, record-route, 403 "Register First"; it relays our calls to the "PSTN"
peer at 127.0.0.3:`pstn_port` (sipp or baresip, started by the test) and the PSTN
peer's calls to whoever registered as `ringcast`. `dialer_process` starts
`ringcast dialer` on the test's database with a fixed SIP port of its own.
"""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KAMAILIO_HOST = "127.0.0.2"
PSTN_HOST = "127.0.0.3"
ACCOUNT = "ringcast"
PASSWORD = "carrier-s3cret"
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
TEMPLATE = Path(__file__).with_name("kamailio.cfg.tmpl")


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on `host`."""
    for _ in range(200):
        port = random.randrange(20000, 40000)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind((host, port))
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port")


def sip_options(
    host: str, port: int, timeout_s: float = 1.0, source: str = "127.0.0.1"
) -> str | None:
    """Send one OPTIONS over UDP from `source`; the status line of the answer, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.settimeout(timeout_s)
        me = s.getsockname()[1]
        msg = (
            f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {source}:{me};branch=z9hG4bK{random.getrandbits(40):x}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@{source}>;tag={random.getrandbits(32):x}\r\n"
            f"To: <sip:{host}:{port}>\r\n"
            f"Call-ID: probe-{random.getrandbits(48):x}\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        s.sendto(msg.encode(), (host, port))
        try:
            data = s.recv(4096)
        except OSError:
            return None
        return data.split(b"\r\n", 1)[0].decode()


@dataclass
class Kamailio:
    proc: subprocess.Popen[bytes]
    host: str
    port: int
    pstn_port: int
    log_path: Path
    tls_port: int | None = None  # with its TLS module (KamailioTls)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def trunk(self, **over: Any) -> dict[str, Any]:
        """The POST /api/trunks body for this carrier."""
        body = {
            "name": "kamailio",
            "host": self.host,
            "port": self.port,
            "username": ACCOUNT,
            "password": PASSWORD,
            "register": True,
            "registerExpiresSec": 30,
        }
        return {**body, **over}


@dataclass(frozen=True)
class KamailioTls:
    """Kamailio's TLS module: a `tls:` listener with this certificate chain and key
    (it verifies nobody: the tests check *our* verification of *it*)."""

    cert_file: Path
    key_file: Path


def config_text(
    port: int,
    pstn_port: int,
    max_expires: int,
    host: str = KAMAILIO_HOST,
    pstn_host: str = PSTN_HOST,
    tls: tuple[KamailioTls, int, Path] | None = None,
) -> str:
    """The config; `tls` = (certificate, TLS port, the tls.cfg file to write)."""
    passwords = f'\tif ($au == "{ACCOUNT}") {{\n\t\t$var(pw) = "{PASSWORD}";\n\t}}'
    tls_listen = tls_module = ""
    if tls is not None:
        cert, tls_port, tls_cfg = tls
        side = (
            "method = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n"
            f"private_key = {cert.key_file}\ncertificate = {cert.cert_file}\n"
        )
        tls_cfg.write_text(f"[server:default]\n{side}\n[client:default]\n{side}")
        # connections it opens leave from its own address (our trunk match is by source)
        tls_listen = f"enable_tls=yes\nlisten=tls:{host}:{tls_port}\ntcp_source_ipv4={host}"
        tls_module = f'loadmodule "tls.so"\nmodparam("tls", "config", "{tls_cfg}")'
    fields = {
        "HOST": host,
        "PORT": str(port),
        "MPATH": MODULES,
        "MAX_EXPIRES": str(max_expires),
        "PSTN_HOST": pstn_host,
        "PSTN_PORT": str(pstn_port),
        "INBOUND_ACCOUNT": ACCOUNT,
        "DOMAIN": host,
        "PASSWORDS": passwords,
        "TLS_LISTEN": tls_listen,
        "TLS_MODULE": tls_module,
    }
    text = TEMPLATE.read_text()
    for name, value in fields.items():
        text = text.replace(f"@{name}@", value)
    return text


def start_kamailio(
    work: Path,
    host: str = KAMAILIO_HOST,
    pstn_host: str = PSTN_HOST,
    tls: KamailioTls | None = None,
    max_expires: int = 4,
) -> Kamailio:
    """Kamailio on `host` (free ports), answering OPTIONS; a few tries at free ports."""
    for _ in range(3):
        port, pstn_port = free_port(host), free_port(pstn_host)
        tls_port = free_port(host) if tls is not None else None
        cfg = work / "kamailio.cfg"
        with_tls = (tls, tls_port, work / "tls.cfg") if tls and tls_port else None
        cfg.write_text(config_text(port, pstn_port, max_expires, host, pstn_host, with_tls))
        log_path = work / "kamailio.log"
        args = ["kamailio", "-f", str(cfg), "-DD", "-E", "-m", "32", "-M", "8",
                "-Y", str(work), "-P", str(work / "kamailio.pid")]  # fmt: skip
        with log_path.open("wb") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        kam = Kamailio(proc, host, port, pstn_port, log_path, tls_port)
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            if sip_options(host, port, 0.3) == "SIP/2.0 200 OK":
                break
        if proc.poll() is None and time.monotonic() < deadline:
            return kam
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    raise AssertionError(f"Kamailio did not start\n{log_path.read_text()[-3000:]}")


@dataclass
class DialerProcess:
    proc: subprocess.Popen[bytes]
    sip_port: int
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout_s: float = 30) -> int:
        """SIGTERM, as a service manager does; the exit status."""
        code = terminate(self.proc, timeout_s)
        assert code is not None, f"dialer did not stop\n{self.log[-3000:]}"
        return code


def terminate(proc: subprocess.Popen[bytes], timeout_s: float = 10) -> int | None:
    """SIGTERM, then SIGKILL after `timeout_s`: the exit status, None if it was killed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
