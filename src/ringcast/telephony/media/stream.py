"""One call's RTP/G.711 media: a UDP socket, driven by the shared media clock.

Theory of operation. Sending: once the remote is known the stream registers
with the `MediaClock`; every tick it sends exactly one 20 ms packet: the next
160-byte slice of the playing prompt (encoded once, when `play` was called), a
DTMF frame while a digit is being sent (the prompt pauses meanwhile), or a
silence frame when nothing plays, so the far end's jitter buffer and any NAT
keep going. The header is packed into one reused buffer; sequence number
(+1 a packet) and timestamp (+160 a frame period, also across skipped ticks)
run on from a random start for the life of the stream, whatever plays, and the
marker bit flags the first packet and the first audio frame after silence.

Receiving: a datagram that does not come from the negotiated remote address
(or one allowed with `allow_source`) is dropped, as is any payload type other
than the negotiated audio and telephone-event ones. Audio is decoded only when
someone listens (recorder, AMD, in-band DTMF detector) and then once for all
listeners, kept on the sender's timeline (losses filled with silence, late
packets dropped: `timeline.py`). Telephone events become one digit per event.
The in-band detector is the costly listener (~20 us a frame): the channel turns it
on only while the flow listens for keys. The last few audio packets are kept as
they come (a reference each, nothing decoded), so a detector switched on mid-call
first hears the 80 ms before: a key pressed just before is not cut short, and one
already complete then counts as heard while no one listened, as it would have with
a detector running all along.
Malformed packets are counted and dropped; nothing raised on receipt escapes.

I/O is as thin as asyncio allows: a non-blocking socket, `sock.sendto` called
directly from the tick (a send that would block is dropped and counted, never
queued: a late frame is worse than a lost one), and `loop.add_reader` reading one datagram per
wake-up instead of a transport/protocol pair: about half the per-packet cost
of `create_datagram_endpoint` (see bench/media_pacing.py).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import struct
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ringcast.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from ringcast.telephony.channel import DigitSource, Pcm
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.dtmf_inband import DtmfDetector
from ringcast.telephony.media.dtmf_sender import FRAME_SAMPLES, DtmfJob
from ringcast.telephony.media.rfc4733 import EventDeduplicator, parse_event
from ringcast.telephony.media.rtp import RTP_HEADER, RtpParseError, payload_bounds
from ringcast.telephony.media.timeline import InboundTimeline
from ringcast.telephony.media.udp import bind_rtp_socket

log = logging.getLogger(__name__)

PCMU = 0
PCMA = 8
_CODECS: dict[int, tuple[Callable[[Pcm], bytes], Callable[[bytes], Pcm], int]] = {
    PCMU: (ulaw_encode, ulaw_decode, 0xFF),
    PCMA: (alaw_encode, alaw_decode, 0xD5),
}
_HEADER = RTP_HEADER.size
_PACKET = _HEADER + FRAME_SAMPLES
_MASK32 = 0xFFFFFFFF
_MAX_DATAGRAM = 2048
_SSRC_TS = struct.Struct("!II")  # timestamp, SSRC at offset 4
_PREROLL_PACKETS = 4
_LIVE_FRAMES = 4
"""Live frames (`feed`) waiting to be sent, at most: 80 ms; older ones are dropped."""
"""Audio packets a detector switched on hears first: 80 ms at 20 ms a packet, more
than the 40 ms a digit needs plus the detector's window."""


def _not_open(data: bytes | bytearray, addr: tuple[str, int]) -> int:
    raise OSError("RTP stream is not open")


class MediaError(Exception):
    """Base of the media layer's errors."""


@dataclass(slots=True)
class StreamStats:
    packets_sent: int = 0
    packets_received: int = 0
    dropped_source: int = 0
    dropped_payload_type: int = 0
    malformed: int = 0
    late: int = 0
    send_errors: int = 0
    digits_received: int = 0


