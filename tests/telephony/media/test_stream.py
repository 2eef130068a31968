from __future__ import annotations

import asyncio
import itertools
import socket
import weakref
from collections.abc import AsyncIterator

import numpy as np
import pytest

from ringcast.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from ringcast.telephony.channel import DigitSource, Pcm
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.rtp import RtpPacket, parse_rtp
from ringcast.telephony.media.stream import RtpStream

DTMF_PT = 101


def speechlike(n: int, seed: int = 1) -> Pcm:
    rng = np.random.default_rng(seed)
    return rng.integers(-12000, 12000, n).astype(np.int16)


class Sink(asyncio.DatagramProtocol):
    """A raw UDP peer that records every datagram (the far end, seen on the wire)."""

    def __init__(self) -> None:
        self.packets: list[RtpPacket] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.packets.append(parse_rtp(data))


_open_sinks: list[asyncio.BaseTransport] = []


async def open_sink() -> tuple[Sink, int]:
    loop = asyncio.get_running_loop()
    sink = Sink()
    transport, _ = await loop.create_datagram_endpoint(lambda: sink, local_addr=("127.0.0.1", 0))
    _open_sinks.append(transport)
    return sink, transport.get_extra_info("sockname")[1]


@pytest.fixture(autouse=True)
async def close_sinks() -> AsyncIterator[None]:
    yield
    while _open_sinks:
        _open_sinks.pop().close()
    await asyncio.sleep(0)  # let the transports finish closing


@pytest.fixture
async def clock() -> AsyncIterator[MediaClock]:
    clock = MediaClock()
    yield clock
    clock.close()


async def pair(
    clock: MediaClock, payload_type: int = 0, dtmf: int | None = DTMF_PT
) -> tuple[RtpStream, RtpStream]:
    a = await RtpStream.open(clock)
    b = await RtpStream.open(clock)
    a.set_remote("127.0.0.1", b.local_port, payload_type, dtmf)
    b.set_remote("127.0.0.1", a.local_port, payload_type, dtmf)
    return a, b


async def test_open_binds_even_port_on_loopback(clock: MediaClock) -> None:
    stream = await RtpStream.open(clock)
    try:
        assert stream.local_host == "127.0.0.1"
        assert stream.local_port % 2 == 0
    finally:
        stream.close()


@pytest.mark.parametrize(
    ("pt", "enc", "dec"), [(0, ulaw_encode, ulaw_decode), (8, alaw_encode, alaw_decode)]
)
async def test_audio_arrives_bit_exact(clock: MediaClock, pt: int, enc, dec) -> None:  # type: ignore[no-untyped-def]
    a, b = await pair(clock, pt)
    received: list[Pcm] = []
    b.add_listener(received.append)
    clip1, clip2 = speechlike(1000, 1), speechlike(700, 2)  # not multiples of 160
    assert await asyncio.wait_for(a.play([clip1, clip2]), 2) is True
    await asyncio.sleep(0.1)
    a.close()
    b.close()
    got = np.concatenate(received)
    sent = dec(enc(np.concatenate([clip1, clip2])))
    start = next(i for i in range(0, got.size, 160) if np.array_equal(got[i : i + 160], sent[:160]))
    assert np.array_equal(got[start : start + sent.size], sent)
    # the rest of the last frame is padded with silence
    assert np.all(np.abs(got[start + sent.size : start + 1760]) <= 8)


async def test_decoding_only_with_listeners(clock: MediaClock) -> None:
    a, b = await pair(clock)
    calls: list[int] = []

    def listener(pcm: Pcm) -> None:
        calls.append(pcm.size)

    await asyncio.sleep(0.1)
    assert calls == []
    b.add_listener(listener)
    await asyncio.sleep(0.1)
    b.remove_listener(listener)
    n = len(calls)
    await asyncio.sleep(0.1)
    a.close()
    b.close()
    assert n >= 3
    assert len(calls) == n
    assert set(calls) == {160}
    assert b.stats.packets_received >= 10


async def test_rfc4733_digits_once_each(clock: MediaClock) -> None:
    a, b = await pair(clock)
    got: list[tuple[str, DigitSource]] = []
    b.on_dtmf = lambda d, s: got.append((d, s))
    futures = [a.send_dtmf(d, 80) for d in "1#9"]
    await asyncio.wait_for(asyncio.gather(*futures), 2)
    await asyncio.sleep(0.06)
    a.close()
    b.close()
    assert got == [("1", "rfc4733"), ("#", "rfc4733"), ("9", "rfc4733")]


