"""A real call with baresip: two-way G.711 audio checked end to end.

baresip runs headless from a config dir in tmp: `aufile` plays a WAV we generate as
its microphone, the `sndfile` filter dumps what it decoded from us, the ALSA `null`
device is its speaker, and the account auto-answers. We dial it, play a signal and
record its signal; then both directions are compared by normalised cross-correlation.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from ringcast.telephony.channel import (
    Answered,
    DialRequest,
    PlaybackDone,
    RecordingDone,
    RecordRequest,
)
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.sip import SipCall, TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import SipChannel, rtp_media
from support import unavailable

pytestmark = pytest.mark.baresip
RATE = 8000


def chirp(seconds: float, f0: float, f1: float, level: float = 0.25) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds))
    return (np.sin(phase) * level * 32767).astype(np.int16)


def best_ncc(reference: np.ndarray, received: np.ndarray) -> float:
    """Max over lags of the normalised cross-correlation (1.0 = same waveform)."""
    ref = reference.astype(np.float64)
    got = received.astype(np.float64)
    if len(got) < len(ref):
        ref = ref[: len(got) // 2]
    dots = np.correlate(got, ref, mode="valid")
    energy = np.cumsum(np.concatenate(([0.0], got * got)))
    window = energy[len(ref) :] - energy[: -len(ref)]
    denom = np.sqrt(np.maximum(window, 1e-9)) * np.linalg.norm(ref)
    return float(np.max(dots / denom))


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def write_wav(path: Path, pcm: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.astype("<i2").tobytes())


@dataclass
class Baresip:
    proc: subprocess.Popen[bytes]
    port: int
    home: Path

    def log(self) -> str:
        return (self.home / "baresip.log").read_text(errors="replace")


def _free_udp_block(width: int) -> int:
    for base in range(15600, 15700, width):
        ok = True
        for port in range(base, base + width):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free ports for baresip")


BaresipFactory = Callable[[str | None], Baresip]


@pytest.fixture
def baresip(tmp_path: Path) -> Iterator[BaresipFactory]:
    """`baresip(dial)` starts baresip (auto-answering); with `dial`, it calls that URI."""
    exe = shutil.which("baresip")
    if exe is None:
        unavailable("baresip not installed (apt-get install baresip)")
    started: list[Baresip] = []

    def start(dial: str | None = None) -> Baresip:
        assert exe is not None
        base = _free_udp_block(10)
        write_wav(tmp_path / "mic.wav", chirp(3.0, 300, 3000))
        (tmp_path / "config").write_text(
            "\n".join(
                [
                    "poll_method poll",
                    f"sip_listen 127.0.0.1:{base}",
                    "sip_transports udp",
                    "net_interface 127.0.0.1",  # never the machine's other addresses
                    "audio_player alsa,null",
                    "audio_alert alsa,null",
                    f"audio_source aufile,{tmp_path / 'mic.wav'}",
                    "module_path /usr/lib/baresip/modules",
                    "module g711.so",
                    "module aufile.so",
                    "module alsa.so",
                    "module sndfile.so",
                    "module_app account.so",
                    "module_app menu.so",  # runs the -e command
                    f"snd_path {tmp_path}",
                    f"rtp_ports {base + 2}-{base + 9}",
                    "",
                ]
            )
        )
        (tmp_path / "accounts").write_text(
            "<sip:bob@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA\n"
        )
        log = (tmp_path / "baresip.log").open("wb")
        args = [exe, "-4", "-f", str(tmp_path), "-t", "30"]
        if dial is not None:
            args += ["-e", f"/dial {dial}"]
        proc = subprocess.Popen(args, stdout=log, stderr=log)
        peer = Baresip(proc, base, tmp_path)
        started.append(peer)
        deadline = time.monotonic() + 10
        while "baresip is ready" not in peer.log():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"baresip did not start:\n{peer.log()}")
            time.sleep(0.05)
        return peer

    yield start
    for peer in started:
        peer.proc.terminate()
        try:
            peer.proc.wait(5)
        except subprocess.TimeoutExpired:
            peer.proc.kill()
            peer.proc.wait()


def check_two_way(home: Path, sent: np.ndarray, recording: RecordingDone) -> None:
    mic = read_wav(home / "mic.wav")
    # baresip → us: our recording holds baresip's microphone signal
    assert best_ncc(mic[RATE // 2 : RATE * 2], recording.audio) > 0.95
    assert best_ncc(sent[:RATE], recording.audio) < 0.5  # and not ours (the check can fail)
    dumps = sorted(home.glob("dump-*-dec.wav"))
    assert dumps, (home / "baresip.log").read_text()
    heard = read_wav(dumps[-1])
    # us → baresip: what baresip decoded is what we played
    assert best_ncc(sent[RATE // 4 : RATE * 7 // 4], heard) > 0.95
    assert best_ncc(mic[RATE // 2 : RATE * 2], heard) < 0.5


async def play_and_record(channel: SipChannel, sent: np.ndarray) -> RecordingDone:
    await channel.play([sent])
    await channel.start_recording(
        RecordRequest(max_duration_ms=3500, silence_timeout_ms=0, beep=False)
    )
    got: dict[type, object] = {}
    while RecordingDone not in got or PlaybackDone not in got:
        event = await asyncio.wait_for(channel.next_event(), 10)
        got[type(event)] = event
    assert got[PlaybackDone] == PlaybackDone(interrupted=False)
    recording = got[RecordingDone]
    assert isinstance(recording, RecordingDone)
    return recording


async def test_two_way_audio_with_baresip(baresip: BaresipFactory) -> None:
    peer = baresip(None)
    clock = MediaClock()
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    sent = chirp(2.0, 2500, 400)  # a down-chirp: nothing like baresip's up-chirp
    try:
        channel = SipChannel(ua, rtp_media(clock))
        await channel.dial(DialRequest(to="bob", from_="ringcast", enable_amd=False))
        event = await asyncio.wait_for(channel.next_event(), 10)
        while not isinstance(event, Answered):
            event = await asyncio.wait_for(channel.next_event(), 10)
        recording = await play_and_record(channel, sent)
        await channel.hangup()
        await asyncio.sleep(0.3)
    finally:
        ua.close()
        clock.close()
    check_two_way(peer.home, sent, recording)


async def test_baresip_calls_us_two_way_audio(baresip: BaresipFactory) -> None:
    clock = MediaClock()
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=5060))
    assert ua.transport is not None
    sent = chirp(2.0, 2500, 400)
    recordings: list[RecordingDone] = []
    done = asyncio.Event()

    async def answer(call: SipCall) -> None:
        channel = SipChannel.inbound(ua, call, rtp_media(clock))
        await channel.answer()
        assert isinstance(await channel.next_event(), Answered)
        recordings.append(await play_and_record(channel, sent))
        await channel.hangup()
        done.set()

    tasks: set[asyncio.Task[None]] = set()
    ua.on_invite = lambda call: tasks.add(asyncio.get_running_loop().create_task(answer(call)))
    try:
        peer = baresip(f"sip:2001@127.0.0.1:{ua.transport.local_port}")
        await asyncio.wait_for(done.wait(), 15)
        await asyncio.sleep(0.3)
    finally:
        ua.close()
        clock.close()
    check_two_way(peer.home, sent, recordings[0])
