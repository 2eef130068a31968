"""Media workers: calls' RTP in other processes, so a dialer uses every core.

Theory of operation. One event loop is one core, and RTP is nearly all of a call's
steady cost (100 packets a second, send and receive) while SIP is a dozen messages
per call. So the SIP side (agents, transactions, flows, the dialer) stays in the
dialer process, with its one SIP address, and the RTP moves: `MediaWorkers.start(n)`
starts n worker processes (`python -c ...workers import main; main()` FD), each
with its own event loop, `MediaClock` and `RtpStream`s, and talks to each over one
Unix socket pair. `WorkerStream` is the dialer-side proxy of one stream: it
implements the channel's `MediaStream` protocol (channel_hooks.py) by sending
commands, so `SipChannel`, the bridge, AMD and the recorder are unchanged.

The wire: length-prefixed pickled tuples (`_pack`); each end gathers the messages of
one event loop iteration into one write (`_Outbox`).
Per call, commands are rare (open, remote, play, stop, close...) and so are events
back (opened, playback done, a digit, media timeout, the final statistics). A clip
is sent to a worker once (keyed by the array's identity, guarded by a weak
reference like shared_audio.py; forgotten in the worker when the dialer frees it),
so prompt audio is held once per worker, not per call. Received audio crosses only
while someone listens (AMD, recorder, bridge: `add_listener`), as 20 ms frames.

Placement: a new stream goes to the worker with the fewest streams. Lateness: each
worker reports its clock's recent lateness and its `ClockStats` once a second
(`late_ms()` is the worst, which overload control reads: telephony/overload.py;
`clock_stats()` is their sum, with the last figures of workers that died, which the
dialer's /metrics renders). Crash safety: a worker that dies ends only its own calls,
as a media failure (each stream's `on_media_timeout` fires, a playback resolves
False, `timed_out` is True), and a new worker is started in its place at once
(`restarts`; at most one a second while they keep dying). The worker exits when the
dialer's end of the socket closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import os
import pickle
import socket
import struct
import subprocess
import sys
import time
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import numpy as np

from ringcast.kit import event_loop
from ringcast.kit.fds import prepare_fds
from ringcast.telephony.channel import LOST_FRAME, DigitSource, Pcm
from ringcast.telephony.media import priority as media_priority
from ringcast.telephony.media.clock import ClockStats, MediaClock
from ringcast.telephony.media.srtp import SrtpKey, SrtpPair
from ringcast.telephony.media.stream import RtpStream

log = logging.getLogger(__name__)

_LEN = struct.Struct("!I")
Message = tuple[Any, ...]
LOAD_EVERY_S = 1.0
RESTART_EVERY_S = 1.0  # the soonest a worker that keeps dying is started again
# not `-m`: the worker's classes must keep their module's name for pickle
_ENTRY = "from ringcast.telephony.media.workers import main; main()"


def _pack(message: Message) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LEN.pack(len(data)) + data


class _Outbox:
    """One end's writes, gathered: the messages of one event loop iteration leave in
    one write (one system call, one wake-up of the other process) at the end of it.

    At 300 CPS each call sent its ~10 commands (open, remote, play, stop, close...) as
    ~10 writes, ~3,000 a second, each waking the worker; a worker's clock tick sent
    each listened stream's frame as a write of its own. Order is kept (one list per
    end), so a clip still arrives before the play that names it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self._parts: list[bytes] = []
        self.writes = 0  # for tests: how many writes the messages took

    def put(self, message: Message) -> None:
        if not self._parts:
            asyncio.get_running_loop().call_soon(self.flush)
        self._parts.append(_pack(message))

    def flush(self) -> None:
        if not self._parts:
            return
        data, self._parts = b"".join(self._parts), []
        if not self.writer.is_closing():
            self.writer.write(data)
            self.writes += 1


async def _messages(reader: asyncio.StreamReader) -> AsyncIterator[Message]:
    """Each message from `reader` until end of file (an async generator)."""
    while True:
        try:
            head = await reader.readexactly(_LEN.size)
            body = await reader.readexactly(_LEN.unpack(head)[0])
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        message: Message = pickle.loads(body)
        yield message


# ---- the dialer side ---------------------------------------------------------------