async def test_rfc4733_wire_format(clock: MediaClock) -> None:
    sink, port = await open_sink()
    a = await RtpStream.open(clock)
    a.set_remote("127.0.0.1", port, 0, DTMF_PT)
    await asyncio.sleep(0.05)
    await asyncio.wait_for(a.send_dtmf("5", 100), 2)
    await asyncio.sleep(0.05)
    a.close()
    events = [p for p in sink.packets if p.payload_type == DTMF_PT]
    assert len({p.timestamp for p in events}) == 1  # one event, one timestamp
    assert events[0].marker
    assert not any(p.marker for p in events[1:])
    ends = [p for p in events if p.payload[1] & 0x80]
    assert len(ends) == 3
    assert {p.payload for p in ends} == {bytes([5, 0x8A, 0x03, 0x20])}  # duration 800
    seqs = [p.sequence_number for p in sink.packets]
    assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seqs))
    audio_after = next(
        p for p in sink.packets if p.sequence_number == (ends[-1].sequence_number + 1) % 65536
    )
    assert audio_after.payload_type == 0
    # audio resumes after the event's frames (more if a loaded loop skipped ticks)
    resumed = (audio_after.timestamp - ends[-1].timestamp) % 2**32
    assert resumed % 160 == 0
    assert resumed >= 160 * len(events)


async def test_inband_digits_when_no_event_payload_type(clock: MediaClock) -> None:
    a, b = await pair(clock, dtmf=None)
    got: list[tuple[str, DigitSource]] = []
    b.on_dtmf = lambda d, s: got.append((d, s))
    b.enable_inband_dtmf(True)
    await asyncio.wait_for(asyncio.gather(*(a.send_dtmf(d, 100) for d in "7*0")), 3)
    await asyncio.sleep(0.1)
    a.close()
    b.close()
    assert got == [("7", "inband"), ("*", "inband"), ("0", "inband")]


async def test_unexpected_source_and_payload_type_ignored(clock: MediaClock) -> None:
    a, b = await pair(clock)
    b.latching = False  # a trunk with symmetricRtp off: only the SDP's address is heard
    got: list[Pcm] = []
    b.add_listener(got.append)
    intruder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    intruder.bind(("127.0.0.1", 0))
    loud = RtpPacket(0, 1, 160, 42, b"\x00" * 160).serialize()
    try:
        for _ in range(5):
            intruder.sendto(loud, ("127.0.0.1", b.local_port))
        await asyncio.sleep(0.1)
        assert b.stats.dropped_source == 5
        # allowed explicitly (sipp sends RFC 2833 from another port)
        b.allow_source("127.0.0.1", intruder.getsockname()[1])
        intruder.sendto(loud, ("127.0.0.1", b.local_port))
        await asyncio.sleep(0.05)
    finally:
        intruder.close()
    a.close()
    b.close()
    assert sum(1 for f in got if np.abs(f).max() > 8000) == 1  # only the allowed packet


async def test_other_payload_types_and_garbage_dropped(clock: MediaClock) -> None:
    b = await RtpStream.open(clock)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    b.set_remote("127.0.0.1", peer.getsockname()[1], 0, DTMF_PT)
    got: list[Pcm] = []
    b.add_listener(got.append)
    try:
        peer.sendto(
            RtpPacket(8, 1, 160, 42, b"\x00" * 160).serialize(), ("127.0.0.1", b.local_port)
        )
        peer.sendto(b"\x80\x00garbage", ("127.0.0.1", b.local_port))
        peer.sendto(b"\xa0" + bytes(11) + b"\x09", ("127.0.0.1", b.local_port))
        peer.sendto(
            RtpPacket(0, 2, 320, 42, b"\xff" * 160).serialize(), ("127.0.0.1", b.local_port)
        )
        await asyncio.sleep(0.1)
    finally:
        peer.close()
    b.close()
    assert b.stats.dropped_payload_type == 1
    assert b.stats.malformed == 2
    assert len(got) == 1


