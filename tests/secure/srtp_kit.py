"""SRTP test kit: baresip as an SRTP peer on 127.0.0.52, a tcpdump capture of the
loopback, and what a test needs to say no clear payload crossed it.

Our side binds 127.0.0.51, the peers 127.0.0.52 (both on lo: no set-up needed), so
a capture filtered on our address sees exactly the call's packets.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import numpy as np

from ringcast.audio.g711 import ulaw_encode
from support import require_tool, unavailable
from telephony.sip.test_baresip import RATE, Baresip, write_wav

OURS = "127.0.0.51"
PEER = "127.0.0.52"
DTMF = {"5": (770, 1336), "9": (852, 1477)}


def dtmf(digit: str, ms: int = 120, level: float = 0.2) -> np.ndarray:
    t = np.arange(RATE * ms // 1000) / RATE
    low, high = DTMF[digit]
    tone = np.sin(2 * np.pi * low * t) + np.sin(2 * np.pi * high * t)
    return (tone * level * 32767).astype(np.int16)


def silence(ms: int) -> np.ndarray:
    return np.zeros(RATE * ms // 1000, dtype=np.int16)


def free_port_block(host: str, width: int) -> int:
    for base in range(15700, 15990, width):
        try:
            for port in range(base, base + width):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.bind((host, port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no free UDP ports on {host}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a peer (killed after 5 s) and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def start_baresip(
    home: Path,
    mic: np.ndarray,
    mediaenc: str | None,
    dial: str | None = None,
    user: str = "bob",
    host: str = PEER,
    sip_port: int | None = None,
) -> Baresip:
    """baresip on `host` (SIP on `sip_port`, or a free one), auto-answering `user`, `mic`
    as its microphone, what it decodes dumped (`dump-*-dec.wav`); `mediaenc` e.g.
    "srtp-mand" (None: plain RTP)."""
    require_tool("baresip")
    home.mkdir(parents=True, exist_ok=True)
    base = free_port_block(host, 10)
    sip = base if sip_port is None else sip_port
    write_wav(home / "mic.wav", mic)
    (home / "config").write_text(
        "\n".join(
            [
                "poll_method poll",
                f"sip_listen {host}:{sip}",
                "sip_transports udp",
                f"net_interface {host}",
                "audio_player alsa,null",
                "audio_alert alsa,null",
                f"audio_source aufile,{home / 'mic.wav'}",
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module aufile.so",
                "module alsa.so",
                "module sndfile.so",
                "module srtp.so",
                "module_app account.so",
                "module_app menu.so",
                f"snd_path {home}",
                f"rtp_ports {base + 2}-{base + 9}",
                "",
            ]
        )
    )
    enc = f";mediaenc={mediaenc}" if mediaenc else ""
    (home / "accounts").write_text(
        f"<sip:{user}@{host}>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA{enc}\n"
    )
    log = (home / "baresip.log").open("wb")
    args = [shutil.which("baresip") or "baresip", "-4", "-f", str(home), "-t", "40"]
    if dial is not None:
        args += ["-e", f"/dial {dial}"]
    peer = Baresip(subprocess.Popen(args, stdout=log, stderr=log), sip, home)
    deadline = time.monotonic() + 10
    while "baresip is ready" not in peer.log():
        if peer.proc.poll() is not None or time.monotonic() > deadline:
            stop(peer.proc)
            raise AssertionError(f"baresip did not start:\n{peer.log()}")
        time.sleep(0.05)
    return peer


class Capture:
    """tcpdump on lo for UDP to or from `host` (our side: baresip sends its RTP from
    127.0.0.1 whatever its SIP address), written to `path` (pcap)."""

    def __init__(self, path: Path, host: str = OURS) -> None:
        require_tool("tcpdump")
        self.path = path
        self._err = path.with_suffix(".log")
        cmd = [
            "tcpdump",
            "-i",
            "lo",
            "-n",
            "-U",
            "-s",
            "0",
            "-w",
            str(path),
            f"udp and host {host}",
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._err.open("wb"))
        deadline = time.monotonic() + 10
        while "listening on" not in self._err.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                log = self._err.read_text(errors="replace")
                if "permission" in log.lower() or "not permitted" in log.lower():
                    unavailable(f"tcpdump cannot capture on lo (needs CAP_NET_RAW): {log}")
                raise AssertionError(f"tcpdump did not start: {log}")
            time.sleep(0.05)

    def stop(self) -> bytes:
        if self.proc.poll() is None:
            time.sleep(0.3)  # the last packets reach the file (-U: per packet)
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(10)
        return self.path.read_bytes()


def udp_payloads(pcap: bytes) -> list[bytes]:
    """The UDP payloads of a tcpdump capture on lo (Ethernet link type, IPv4)."""
    assert pcap[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"), "not a pcap file"
    order = "little" if pcap[:4] == b"\xd4\xc3\xb2\xa1" else "big"
    link = int.from_bytes(pcap[20:24], order)
    at, out = 24, []
    while at + 16 <= len(pcap):
        caplen = int.from_bytes(pcap[at + 8 : at + 12], order)
        frame = pcap[at + 16 : at + 16 + caplen]
        at += 16 + caplen
        ip = frame[14:] if link == 1 else frame[16:] if link == 113 else frame
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        out.append(ip[(ip[0] & 0x0F) * 4 + 8 :])
    return out


def clear_audio_found(payloads: list[bytes], pcm: np.ndarray, chunk: int = 24) -> int:
    """How many `chunk`-byte pieces of `pcm`'s µ-law encoding appear in the payloads."""
    encoded = ulaw_encode(pcm)
    wire = b"".join(payloads)
    pieces = [encoded[i : i + chunk] for i in range(0, len(encoded) - chunk, 160)]
    return sum(1 for p in pieces if len(set(p)) > 4 and p in wire)