class RtpStream:
    """See the module docstring. Create with `await RtpStream.open(clock)`."""

    def __init__(self, clock: MediaClock) -> None:
        self._clock = clock
        self.local_host = ""
        self.local_port = 0
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sendto: Callable[[bytes | bytearray, tuple[str, int]], int] = _not_open
        self._remote: tuple[str, int] | None = None
        self._extra_sources: set[tuple[str, int]] = set()
        self._payload_type = PCMU
        self._dtmf_payload_type: int | None = None
        self._dtmf_also: frozenset[int] = frozenset()  # telephone-event PTs we offered
        self.sending = True  # False while the far end holds the call (RFC 3264 §8.4)
        self._encode, self._decode, silence = _CODECS[PCMU]
        self._silence = bytes([silence]) * FRAME_SAMPLES
        self._ssrc = secrets.randbits(32)
        self._seq = secrets.randbits(16)
        self._ts = secrets.randbits(32)
        self._buf = bytearray(_PACKET)
        self._buf[_HEADER:] = self._silence
        self._buf_silent = True
        self._first = 0x80  # marker bits, kept as the byte value to OR in
        self._talkspurt = 0x80
        # playback
        self._pcm: Pcm | None = None
        self._audio = memoryview(b"")
        self._pos = 0
        self._end = 0
        self._play_future: asyncio.Future[bool] | None = None
        # live audio from a bridge's other leg (`feed`), sent while nothing plays
        self._live: deque[bytes] = deque(maxlen=_LIVE_FRAMES)
        # DTMF out
        self._dtmf_jobs: deque[DtmfJob] = deque()
        # receive
        self._listeners: list[Callable[[Pcm], None]] = []
        self._timeline = InboundTimeline()
        self._carry: Pcm = np.zeros(0, dtype=np.int16)  # samples short of a 20 ms frame
        self._dedup = EventDeduplicator()
        self._inband: DtmfDetector | None = None
        self._recent: deque[bytes] = deque(maxlen=_PREROLL_PACKETS)
        self.on_dtmf: Callable[[str, DigitSource], None] | None = None
        self.on_media_timeout: Callable[[], None] | None = None
        self.media_timeout_ms: int | None = None
        self.last_packet_at: float = 0.0
        """Loop time (`clock.time()`) of the last accepted packet, or of `set_remote`."""
        self._timed_out = False
        self.stats = StreamStats()
        self.closed = False

    # ---- lifecycle ---------------------------------------------------------

    @classmethod
    async def open(cls, clock: MediaClock, host: str = "127.0.0.1", port: int = 0) -> RtpStream:
        """Bind a UDP socket (an even port when `port` is 0) and return the stream."""
        loop = asyncio.get_running_loop()
        stream = cls(clock)
        sock = bind_rtp_socket(host, port)
        stream._sock, stream._loop = sock, loop
        stream._sendto = sock.sendto
        loop.add_reader(sock.fileno(), stream._on_readable)
        stream.local_host, stream.local_port = sock.getsockname()[:2]
        return stream

    def close(self) -> None:
        """Stop sending, release the socket; pending futures resolve (play → False)."""
        if self.closed:
            return
        self.closed = True
        self._clock.unregister(self)
        self._finish_playback(False)
        while self._dtmf_jobs:
            job = self._dtmf_jobs.popleft()
            if not job.future.done():
                job.future.set_result(None)
        if self._sock is not None and self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()

    # ---- negotiation -------------------------------------------------------

    @property
    def remote(self) -> tuple[str, int] | None:
        return self._remote

    def set_remote(
        self, host: str, port: int, payload_type: int, dtmf_payload_type: int | None
    ) -> None:
        """Where to send and what was negotiated (0 = PCMU, 8 = PCMA); starts sending.

        `host` must be an IP literal: received packets are matched against it.
        Calling it again (re-INVITE) switches codec mid-prompt without a gap.
        """
        if payload_type not in _CODECS:
            raise MediaError(f"unsupported audio payload type {payload_type}")
        self._remote = (host, port)
        if payload_type != self._payload_type:
            self._payload_type = payload_type
            self._encode, self._decode, silence = _CODECS[payload_type]
            self._silence = bytes([silence]) * FRAME_SAMPLES
            self._buf[_HEADER:] = self._silence
            self._buf_silent = True
            if self._pcm is not None and self._pos < self._end:
                self._audio = memoryview(self._encode_padded(self._pcm))
        self._dtmf_payload_type = dtmf_payload_type
        if not self.closed:
            self.last_packet_at = self._clock.time()
            self._timed_out = False
            self._clock.register(self)

    def accept_dtmf_payload_types(self, payload_types: frozenset[int]) -> None:
        """Also read telephone-event on these PTs: the ones *our* SDP declared, which a
        far end following RFC 3264 sends with while its answer names another."""
        self._dtmf_also = payload_types

    def allow_source(self, host: str, port: int) -> None:
        """Also accept RTP from this address (e.g. sipp sends RFC 2833 from port 0)."""
        self._extra_sources.add((host, port))

    # ---- sending -----------------------------------------------------------

    def _encode_padded(self, pcm: Pcm) -> bytes:
        data = self._encode(pcm)
        pad = (-len(data)) % FRAME_SAMPLES
        return data + self._silence[:pad] if pad else data

    def play(self, clips: Sequence[Pcm]) -> asyncio.Future[bool]:
        """Play clips back to back, replacing what plays; True when played to the end."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._finish_playback(False)
        pcm = np.concatenate([np.asarray(c, dtype=np.int16) for c in clips]) if clips else None
        if pcm is None or pcm.size == 0 or self.closed:
            future.set_result(not self.closed)
            return future
        self._pcm = pcm
        self._audio = memoryview(self._encode_padded(pcm))
        self._pos, self._end = 0, len(self._audio)
        self._play_future = future
        return future

    def stop_playback(self) -> None:
        self._finish_playback(False)

    def _finish_playback(self, completed: bool) -> None:
        future, self._play_future = self._play_future, None
        self._pos = self._end = 0
        self._pcm = None
        if future is not None and not future.done():
            future.set_result(completed)

    def feed(self, frame: Pcm) -> None:
        """Queue one 20 ms frame of live audio (a bridge relays the other leg's
        frames here); sent on the next ticks unless a playback or a digit is going.
        At most 80 ms wait: late audio is useless, the oldest frame is dropped."""
        if len(frame) == FRAME_SAMPLES:
            self._live.append(self._encode(frame))

    def send_dtmf(self, digit: str, duration_ms: int = 160) -> asyncio.Future[None]:
        """Send a digit (RFC 4733 if negotiated, else in-band); queued after earlier ones."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._dtmf_jobs.append(DtmfJob(digit, duration_ms, future))
        return future

    def tick(self, frames: int) -> None:
        """Clock hot path: send exactly one packet."""
        if frames != 1:
            self._ts = (self._ts + FRAME_SAMPLES * (frames - 1)) & _MASK32
        if self._dtmf_jobs:
            self._tick_dtmf()
            return
        buf = self._buf
        pos = self._pos
        if pos < self._end:
            end = pos + FRAME_SAMPLES
            buf[_HEADER:] = self._audio[pos:end]
            self._buf_silent = False
            marker = self._talkspurt | self._first
            self._talkspurt = 0
            self._pos = end
        elif self._live:
            buf[_HEADER:] = self._live.popleft()
            self._buf_silent = False
            marker = self._talkspurt | self._first
            self._talkspurt = 0
        else:
            if not self._buf_silent:
                buf[_HEADER:] = self._silence
                self._buf_silent = True
            marker = self._first
            self._talkspurt = 0x80
        self._first = 0
        RTP_HEADER.pack_into(
            buf, 0, 0x80, marker | self._payload_type, self._seq, self._ts, self._ssrc
        )
        if self.sending:
            try:
                self._sendto(buf, self._remote)  # type: ignore[arg-type]
            except OSError:
                # A full socket buffer (late media is useless: drop it, never queue)
                # or an ICMP error from a far end that is gone; the call goes on.
                self.stats.send_errors += 1
            self._seq = (self._seq + 1) & 0xFFFF
            self.stats.packets_sent += 1
        self._ts = (self._ts + FRAME_SAMPLES) & _MASK32
        if pos < self._end and self._pos >= self._end:
            self._finish_playback(True)

    def _tick_dtmf(self) -> None:
        job = self._dtmf_jobs[0]
        frame = job.next_frame(self._ts, self._dtmf_payload_type, self._encode)
        if frame is None:
            self._dtmf_jobs.popleft()
            if not job.future.done():
                job.future.set_result(None)
            if self._dtmf_jobs:
                self._tick_dtmf()
                return
            self._talkspurt = 0x80  # audio after the digit starts a new talkspurt
            self.tick(1)
            return
        if frame.event and self._dtmf_payload_type is not None:
            payload_type = self._dtmf_payload_type
        else:
            payload_type = self._payload_type
        ts = self._ts if frame.timestamp is None else frame.timestamp
        packet = RTP_HEADER.pack(
            0x80, (0x80 if frame.marker else 0) | payload_type, self._seq, ts, self._ssrc
        )
        try:
            self._sendto(packet + frame.payload, self._remote)  # type: ignore[arg-type]
        except OSError:
            self.stats.send_errors += 1
        self._seq = (self._seq + 1) & 0xFFFF
        self._ts = (self._ts + FRAME_SAMPLES) & _MASK32
        self.stats.packets_sent += 1

    def housekeep(self, now: float) -> None:
        timeout_ms = self.media_timeout_ms
        if timeout_ms is None or self._timed_out or self.on_media_timeout is None:
            return
        if (now - self.last_packet_at) * 1000 >= timeout_ms:
            self._timed_out = True
            self.on_media_timeout()

    # ---- receiving ---------------------------------------------------------

    def add_listener(self, fn: Callable[[Pcm], None]) -> None:
        """`fn` gets each inbound audio frame, decoded to 8 kHz PCM.

        Lost packets (and DTX pauses) arrive as silence, late ones are dropped,
        so a listener's sample count follows the sender's clock (`timeline.py`).
        """
        if not self._listeners:
            self._timeline.reset()  # nobody followed the timeline while unheard
            self._carry = self._carry[:0]
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[Pcm], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def enable_inband_dtmf(self, on: bool) -> None:
        """Run the Goertzel detector on inbound audio; digits go to `on_dtmf`.

        On: a new detector, primed with the last packets (module docstring). Off:
        the detector and any half-heard digit are dropped.
        """
        if on and self._inband is None:
            detector = DtmfDetector(lambda digit: self._emit_digit(digit, "inband"))
            detector.prime(self._recent_audio())
            self._inband = detector
            self.add_listener(detector.feed)
        elif not on and self._inband is not None:
            self.remove_listener(self._inband.feed)
            self._inband = None

    def _recent_audio(self) -> Pcm:
        parts = []
        for data in self._recent:
            try:
                start, end = payload_bounds(data)
            except RtpParseError:
                continue
            parts.append(self._decode(data[start:end]))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def _emit_digit(self, digit: str, source: DigitSource) -> None:
        self.stats.digits_received += 1
        if self.on_dtmf is not None:
            self.on_dtmf(digit, source)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        remote = self._remote
        if (remote is None or addr[1] != remote[1] or addr[0] != remote[0]) and addr[
            :2
        ] not in self._extra_sources:
            self.stats.dropped_source += 1
            return
        if len(data) < _HEADER or data[0] & 0xC0 != 0x80:
            self.stats.malformed += 1
            return
        payload_type = data[1] & 0x7F
        if payload_type == self._payload_type:
            self.last_packet_at = self._clock.now
            self.stats.packets_received += 1
            self._recent.append(data)
            if self._listeners:
                self._deliver_audio(data)
        elif payload_type == self._dtmf_payload_type or payload_type in self._dtmf_also:
            self.last_packet_at = self._clock.now
            self.stats.packets_received += 1
            self._receive_event(data)
        else:
            self.stats.dropped_payload_type += 1

    def _deliver_audio(self, data: bytes) -> None:
        try:
            start, end = payload_bounds(data)
        except RtpParseError:
            self.stats.malformed += 1
            return
        pcm = self._decode(data[start:end])
        timestamp, ssrc = _SSRC_TS.unpack_from(data, 4)
        fill = self._timeline.place(ssrc, timestamp, pcm.size)
        if fill is None:
            self.stats.late += 1
            return
        frames: Sequence[Pcm]
        if fill or pcm.size != FRAME_SAMPLES or self._carry.size:
            frames = self._reframe(fill, pcm)
        else:  # the usual case: one packet, one 20 ms frame
            frames = (pcm,)
        for listener in tuple(self._listeners):
            for frame in frames:
                try:
                    listener(frame)
                except Exception:
                    log.exception("media listener failed")

    def _reframe(self, fill: int, pcm: Pcm) -> list[Pcm]:
        """Listeners get 20 ms frames whatever the peer's packet size or our gap
        filling: samples are joined and cut at 160, a remainder waits for more."""
        parts = [self._carry] if self._carry.size else []
        if fill:
            parts.append(np.zeros(fill, dtype=np.int16))
        parts.append(pcm)
        joined = np.concatenate(parts) if len(parts) > 1 else pcm
        whole = joined.size - joined.size % FRAME_SAMPLES
        self._carry = joined[whole:].copy()
        return [joined[i : i + FRAME_SAMPLES] for i in range(0, whole, FRAME_SAMPLES)]

    def _receive_event(self, data: bytes) -> None:
        try:
            start, end = payload_bounds(data)
            event = parse_event(data[start:end])
        except RtpParseError:
            self.stats.malformed += 1
            return
        timestamp = int.from_bytes(data[4:8], "big")
        digit = self._dedup.feed(timestamp, event)
        if digit is not None:
            self._emit_digit(digit, "rfc4733")

    def _on_readable(self) -> None:
        # One datagram per wake-up: the selector is level-triggered, so anything
        # left is read on the next loop pass, and the common case (one packet per
        # 20 ms) costs one recvfrom, not a second one failing with EAGAIN.
        try:
            data, addr = self._sock.recvfrom(_MAX_DATAGRAM)  # type: ignore[union-attr]
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            # ICMP port unreachable while the far end is not (yet / any more) there.
            log.debug("RTP socket error on port %s: %s", self.local_port, exc)
            return
        self.datagram_received(data, addr)
