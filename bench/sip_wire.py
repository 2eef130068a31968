"""SIP call set-ups as the wire saw them: a tcpdump capture of one SIP port, read back.

`Capture(path, host, port)` runs `tcpdump -i lo` on the UDP traffic to and from a SIP
address (RTP excluded: it runs on other ports) into a pcap file, kernel timestamps.
`read_calls(path)` parses the pcap (Ethernet, Linux cooked v1/v2) without any library
and returns, per Call-ID, when the first INVITE, the first 2xx to it and the first ACK
crossed the wire, who sent the INVITE, how many times it was sent (retransmissions:
a lost or unanswered datagram) and any final non-2xx status. Set-up time is the time
between those packets at the far end's address, not any of our own timestamps.
"""

from __future__ import annotations

import math
import re
import struct
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

_LINK_HEADER = {1: 14, 113: 16, 276: 20}  # Ethernet, Linux cooked v1, v2
_CALL_ID = re.compile(rb"^(?:call-id|i)[ \t]*:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
_CSEQ = re.compile(rb"^(?:cseq)[ \t]*:[ \t]*\d+[ \t]+(\w+)", re.IGNORECASE | re.MULTILINE)


@dataclass(slots=True)
class WireCall:
    source: str  # the INVITE's source address
    invite_at: float
    invites: int = 1
    ok_at: float | None = None  # first 2xx to the INVITE
    ack_at: float | None = None
    final: int | None = None  # a final status >= 300, if any


@dataclass(slots=True)
class Capture:
    path: Path
    host: str
    port: int
    proc: subprocess.Popen[bytes] | None = None
    dropped: int | None = None
    _stderr: Path = field(init=False)

    def start(self) -> Capture:
        self._stderr = self.path.with_suffix(".err")
        self.proc = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-n", "-B", "32768", "-s", "0", "-w", str(self.path),
             f"udp and host {self.host} and port {self.port}"],
            stdout=subprocess.DEVNULL, stderr=self._stderr.open("wb"),
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while b"listening on" not in self._stderr.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tcpdump did not start: {self._stderr.read_text()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        time.sleep(0.5)  # the last datagrams
        self.proc.terminate()
        self.proc.wait(timeout=30)
        text = self._stderr.read_text(errors="replace")
        found = re.search(r"(\d+) packets dropped by kernel", text)
        self.dropped = int(found.group(1)) if found else None


def _packets(path: Path) -> list[tuple[float, str, bytes]]:
    """(kernel time, source IPv4, UDP payload) of each packet in a pcap file."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = struct.unpack(endian + "I", data[20:24])[0]
    skip = _LINK_HEADER[link]
    out: list[tuple[float, str, bytes]] = []
    offset = 24
    record = struct.Struct(endian + "IIII")
    while offset + 16 <= len(data):
        sec, frac, caplen, _ = record.unpack_from(data, offset)
        offset += 16
        frame = data[offset : offset + caplen]
        offset += caplen
        ip = frame[skip:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 0x0F) * 4
        src = ".".join(str(b) for b in ip[12:16])
        at = sec + frac / (1e9 if nano else 1e6)
        out.append((at, src, bytes(ip[ihl + 8 :])))
    return out


def read_calls(path: Path) -> dict[bytes, WireCall]:
    calls: dict[bytes, WireCall] = {}
    for at, src, payload in _packets(path):
        call_id = _CALL_ID.search(payload)
        if call_id is None:
            continue
        key = call_id.group(1)
        first_line = payload.split(b"\r\n", 1)[0]
        call = calls.get(key)
        if first_line.startswith(b"INVITE "):
            if call is None:
                calls[key] = WireCall(src, at)
            else:
                call.invites += 1
        elif call is None:
            continue
        elif first_line.startswith(b"ACK ") and call.ack_at is None:
            call.ack_at = at
        elif first_line.startswith(b"SIP/2.0 "):
            cseq = _CSEQ.search(payload)
            if cseq is None or cseq.group(1).upper() != b"INVITE":
                continue
            status = int(first_line.split()[1])
            if 200 <= status < 300 and call.ok_at is None:
                call.ok_at = at
            elif status >= 300 and call.final is None:
                call.final = status
    return calls


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (nan for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class WireFigures:
    calls: int
    rate: float  # first INVITEs per second, first to last
    per_second_min: int  # the fewest and most first INVITEs in a whole second inside the run
    per_second_max: int
    answered: int
    acked: int
    retransmitted: int  # calls whose INVITE was sent more than once
    refused: dict[int, int]  # final statuses >= 300 and how many calls got each
    ok_p50_ms: float  # INVITE → 2xx
    ok_p99_ms: float
    ack_p50_ms: float  # INVITE → ACK (set-up complete at both ends)
    ack_p99_ms: float
    ack_max_ms: float


def figures(calls: list[WireCall]) -> WireFigures:
    starts = sorted(c.invite_at for c in calls)
    rate = (len(starts) - 1) / (starts[-1] - starts[0]) if len(starts) > 1 else math.nan
    buckets: dict[int, int] = {}
    for t in starts:
        second = int(t - starts[0]) if starts else 0
        buckets[second] = buckets.get(second, 0) + 1
    whole = [buckets.get(s, 0) for s in range(0, int(starts[-1] - starts[0]))] if starts else []
    ok = [(c.ok_at - c.invite_at) * 1000 for c in calls if c.ok_at is not None]
    ack = [(c.ack_at - c.invite_at) * 1000 for c in calls if c.ack_at is not None]
    refused: dict[int, int] = {}
    for c in calls:
        if c.final is not None:
            refused[c.final] = refused.get(c.final, 0) + 1
    return WireFigures(
        calls=len(calls),
        rate=rate,
        per_second_min=min(whole, default=0),
        per_second_max=max(whole, default=0),
        answered=len(ok),
        acked=len(ack),
        retransmitted=sum(1 for c in calls if c.invites > 1),
        refused=refused,
        ok_p50_ms=percentile(ok, 50),
        ok_p99_ms=percentile(ok, 99),
        ack_p50_ms=percentile(ack, 50),
        ack_p99_ms=percentile(ack, 99),
        ack_max_ms=max(ack, default=math.nan),
    )