@dataclass(slots=True)
class WorkerStats:
    """What `MediaWatch.verdict` reads of a stream, as the worker last reported it."""

    packets_sent: int = 0
    latched: int = 0
    reception: dict[str, float | int] = field(default_factory=dict)
    remote: tuple[str, int] | None = None
    timed_out: bool = False
    srtp_failed: int = 0
    srtcp_failed: int = 0


class _ForwardedPair(SrtpPair):
    """The dialer's view of a worker stream's SRTP keys: a re-INVITE's `rekey_rx`
    reaches the worker, which holds the real contexts."""

    __slots__ = ("_forward",)

    def __init__(self, tx: SrtpKey, rx: SrtpKey, forward: Callable[[SrtpKey], None]) -> None:
        super().__init__(tx, rx)
        self._forward = forward

    def rekey_rx(self, rx: SrtpKey) -> None:
        if rx != self.rx_key:
            self._forward(rx)
        super().rekey_rx(rx)


class WorkerStream:
    """A `MediaStream` whose RTP runs in a media worker (see the module docstring)."""

    def __init__(self, worker: _Worker, sid: int) -> None:
        self._worker = worker
        self._sid = sid
        self.local_host = ""
        self.local_port = 0
        self.on_dtmf: Callable[[str, DigitSource], None] | None = None
        self.on_media_timeout: Callable[[], None] | None = None
        self._media_timeout_ms: int | None = None
        self._sending = True
        self._plays: dict[int, asyncio.Future[bool]] = {}
        self._digits_out: dict[int, asyncio.Future[None]] = {}
        self._listeners: list[Callable[[Pcm], None]] = []
        self._ids = count()
        self.closed = False
        self.final: asyncio.Future[WorkerStats] = asyncio.get_running_loop().create_future()
        self.stats = WorkerStats()
        self._srtp: SrtpPair | None = None

    def _send(self, *message: Any) -> None:
        if not self.closed:
            self._worker.send(message)

    # attributes the channel sets: each a command
    @property
    def media_timeout_ms(self) -> int | None:
        return self._media_timeout_ms

    @media_timeout_ms.setter
    def media_timeout_ms(self, value: int | None) -> None:
        self._media_timeout_ms = value
        self._send("set", self._sid, "media_timeout_ms", value)

    @property
    def sending(self) -> bool:
        return self._sending

    @sending.setter
    def sending(self, value: bool) -> None:
        self._sending = value
        self._send("set", self._sid, "sending", value)

    # MediaWatch's reads (filled by the final statistics)
    @property
    def remote(self) -> tuple[str, int] | None:
        return self.stats.remote

    @property
    def timed_out(self) -> bool:
        return self.stats.timed_out

    def reception(self) -> dict[str, float | int]:
        return dict(self.stats.reception) or {"packetsReceived": 0}

    @property
    def srtp(self) -> SrtpPair | None:
        return self._srtp

    def set_srtp(self, pair: SrtpPair) -> None:
        """SRTP runs in the worker: it gets the keys and builds its own contexts."""
        self._srtp = _ForwardedPair(
            pair.tx_key, pair.rx_key, lambda rx: self._send("rekey", self._sid, rx)
        )
        self._send("srtp", self._sid, pair.tx_key, pair.rx_key)

    # commands
    def set_remote(
        self, host: str, port: int, payload_type: int, dtmf_payload_type: int | None
    ) -> None:
        self._send("remote", self._sid, host, port, payload_type, dtmf_payload_type)

    def play(self, clips: Sequence[Pcm]) -> asyncio.Future[bool]:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        for pending in self._plays.values():  # replaced, as RtpStream.play does
            if not pending.done():
                pending.set_result(False)
        self._plays.clear()
        if self.closed:
            future.set_result(False)
            return future
        play_id = next(self._ids)
        self._plays[play_id] = future
        keys = [self._worker.clip_key(c) for c in clips if len(c)]
        self._send("play", self._sid, play_id, keys)
        return future

    def stop_playback(self) -> None:
        self._send("stop", self._sid)

    def feed(self, frame: Pcm) -> None:
        self._send("feed", self._sid, np.asarray(frame, dtype=np.int16).tobytes())

    def send_dtmf(self, digit: str, duration_ms: int = 160) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.closed:
            future.set_result(None)
            return future
        req = next(self._ids)
        self._digits_out[req] = future
        self._send("dtmf", self._sid, req, digit, duration_ms)
        return future

    def add_listener(self, fn: Callable[[Pcm], None]) -> None:
        if fn not in self._listeners:
            self._listeners.append(fn)
            if len(self._listeners) == 1:
                self._send("listen", self._sid, True)

    def remove_listener(self, fn: Callable[[Pcm], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)
            if not self._listeners:
                self._send("listen", self._sid, False)

    def enable_inband_dtmf(self, on: bool) -> None:
        self._send("inband", self._sid, on)

    def accept_dtmf_payload_types(self, payload_types: frozenset[int]) -> None:
        self._send("dtmf_pts", self._sid, payload_types)

    def allow_source(self, host: str, port: int) -> None:
        self._send("allow", self._sid, host, port)

    def close(self) -> None:
        """Stop the stream; `final` resolves with its statistics."""
        if self.closed:
            return
        self._send("close", self._sid)
        self.closed = True
        self._resolve_pending()
        # nothing more to report (its statistics come in `final`): no cycle back to the
        # channel, as `RtpStream.close`
        self.on_dtmf = self.on_media_timeout = None
        self._listeners.clear()

    def _resolve_pending(self) -> None:
        for play in self._plays.values():
            if not play.done():
                play.set_result(False)
        self._plays.clear()
        for sent in self._digits_out.values():
            if not sent.done():
                sent.set_result(None)
        self._digits_out.clear()

    # events from the worker
    def _event(self, kind: str, args: tuple[Any, ...]) -> None:
        if kind == "frame":
            frame = np.frombuffer(args[0], dtype=np.int16) if args[0] else LOST_FRAME
            for fn in list(self._listeners):
                fn(frame)
        elif kind == "played":
            play = self._plays.pop(args[0], None)
            if play is not None and not play.done():
                play.set_result(bool(args[1]))
        elif kind == "digit":
            if self.on_dtmf is not None:
                self.on_dtmf(args[0], args[1])
        elif kind == "dtmf_sent":
            sent = self._digits_out.pop(args[0], None)
            if sent is not None and not sent.done():
                sent.set_result(None)
        elif kind == "timeout":
            self.stats.timed_out = True
            if self.on_media_timeout is not None:
                self.on_media_timeout()
        elif kind == "closed":
            self.stats = args[0]
            if not self.final.done():
                self.final.set_result(self.stats)

    def _lost(self) -> None:
        """The worker died: this call's media is gone."""
        was_closed = self.closed
        self.closed = True
        self._resolve_pending()
        self.stats.timed_out = True
        if not self.final.done():
            self.final.set_result(self.stats)
        if not was_closed and self.on_media_timeout is not None:
            self.on_media_timeout()


class _Worker:
    """One worker process and the dialer's end of its socket."""

    def __init__(self, proc: subprocess.Popen[bytes], writer: asyncio.StreamWriter) -> None:
        self.proc = proc
        self.writer = writer
        self.outbox = _Outbox(writer)
        self.streams: dict[int, WorkerStream] = {}
        self.opening: dict[int, asyncio.Future[tuple[str, int]]] = {}
        self.clips: dict[int, weakref.ref[Pcm]] = {}
        self.late_ms = 0.0
        self.clock = ClockStats()  # the worker's media clock, as last reported
        self.alive = True
        self.on_death: Callable[[], None] | None = None
        self.reader_task: asyncio.Task[None] | None = None

    @classmethod
    async def spawn(cls) -> tuple[_Worker, asyncio.StreamReader]:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        proc = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            start_new_session=True,  # a Ctrl-C for the dialer must not cut live calls' media
        )
        theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours)
        return cls(proc, writer), reader

    def send(self, message: Message) -> None:
        if self.alive:
            self.outbox.put(message)

    def clip_key(self, clip: Pcm) -> int:
        """The clip's key in the worker, sending it the first time."""
        key = id(clip)
        ref = self.clips.get(key)
        if ref is not None and ref() is clip:
            return key
        try:
            self.clips[key] = weakref.ref(clip, functools.partial(self._forget, key))
        except TypeError:  # not weak-referenceable: sent each time, forgotten after
            self.clips.pop(key, None)
        self.send(("clip", key, np.asarray(clip, dtype=np.int16).tobytes()))
        return key

    def _forget(self, key: int, _ref: object = None) -> None:
        self.clips.pop(key, None)
        self.send(("forget", key))

    async def open_stream(self, sid: int, options: dict[str, Any]) -> WorkerStream:
        future: asyncio.Future[tuple[str, int]] = asyncio.get_running_loop().create_future()
        self.opening[sid] = future
        self.send(("open", sid, options))
        host, port = await future
        stream = WorkerStream(self, sid)
        stream.local_host, stream.local_port = host, port
        self.streams[sid] = stream
        return stream

    async def read(self, reader: asyncio.StreamReader) -> None:
        try:
            await self._read(reader)
        except Exception:  # a bad message: treat the worker as gone, not the dialer
            log.exception("media worker %s: unreadable message", self.proc.pid)
        self._died()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        async for message in _messages(reader):
            kind, sid, *args = message
            if kind == "load":
                self.late_ms = float(sid)
                if args and isinstance(args[0], ClockStats):
                    self.clock = args[0]
            elif kind == "opened":
                opening = self.opening.pop(sid, None)
                if opening is not None and not opening.done():
                    opening.set_result((args[0], args[1]))
            elif kind == "open_failed":
                opening = self.opening.pop(sid, None)
                if opening is not None and not opening.done():
                    opening.set_exception(OSError(args[0]))
            else:
                stream = self.streams.get(sid)
                if stream is not None:
                    stream._event(kind, tuple(args))
                    if kind == "closed":
                        del self.streams[sid]

    def _died(self) -> None:
        if not self.alive:
            return
        self.alive = False
        log.error("media worker %s ended; its %d calls lost their media",
                  self.proc.pid, len(self.streams))  # fmt: skip
        for opening in self.opening.values():
            if not opening.done():
                opening.set_exception(OSError("media worker ended"))
        for stream in list(self.streams.values()):
            stream._lost()
        self.streams.clear()
        if self.on_death is not None:
            self.on_death()

    async def close(self) -> None:
        self.outbox.flush()  # the last commands (a stream's close) still go
        self.alive = False
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()
        try:
            await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 5)
        except TimeoutError:
            self.proc.kill()
            await asyncio.to_thread(self.proc.wait)
        if self.reader_task is not None:
            self.reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader_task