async def test_seq_ts_ssrc_continuity_across_play_silence_play(clock: MediaClock) -> None:
    sink, port = await open_sink()
    a = await RtpStream.open(clock)
    a.set_remote("127.0.0.1", port, 0, None)
    await asyncio.sleep(0.06)  # silence first
    await asyncio.wait_for(a.play([speechlike(480)]), 2)
    await asyncio.sleep(0.06)  # silence
    first = a.play([speechlike(800, 3)])
    await asyncio.sleep(0.03)
    second = a.play([speechlike(320, 4)])  # replaces the first
    assert await asyncio.wait_for(first, 1) is False
    assert await asyncio.wait_for(second, 2) is True
    await asyncio.sleep(0.06)
    a.close()
    pkts = sink.packets
    assert len(pkts) >= 12
    assert len({p.ssrc for p in pkts}) == 1
    assert all(
        (q.sequence_number - p.sequence_number) % 2**16 == 1 for p, q in itertools.pairwise(pkts)
    )
    # one frame per tick: +160 each, unless the clock skipped ticks of a stalled
    # loop (a loaded machine), when the timestamp follows real time instead
    steps = [(q.timestamp - p.timestamp) % 2**32 for p, q in itertools.pairwise(pkts)]
    assert all(step > 0 and step % 160 == 0 for step in steps), steps
    assert steps.count(160) >= 0.8 * len(steps), steps
    assert all(len(p.payload) == 160 and p.payload_type == 0 for p in pkts)
    # marker: first packet, and the first audio frame of each of the two talkspurts
    marked = [i for i, p in enumerate(pkts) if p.marker]
    silent = [p.payload == b"\xff" * 160 for p in pkts]
    assert marked[0] == 0
    assert all(not silent[i] for i in marked[1:])
    assert all(silent[i - 1] for i in marked[1:])
    assert len(marked) == 3


async def test_stop_playback_resolves_false_and_close_resolves_pending(clock: MediaClock) -> None:
    _sink, port = await open_sink()
    a = await RtpStream.open(clock)
    a.set_remote("127.0.0.1", port, 0, None)
    playing = a.play([speechlike(8000)])
    await asyncio.sleep(0.05)
    a.stop_playback()
    assert await playing is False
    playing = a.play([speechlike(8000)])
    a.close()
    assert await playing is False
    assert a.play([speechlike(160)]).result() is False


async def test_media_timeout_fires_once(clock: MediaClock) -> None:
    _sink, port = await open_sink()
    a = await RtpStream.open(clock)
    fired: list[float] = []
    a.media_timeout_ms = 100
    a.on_media_timeout = lambda: fired.append(clock.now)
    a.set_remote("127.0.0.1", port, 0, None)  # the sink never answers
    await asyncio.sleep(2.3)
    a.close()
    assert len(fired) == 1


async def test_clock_drives_fifty_streams(clock: MediaClock) -> None:
    sink, port = await open_sink()
    streams = [await RtpStream.open(clock) for _ in range(50)]
    for s in streams:
        s.set_remote("127.0.0.1", port, 0, None)
    assert clock.clients == 50
    await asyncio.sleep(0.5)
    for s in streams:
        s.close()
    assert clock.clients == 0
    per_ssrc: dict[int, int] = {}
    for p in sink.packets:
        per_ssrc[p.ssrc] = per_ssrc.get(p.ssrc, 0) + 1
    assert len(per_ssrc) == 50
    assert min(per_ssrc.values()) >= 20  # ~25 frames in 0.5 s
    assert max(per_ssrc.values()) - min(per_ssrc.values()) <= 1  # one tick sends one frame each


async def test_a_closed_stream_lets_go_of_what_it_reported_to(clock: MediaClock) -> None:
    # the channel that hears a stream holds the stream: a closed stream keeping the
    # channel's callbacks made every call a cycle left to the garbage collector
    class Channel:
        def digit(self, digit: str, source: DigitSource) -> None: ...

        def timeout(self) -> None: ...

        def frame(self, pcm: Pcm) -> None: ...

    channel = Channel()
    stream = await RtpStream.open(clock)
    stream.on_dtmf, stream.on_media_timeout = channel.digit, channel.timeout
    stream.add_listener(channel.frame)
    stream.close()
    gone = weakref.ref(channel)
    del channel
    assert gone() is None  # freed by reference counting, no collector pass needed
