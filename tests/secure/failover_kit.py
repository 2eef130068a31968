"""sipp carriers on 127.0.0.6x for the trunk-group tests: a UAS per trunk, its
INVITEs counted from its own message log (`-trace_msg`)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UAS_503 = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier that is out of service">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 {code} {phrase}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <recv request="ACK"/>
</scenario>
"""


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class Carrier:
    proc: subprocess.Popen[bytes]
    host: str
    port: int
    workdir: Path

    @property
    def messages(self) -> str:
        path = self.workdir / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def received(self, method: str) -> int:
        """Requests of `method` sipp received (its message log)."""
        return len(re.findall(rf"^{method} sip:", self.messages, flags=re.MULTILINE))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _raise_priority() -> None:
    with contextlib.suppress(OSError):  # not root: sipp runs at the usual priority
        os.nice(-10)


def carrier(
    workdir: Path, host: str, scenario: str | None = None, *extra: str, timing: bool = False
) -> Carrier:
    """A sipp UAS on `host`: `scenario` XML (or sipp's built-in `uas`). `timing`: sipp
    runs at a higher CPU priority, so the times in its log are when INVITEs arrived and
    not when a busy host let sipp read them (a loaded CI box stamps bursts otherwise)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port(host)
    source = ["-sn", "uas"]
    if scenario is not None:
        (workdir / "uas.xml").write_text(scenario)
        source = ["-sf", str(workdir / "uas.xml")]
    proc = subprocess.Popen(
        ["sipp", *source, "-i", host, "-p", str(port), "-mi", host, "-mp", str(free_port(host)),
         "-nostdin", "-timeout", "120s", "-trace_msg", "-message_file",
         str(workdir / "messages.log"), *extra],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=_raise_priority if timing else None,
    )  # fmt: skip
    time.sleep(0.3)
    return Carrier(proc, host, port, workdir)


async def add_trunk(api: Any, name: str, c: Carrier, **fields: Any) -> str:
    body = {"name": name, "host": c.host, "port": c.port, **fields}
    r = await api.client.post("/api/trunks", json=body, headers=api.acme.headers())
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def set_group(api: Any, numbers: list[str], group: list[dict[str, Any]]) -> None:
    h = api.acme.headers()
    listed = (await api.client.get("/api/dids?limit=100", headers=h)).json()
    for did in listed["data"]:
        if did["number"] in numbers:
            r = await api.client.put(
                f"/api/dids/{did['id']}", json={"trunkGroup": group}, headers=h
            )
            assert r.status_code == 200, r.text
