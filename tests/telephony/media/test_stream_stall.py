"""A stalled media clock must not insert silence into a prompt (issue 21).

When the event loop is blocked (a loaded machine, a slow callback) the clock
fires late and reports how many 20 ms periods passed. The stream must then send
the frames that were due (bounded catch-up), so the far end sees the prompt with
contiguous RTP timestamps; a stall past the bound drops audio, but the audio
position keeps following the timestamps (nothing is delayed, nothing inserted).

The far end here is a plain UDP socket that decodes the RTP header itself (not
our parser, not our timeline), plus the callee farm's own prompt detector on one
of our streams, which is how the demo's humans failed.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest

from ringcast.audio.g711 import ulaw_encode
from ringcast.calleefarm.listening import PromptListener
from ringcast.telephony.channel import Pcm
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import MAX_CATCHUP_FRAMES, RtpStream

HOST = "127.0.0.40"
DTMF_PT = 101
FRAME = 160


@pytest.fixture
async def clock() -> AsyncIterator[MediaClock]:
    clock = MediaClock()
    yield clock
    clock.close()


class RawReceiver:
    """A UDP socket read after the fact: (sequence, timestamp, payload type, payload)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((HOST, 0))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    def drain(self) -> list[tuple[int, int, int, bytes]]:
        out = []
        while True:
            try:
                data = self.sock.recv(2048)
            except BlockingIOError:
                break
            assert data[0] >> 6 == 2 and not data[0] & 0x3F  # v2, no CSRC, no extension
            seq, ts = struct.unpack_from("!HI", data, 2)
            out.append((seq, ts, data[1] & 0x7F, data[12:]))
        self.sock.close()
        return out


def noise(frames: int, seed: int) -> Pcm:
    rng = np.random.default_rng(seed)
    return rng.integers(-12000, 12000, frames * FRAME).astype(np.int16)


async def play_with_stall(
    clock: MediaClock, prompt: Pcm, stall_s: float, after_s: float = 0.3
) -> tuple[list[tuple[int, int, int, bytes]], float]:
    rx = RawReceiver()
    stream = await RtpStream.open(clock, HOST)
    stream.set_remote(HOST, rx.port, 0, DTMF_PT)
    try:
        await asyncio.sleep(0.1)
        started = time.monotonic()
        done = stream.play([prompt])
        await asyncio.sleep(after_s)
        time.sleep(stall_s)  # the event loop (and so the media clock) is blocked
        assert await asyncio.wait_for(done, 10)
        took = time.monotonic() - started
        await asyncio.sleep(0.1)
    finally:
        stream.close()
    await asyncio.sleep(0.05)
    return rx.drain(), took


def prompt_on_the_wire(
    packets: list[tuple[int, int, int, bytes]], encoded: bytes
) -> tuple[int, set[int]]:
    """Check every packet inside the prompt carries the prompt's audio at its own
    timestamp; return the prompt's first timestamp and the offsets heard."""
    first = next(ts for _, ts, _, payload in packets if payload == encoded[:FRAME])
    heard: set[int] = set()
    for _, ts, pt, payload in packets:
        offset = (ts - first) % 2**32
        if offset >= len(encoded):
            continue
        assert pt == 0
        assert payload == encoded[offset : offset + FRAME], f"audio at offset {offset}"
        heard.add(offset)
    seqs = [seq for seq, *_ in packets]
    assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seqs))
    return first, heard


async def test_short_stall_mid_prompt_keeps_timestamps_contiguous(clock: MediaClock) -> None:
    prompt = noise(60, seed=3)
    encoded = ulaw_encode(prompt)
    packets, took = await play_with_stall(clock, prompt, stall_s=0.15)
    _, heard = prompt_on_the_wire(packets, encoded)
    # every 20 ms of the prompt arrived, each at its own timestamp: no silence inserted
    assert heard == set(range(0, len(encoded), FRAME))
    assert took < 60 * 0.02 + 0.5  # the prompt did not play 150 ms late


async def test_long_stall_drops_audio_but_keeps_it_on_the_timeline(clock: MediaClock) -> None:
    prompt = noise(80, seed=4)
    encoded = ulaw_encode(prompt)
    packets, took = await play_with_stall(clock, prompt, stall_s=0.6)
    _, heard = prompt_on_the_wire(packets, encoded)
    missing = len(range(0, len(encoded), FRAME)) - len(heard)
    # past the catch-up bound the oldest audio is dropped (and only that much): the
    # prompt ends on the timeline where it would have without the stall
    assert 0 < missing <= 30 - MAX_CATCHUP_FRAMES + 3
    assert max(heard) == len(encoded) - FRAME
    assert took < 80 * 0.02 + 0.4