class MediaWorkers:
    """The dialer's pool of media worker processes."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.workers: list[_Worker] = []
        self._sids = count(1)
        self._replacing: set[asyncio.Task[None]] = set()
        self._topping_up = asyncio.Lock()
        self._closing = False
        self._restarted_at = float("-inf")
        self.restarts = 0
        """Workers started in place of one that died."""
        self.retired = ClockStats()
        """The clocks of workers that died or were closed, as they last reported."""

    @classmethod
    async def start(cls, size: int) -> MediaWorkers:
        pool = cls(max(1, size))
        for _ in range(pool.size):
            await pool._add()
        return pool

    async def _add(self) -> _Worker:
        worker, reader = await _Worker.spawn()
        worker.on_death = self._on_death
        worker.reader_task = asyncio.get_running_loop().create_task(worker.read(reader))
        self.workers.append(worker)
        return worker

    def _on_death(self) -> None:
        """A worker died: start its replacement now, not at the next call."""
        if not self._closing:
            task = asyncio.get_running_loop().create_task(self._top_up())
            self._replacing.add(task)
            task.add_done_callback(self._replacing.discard)

    async def _top_up(self) -> None:
        """Forget the dead workers and start new ones up to `size`."""
        async with self._topping_up:
            for dead in [w for w in self.workers if not w.alive]:
                self.workers.remove(dead)
                add_stats(self.retired, dead.clock)
                await dead.close()
            while len(self.workers) < self.size and not self._closing:
                wait = self._restarted_at + RESTART_EVERY_S - time.monotonic()
                if wait > 0:  # one that keeps dying is not restarted in a tight loop
                    await asyncio.sleep(wait)
                self._restarted_at = time.monotonic()
                worker = await self._add()
                self.restarts += 1
                log.warning("media worker %s started in place of one that ended", worker.proc.pid)

    @property
    def streams(self) -> int:
        return sum(len(w.streams) for w in self.workers)

    @property
    def alive(self) -> int:
        return sum(1 for w in self.workers if w.alive)

    def late_ms(self) -> float:
        """The worst recent media clock lateness among the workers (overload control)."""
        return max((w.late_ms for w in self.workers if w.alive), default=0.0)

    def clock_stats(self) -> ClockStats:
        """Every worker's media clock added up (the histogram, ticks, skipped ticks; the
        worst lateness), dead workers' last report included: for /metrics."""
        total = dataclasses.replace(self.retired, late_buckets=list(self.retired.late_buckets))
        for worker in self.workers:
            add_stats(total, worker.clock)
        return total

    async def open_stream(
        self,
        host: str = "127.0.0.1",
        *,
        advertised_host: str | None = None,
        latching: bool = True,
        strict_hosts: frozenset[str] | None = None,
        hold_timeout_ms: int | None = None,
    ) -> WorkerStream:
        """A stream on the least busy worker (a dead one is replaced first)."""
        if len(self.workers) < self.size or any(not w.alive for w in self.workers):
            await self._top_up()
        alive = [w for w in self.workers if w.alive]
        if not alive:  # the channel fails the dial (like no free RTP port), not the flow
            raise OSError("no media worker running")
        worker = min(alive, key=lambda w: len(w.streams) + len(w.opening))
        options = {
            "host": host,
            "advertised_host": advertised_host,
            "latching": latching,
            "strict_hosts": strict_hosts,
            "hold_timeout_ms": hold_timeout_ms,
        }
        return await worker.open_stream(next(self._sids), options)

    async def close(self) -> None:
        self._closing = True
        for task in list(self._replacing):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for worker in self.workers:
            await worker.close()
        self.workers.clear()


