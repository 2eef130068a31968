"""Media workers: RTP in another process behind the `MediaStream` seam."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import weakref

import numpy as np

from ringcast.telephony.channel import LOST_FRAME
from ringcast.telephony.media.rtp import RtpPacket
from ringcast.telephony.media.workers import MediaWorkers, WorkerStream, _messages, _Outbox

HOST = "127.0.0.95"
TONE = (np.sin(2 * np.pi * 440 * np.arange(8000) / 8000) * 6000).astype(np.int16)  # 1 s


def receiver() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.setblocking(False)
    return sock


def drain(sock: socket.socket) -> list[bytes]:
    packets = []
    while True:
        try:
            packets.append(sock.recv(2048))
        except BlockingIOError:
            return packets


async def test_a_worker_stream_plays_to_the_end_and_reports_its_statistics() -> None:
    workers = await MediaWorkers.start(2)
    sink = receiver()
    try:
        streams = [await workers.open_stream(HOST) for _ in range(4)]
        assert {len(w.streams) for w in workers.workers} == {2}  # spread over both
        assert all(s.local_port and s.local_host == HOST for s in streams)
        for s in streams:
            s.set_remote(HOST, sink.getsockname()[1], 0, None)
        played = await asyncio.wait_for(asyncio.gather(*(s.play([TONE]) for s in streams)), 10)
        assert played == [True] * 4
        packets = drain(sink)
        per_ssrc: dict[bytes, int] = {}
        for p in packets:
            per_ssrc[p[8:12]] = per_ssrc.get(p[8:12], 0) + 1
        assert len(per_ssrc) == 4
        assert all(n >= 50 for n in per_ssrc.values())  # 1 s of tone, 20 ms a packet
        for s in streams:
            s.close()
        finals = await asyncio.wait_for(asyncio.gather(*(s.final for s in streams)), 5)
        assert all(f.packets_sent >= 50 for f in finals)
        assert workers.streams == 0
    finally:
        sink.close()
        await workers.close()


async def test_a_stopped_playback_is_false_and_received_audio_reaches_listeners() -> None:
    workers = await MediaWorkers.start(1)
    try:
        a, b = await workers.open_stream(HOST), await workers.open_stream(HOST)
        a.set_remote(HOST, b.local_port, 0, None)
        b.set_remote(HOST, a.local_port, 0, None)
        heard: list[np.ndarray] = []
        b.add_listener(heard.append)
        playing = a.play([TONE])
        await asyncio.sleep(0.3)
        a.stop_playback()
        assert await asyncio.wait_for(playing, 5) is False
        assert len(heard) >= 5
        assert max(int(np.abs(f).max()) for f in heard) > 3000  # the tone, not silence
    finally:
        await workers.close()


async def test_a_dead_worker_ends_its_calls_as_media_failures_and_is_replaced() -> None:
    workers = await MediaWorkers.start(1)
    try:
        stream = await workers.open_stream(HOST)
        timed_out = asyncio.Event()
        stream.on_media_timeout = timed_out.set
        stream.set_remote(HOST, 9, 0, None)
        playing = stream.play([TONE, TONE, TONE])
        os.kill(workers.workers[0].proc.pid, signal.SIGKILL)
        await asyncio.wait_for(timed_out.wait(), 5)
        assert await playing is False
        assert stream.timed_out
        again: WorkerStream = await workers.open_stream(HOST)  # a new worker takes it
        assert again.local_port
        assert len(workers.workers) == 1 and workers.workers[0].alive
    finally:
        await workers.close()


async def test_srtp_runs_in_the_worker_and_a_rekey_reaches_it() -> None:
    from ringcast.telephony.media.srtp import SUITES, SrtpKey, SrtpPair

    ka, kb = (SrtpKey(SUITES[0], os.urandom(30)) for _ in range(2))
    workers = await MediaWorkers.start(1)
    try:
        a, b = await workers.open_stream(HOST), await workers.open_stream(HOST)
        a.set_srtp(SrtpPair(ka, kb))
        b.set_srtp(SrtpPair(kb, ka))
        a.set_remote(HOST, b.local_port, 0, None)
        b.set_remote(HOST, a.local_port, 0, None)
        heard: list[np.ndarray] = []
        b.add_listener(heard.append)
        assert await asyncio.wait_for(a.play([TONE[:2400]]), 5) is True
        await asyncio.sleep(0.1)
        assert max(int(np.abs(f).max()) for f in heard) > 3000  # decrypted: the tone
        assert a.srtp is not None and a.srtp.tx_key == ka
        b.srtp.rekey_rx(SrtpKey(SUITES[0], os.urandom(30))) if b.srtp else None
        await asyncio.sleep(0.3)  # a's packets no longer authenticate at b
        b.close()
        final = await asyncio.wait_for(b.final, 5)
        assert final.srtp_failed > 0
    finally:
        await workers.close()


async def test_a_closed_worker_stream_lets_go_of_what_it_reported_to() -> None:
    class Channel:
        def digit(self, digit: str, source: str) -> None: ...

        def timeout(self) -> None: ...

        def frame(self, pcm: np.ndarray) -> None: ...

    workers = await MediaWorkers.start(1)
    try:
        channel = Channel()
        stream = await workers.open_stream("127.0.0.63")
        stream.on_dtmf, stream.on_media_timeout = channel.digit, channel.timeout
        stream.add_listener(channel.frame)
        stream.close()
        await asyncio.wait_for(stream.final, 5)
        gone = weakref.ref(channel)
        del channel
        assert gone() is None  # freed by reference counting, no collector pass needed
    finally:
        await workers.close()


async def test_the_messages_of_one_loop_iteration_leave_in_one_write_in_order() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    _, writer = await asyncio.open_unix_connection(sock=ours)
    reader, _ = await asyncio.open_unix_connection(sock=theirs)
    outbox = _Outbox(writer)
    try:
        sent = [("open", i, {"host": HOST}) for i in range(5)] + [("clip", 7, b"\x01" * 3000)]
        for message in sent:
            outbox.put(message)
        assert outbox.writes == 0  # nothing written mid-iteration
        await asyncio.sleep(0)
        assert outbox.writes == 1  # six messages, one system call
        outbox.put(("close", 3))
        await asyncio.sleep(0)
        assert outbox.writes == 2
        got = []
        async for message in _messages(reader):
            got.append(message)
            if len(got) == len(sent) + 1:
                break
        assert got == [*sent, ("close", 3)]  # every message, framed and in order
    finally:
        writer.close()


async def test_a_lost_packet_crosses_the_worker_boundary_as_lost_frame() -> None:
    """A sequence gap reaches a listener in the dialer process as `LOST_FRAME` itself
    (AMD compares by identity), DTX as plain silence."""
    workers = await MediaWorkers.start(1)
    sock = receiver()
    try:
        stream = await workers.open_stream(HOST)
        stream.set_remote(HOST, sock.getsockname()[1], 0, None)
        heard: list[np.ndarray] = []
        stream.add_listener(heard.append)
        await asyncio.sleep(0.2)  # the worker has the listener
        audio = b"\x10" * 160
        for seq, ts, marker in ((1, 0, False), (2, 160, False), (5, 640, False), (6, 1120, True)):
            packet = RtpPacket(0, seq, ts, 9, audio, marker=marker).serialize()
            sock.sendto(packet, (HOST, stream.local_port))
            await asyncio.sleep(0.02)
        for _ in range(100):
            if len(heard) >= 8:
                break
            await asyncio.sleep(0.02)
        assert [f is LOST_FRAME for f in heard] == [False, False, True, True] + [False] * 4
        assert not heard[5].any() and not heard[6].any() and heard[7].any()  # DTX, then audio
    finally:
        sock.close()
        await workers.close()