async def test_stall_during_rfc4733_digit_keeps_audio_contiguous(clock: MediaClock) -> None:
    rx = RawReceiver()
    stream = await RtpStream.open(clock, HOST)
    stream.set_remote(HOST, rx.port, 0, DTMF_PT)
    try:
        await asyncio.sleep(0.1)
        sent = stream.send_dtmf("5", 160)
        await asyncio.sleep(0.03)
        time.sleep(0.1)
        await asyncio.wait_for(sent, 3)
        await asyncio.sleep(0.1)
    finally:
        stream.close()
    await asyncio.sleep(0.05)
    packets = rx.drain()
    events = [p for p in packets if p[2] == DTMF_PT]
    assert len({ts for _, ts, _, _ in events}) == 1
    durations = [struct.unpack_from("!H", payload, 2)[0] for *_, payload in events]
    assert durations == sorted(durations) and durations[-1] == 1280
    last = events[-1]
    after = next(p for p in packets if p[0] == (last[0] + 1) % 65536)
    assert after[2] == 0
    # the audio after the digit starts where the digit's packets end on the timeline
    assert (after[1] - last[1]) % 2**32 == FRAME * len(events)


async def test_farm_prompt_listener_not_fooled_by_a_stall(clock: MediaClock) -> None:
    """The demo's failure: a 600 ms pause in a prompt plus a 150 ms clock stall made
    the callee farm hear 'prompt over' (700 ms of quiet) in the middle of it."""
    t = np.arange(50 * FRAME) / 8000
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    prompt = np.concatenate([tone, np.zeros(30 * FRAME, np.int16), tone])
    ends: list[int] = []
    listener = PromptListener(lambda: ends.append(listener.elapsed_ms))
    sender = await RtpStream.open(clock, HOST)
    receiver = await RtpStream.open(clock, HOST)
    sender.set_remote(HOST, receiver.local_port, 0, DTMF_PT)
    receiver.set_remote(HOST, sender.local_port, 0, DTMF_PT)
    receiver.add_listener(listener)
    try:
        await asyncio.sleep(0.1)
        start_ms = listener.elapsed_ms
        done = sender.play([prompt])
        deadline = time.monotonic() + 10
        while listener.elapsed_ms - start_ms < 1100 and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        time.sleep(0.15)  # in the pause (1.0 to 1.6 s into the prompt)
        assert await asyncio.wait_for(done, 10)
        await asyncio.sleep(1.0)
    finally:
        sender.close()
        receiver.close()
    assert ends, "the prompt's real end was never heard"
    assert ends[0] - start_ms > 2000, f"'prompt over' heard mid-prompt at {ends[0] - start_ms} ms"


async def test_late_arrival_with_contiguous_timestamps_inserts_no_silence(
    clock: MediaClock,
) -> None:
    """The receiving side: RTP from a sender that is not ours (a raw socket) paced at
    20 ms, held back 400 ms in a 600 ms pause of the prompt and then sent in a burst,
    timestamps contiguous. Our stream keeps the sender's timeline (late arrival is not
    a gap), so the farm's detector must not hear 700 ms of quiet there."""
    t = np.arange(40 * FRAME) / 8000
    tone = ulaw_encode((8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16))
    quiet = ulaw_encode(np.zeros(30 * FRAME, np.int16))
    audio = tone + quiet + tone + quiet + quiet  # 1.2 s of quiet after: the real end
    ends: list[int] = []
    listener = PromptListener(lambda: ends.append(listener.elapsed_ms))
    receiver = await RtpStream.open(clock, HOST)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind((HOST, 0))
    receiver.set_remote(HOST, sender.getsockname()[1], 0, DTMF_PT)
    receiver.add_listener(listener)
    try:
        frames = len(audio) // FRAME
        for k in range(frames):
            if k == 45:  # in the pause (frames 40-70): nothing arrives for 400 ms ...
                await asyncio.sleep(0.4)
            header = struct.pack("!BBHII", 0x80, 0, k, 1000 + k * FRAME, 0x1234)
            sender.sendto(header + audio[k * FRAME : (k + 1) * FRAME], (HOST, receiver.local_port))
            if not 45 <= k < 65:  # ... then the 20 late frames come at once
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
    finally:
        receiver.close()
        sender.close()
    assert ends, "the prompt's real end was never heard"
    # elapsed_ms is the audio heard, in RTP time: the end comes after the second tone
    assert ends[0] > 110 * 20, f"'prompt over' heard at {ends[0]} ms, in the pause"
