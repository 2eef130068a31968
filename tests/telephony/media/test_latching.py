"""Symmetric RTP (latching): the far end's media address is learned from its packets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.rtp import RtpPacket, parse_rtp
from ringcast.telephony.media.stream import LATCH_PACKETS, RtpStream


@pytest.fixture
async def clock() -> AsyncIterator[MediaClock]:
    clock = MediaClock()
    yield clock
    clock.close()


@pytest.fixture
def peers() -> Iterator[list[socket.socket]]:
    made: list[socket.socket] = []
    for host in ("127.0.0.1", "127.0.0.1", "127.0.0.5"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((host, 0))
        s.setblocking(False)
        made.append(s)
    yield made
    for s in made:
        s.close()


def send(sock: socket.socket, stream: RtpStream, seq: int, pt: int = 0) -> None:
    packet = RtpPacket(pt, seq, 160 * seq, 7, b"\xff" * 160).serialize()
    sock.sendto(packet, ("127.0.0.1", stream.local_port))


def received_by(sock: socket.socket) -> list[int]:
    seqs = []
    while True:
        try:
            seqs.append(parse_rtp(sock.recv(2048)).sequence_number)
        except BlockingIOError:
            return seqs


async def test_media_from_another_port_is_latched_and_answered_there(clock, peers):
    sdp_side, real, _ = peers
    b = await RtpStream.open(clock)
    # the SDP names one port, the RTP comes from another (an SBC, a NAT)
    b.set_remote("127.0.0.1", sdp_side.getsockname()[1], 0, 101)
    try:
        # garbage first: too short, wrong version, an unknown payload type
        real.sendto(b"\x80\x00junk", ("127.0.0.1", b.local_port))
        real.sendto(b"\x40" + bytes(171), ("127.0.0.1", b.local_port))
        send(real, b, 1, pt=96)
        await asyncio.sleep(0.05)
        assert b.remote == ("127.0.0.1", sdp_side.getsockname()[1])
        assert b.stats.latched == 0
        send(real, b, 2)
        await asyncio.sleep(0.05)
        assert b.remote == real.getsockname()
        assert b.stats.latched == 1 and b.stats.packets_received == 1
        received_by(real)
        await asyncio.sleep(0.1)
        assert received_by(real), "we send to where the media comes from"
    finally:
        b.close()


async def test_a_new_source_mid_call_needs_consecutive_packets(clock, peers):
    first, second, _ = peers
    b = await RtpStream.open(clock)
    b.set_remote("127.0.0.1", first.getsockname()[1], 0, 101)
    try:
        send(first, b, 1)
        await asyncio.sleep(0.02)
        for seq in range(2, 2 + LATCH_PACKETS - 1):  # one short
            send(second, b, seq)
        send(first, b, 20)  # the current source speaks: the count starts again
        for seq in range(30, 30 + LATCH_PACKETS - 1):
            send(second, b, seq)
        await asyncio.sleep(0.05)
        assert b.remote == first.getsockname()
        assert b.stats.dropped_source == 2 * (LATCH_PACKETS - 1)
        send(second, b, 40)
        await asyncio.sleep(0.05)
        assert b.remote == second.getsockname()
        assert b.stats.latched == 1
    finally:
        b.close()


async def test_strict_trunks_latch_only_known_addresses(clock, peers):
    sdp_side, same_ip, other_ip = peers
    b = await RtpStream.open(clock)
    b.strict_hosts = frozenset({"127.0.0.9"})  # the signalling address
    b.set_remote("127.0.0.1", sdp_side.getsockname()[1], 0, 101)
    try:
        for seq in range(1, 10):
            send(other_ip, b, seq)  # 127.0.0.5: neither the SDP's nor the signalling's
        await asyncio.sleep(0.05)
        assert b.remote == sdp_side.getsockname() and b.stats.dropped_source == 9
        send(same_ip, b, 20)  # the SDP's IP, another port: latched
        await asyncio.sleep(0.05)
        assert b.remote == same_ip.getsockname()
    finally:
        b.close()


async def test_reception_counts_loss_and_jitter(clock, peers):
    peer, _, _ = peers
    b = await RtpStream.open(clock)
    b.set_remote("127.0.0.1", peer.getsockname()[1], 0, 101)
    try:
        for seq in [*range(1, 11), *range(13, 21)]:  # 2 of 20 lost
            send(peer, b, seq)
        await asyncio.sleep(0.1)
        got = b.reception()
        assert (got["packetsReceived"], got["packetsExpected"], got["packetsLost"]) == (18, 20, 2)
        assert got["lossPercent"] == 10.0
        # sent back to back, not every 20 ms: the transit varies by up to 20 ms a packet
        assert got["jitterMs"] > 1
    finally:
        b.close()


async def test_the_hold_timeout_applies_while_held(clock):
    b = await RtpStream.open(clock)
    fired: list[bool] = []
    b.media_timeout_ms, b.hold_timeout_ms = 1, 60_000
    b.on_media_timeout = lambda: fired.append(True)
    b.set_remote("127.0.0.1", 9, 0, 101)
    try:
        b.sending = False  # a re-INVITE put us on hold: no RTP is expected for a while
        b.housekeep(clock.time() + 5)
        assert fired == []
        b.sending = True
        b.housekeep(clock.time() + 5)
        assert fired == [True]
    finally:
        b.close()
