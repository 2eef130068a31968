"""baresip as an independent SIP phone of the Forward tests: auto-answers calls to its
account, its microphone a WAV file, what it decodes dumped to `dump-*-dec.wav`.

`baresip_phones` (a fixture) → `start(host, user, mic, dial=None)`: one baresip on `host`
(the tests' own loopback address) and a free block of ports there; with `dial`, it calls
that URI as soon as it is ready."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from support import unavailable
from telephony.sip.test_baresip import Baresip, read_wav
from telephony.sip.test_baresip import write_wav as write_mono_wav

RATE = 8000
PhoneFactory = Callable[..., Baresip]


def free_udp_block(host: str, width: int = 10, avoid: frozenset[int] = frozenset()) -> int:
    for base in range(15600, 15990, width):
        if base in avoid:
            continue
        socks: list[socket.socket] = []
        try:
            for port in range(base, base + width):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind((host, port))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return base
    raise RuntimeError(f"no free ports for baresip on {host}")


def start_baresip(
    exe: str,
    home: Path,
    host: str,
    user: str,
    mic: np.ndarray,
    avoid: frozenset[int] = frozenset(),
    dial: str | None = None,
) -> Baresip:
    """`avoid`: port blocks not to take (other phones': each phone's ports tell it apart)."""
    home.mkdir(parents=True, exist_ok=True)
    base = free_udp_block(host, avoid=avoid)
    write_mono_wav(home / "mic.wav", mic)
    (home / "config").write_text(
        "\n".join([
            "poll_method poll", f"sip_listen {host}:{base}", "sip_transports udp",
            f"net_interface {host}", "audio_player alsa,null", "audio_alert alsa,null",
            f"audio_source aufile,{home / 'mic.wav'}",
            "module_path /usr/lib/baresip/modules", "module g711.so", "module aufile.so",
            "module alsa.so", "module sndfile.so", "module_app account.so",
            "module_app menu.so", f"snd_path {home}", f"rtp_ports {base + 2}-{base + 9}",
            "",
        ])
    )  # fmt: skip
    (home / "accounts").write_text(
        f"<sip:{user}@{host}>;regint=0;answermode=auto;audio_codecs=PCMA,PCMU\n"
    )
    log = (home / "baresip.log").open("wb")
    args = [exe, "-4", "-f", str(home), "-t", "120"]
    if dial is not None:
        args += ["-e", f"/dial {dial}"]  # menu.so runs it once baresip is ready
    proc = subprocess.Popen(args, stdout=log, stderr=log)
    peer = Baresip(proc, base, home)
    deadline = time.monotonic() + 10
    while "baresip is ready" not in peer.log():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"baresip did not start:\n{peer.log()}")
        time.sleep(0.05)
    return peer


def decoded(peer: Baresip) -> np.ndarray:
    """What the phone heard (its last call), as int16 samples."""
    dumps = sorted(peer.home.glob("dump-*-dec.wav"))
    assert dumps, peer.log()
    return read_wav(dumps[-1])


@pytest.fixture
def baresip_phones(tmp_path: Path) -> Iterator[PhoneFactory]:
    exe = shutil.which("baresip")
    if exe is None:
        unavailable("baresip not installed (apt-get install baresip)")
    started: list[Baresip] = []

    def start(host: str, user: str, mic: np.ndarray, dial: str | None = None) -> Baresip:
        assert exe is not None
        home = tmp_path / f"baresip{len(started)}"
        avoid = frozenset(p.port for p in started)
        peer = start_baresip(exe, home, host, user, mic, avoid, dial)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.proc.terminate()
        try:
            peer.proc.wait(5)
        except subprocess.TimeoutExpired:
            peer.proc.kill()
            peer.proc.wait()