def add_stats(total: ClockStats, part: ClockStats) -> None:
    """Add one clock's figures into `total` (the recent lateness: the worst)."""
    total.ticks += part.ticks
    total.skipped_ticks += part.skipped_ticks
    total.max_late_ms = max(total.max_late_ms, part.max_late_ms)
    for i, n in enumerate(part.late_buckets):
        total.late_buckets[i] += n
    total.late_sum_ms += part.late_sum_ms
    total.late_ticks += part.late_ticks
    total.recent_late_ms = max(total.recent_late_ms, part.recent_late_ms)


# ---- the worker side -----------------------------------------------------------------


class _Served:
    """The worker's end: RtpStreams on its own clock, driven by the dialer's commands."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.outbox = _Outbox(writer)
        self.clock = MediaClock()
        self.streams: dict[int, RtpStream] = {}
        self.clips: dict[int, Pcm] = {}
        self.listeners: dict[int, Callable[[Pcm], None]] = {}

    def send(self, *message: Any) -> None:
        self.outbox.put(message)

    async def handle(self, message: Message) -> None:
        kind, *args = message
        if kind == "clip":
            self.clips[args[0]] = np.frombuffer(args[1], dtype=np.int16)
            return
        if kind == "forget":
            self.clips.pop(args[0], None)
            return
        if kind == "open":
            await self._open(args[0], args[1])
            return
        stream = self.streams.get(args[0])
        if stream is None:
            return
        sid = args[0]
        if kind == "remote":
            stream.set_remote(*args[1:])
        elif kind == "play":
            clips = [self.clips[k] for k in args[2] if k in self.clips]
            future = stream.play(clips)
            play_id = args[1]
            future.add_done_callback(lambda f: self.send("played", sid, play_id, f.result()))
        elif kind == "stop":
            stream.stop_playback()
        elif kind == "feed":
            stream.feed(np.frombuffer(args[1], dtype=np.int16))
        elif kind == "dtmf":
            req = args[1]
            stream.send_dtmf(args[2], args[3]).add_done_callback(
                lambda _f: self.send("dtmf_sent", sid, req)
            )
        elif kind == "listen":
            self._listen(sid, stream, args[1])
        elif kind == "inband":
            stream.enable_inband_dtmf(args[1])
        elif kind == "dtmf_pts":
            stream.accept_dtmf_payload_types(args[1])
        elif kind == "allow":
            stream.allow_source(args[1], args[2])
        elif kind == "set":
            setattr(stream, args[1], args[2])
        elif kind == "srtp":
            stream.set_srtp(SrtpPair(args[1], args[2]))
        elif kind == "rekey":
            if stream.srtp is not None:
                stream.srtp.rekey_rx(args[1])
        elif kind == "close":
            stream.close()
            del self.streams[sid]
            self.listeners.pop(sid, None)
            self.send("closed", sid, _final(stream))

    async def _open(self, sid: int, options: dict[str, Any]) -> None:
        try:
            stream = await RtpStream.open(
                self.clock, options["host"], advertised_host=options["advertised_host"]
            )
        except OSError as exc:
            self.send("open_failed", sid, str(exc))
            return
        stream.latching = options["latching"]
        stream.strict_hosts = options["strict_hosts"]
        stream.hold_timeout_ms = options["hold_timeout_ms"]
        stream.on_dtmf = lambda digit, source: self.send("digit", sid, digit, source)
        stream.on_media_timeout = lambda: self.send("timeout", sid)
        self.streams[sid] = stream
        self.send("opened", sid, stream.local_host, stream.local_port)

    def _listen(self, sid: int, stream: RtpStream, on: bool) -> None:
        fn = self.listeners.pop(sid, None)
        if fn is not None:
            stream.remove_listener(fn)
        if on:

            def forward(frame: Pcm) -> None:
                if frame is LOST_FRAME:  # b"": lost, not silence (channel.LOST_FRAME)
                    self.send("frame", sid, b"")
                else:
                    self.send("frame", sid, np.asarray(frame, dtype=np.int16).tobytes())

            self.listeners[sid] = forward
            stream.add_listener(forward)

    async def report_load(self) -> None:
        while True:
            await asyncio.sleep(LOAD_EVERY_S)
            stats = self.clock.stats
            snapshot = dataclasses.replace(
                stats, late_buckets=list(stats.late_buckets), late_ms=[], work_ms=[]
            )
            self.send("load", stats.recent_late_ms, snapshot)

    def close(self) -> None:
        for stream in self.streams.values():
            stream.close()
        self.clock.close()


def _final(stream: RtpStream) -> WorkerStats:
    return WorkerStats(
        packets_sent=stream.stats.packets_sent,
        latched=stream.stats.latched,
        reception=stream.reception(),
        remote=stream.remote,
        timed_out=stream.timed_out,
        srtp_failed=stream.stats.srtp_failed,
        srtcp_failed=stream.stats.srtcp_failed,
    )


async def serve(fd: int) -> None:
    """A worker's life: serve the dialer on socket `fd` until it closes."""
    sock = socket.socket(fileno=fd)
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    served = _Served(writer)
    load = asyncio.get_running_loop().create_task(served.report_load())
    try:
        async for message in _messages(reader):
            try:
                await served.handle(message)
            except Exception:  # one bad command must not end every call's media
                log.exception("media worker: command %s failed", message[0])
    finally:
        load.cancel()
        served.close()


def main() -> None:
    logging.basicConfig(level=os.environ.get("RINGCAST_LOG_LEVEL", "WARNING"))
    prepare_fds()  # before its threads start (kit/fds.py)
    wanted = os.environ.get("RINGCAST_MEDIA_PRIORITY", "normal")
    if wanted in media_priority.LEVELS:  # set by the dialer (cli/dialer.py)
        media_priority.apply(wanted)
    # the dialer's RINGCAST_EVENT_LOOP (cli/dialer.py): `auto` is uvloop here, where the
    # loop does nothing but RTP (1,000 calls on 2 workers, pairs at load 2.5-7.6: wire
    # jitter p99 20.0 -> 9.5 ms and 105 -> 21 ms, frames per CPU-second +5-9 %)
    choice = os.environ.get("RINGCAST_EVENT_LOOP", "auto")
    with contextlib.suppress(KeyboardInterrupt):
        event_loop.run(serve(int(sys.argv[1])), event_loop.parse(choice))


if __name__ == "__main__":
    main()
