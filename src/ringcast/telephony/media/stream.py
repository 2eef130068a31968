"""One call's RTP/G.711 media: a UDP socket, driven by the shared media clock.

Theory of operation. Sending: once the remote is known the stream registers
with the `MediaClock`; every tick it sends exactly one 20 ms packet: the next
160-byte slice of the playing prompt (encoded once per process and codec and
shared by every call playing the same clips: `shared_audio.py`), a
DTMF frame while a digit is being sent (the prompt pauses meanwhile), or a
silence frame when nothing plays, so the far end's jitter buffer and any NAT
keep going. The header is packed into one reused buffer; sequence number
(+1 a packet) and timestamp (+160 a frame period, also across skipped ticks)
run on from a random start for the life of the stream, whatever plays, and the
marker bit flags the first packet and the first audio frame after silence.
When the clock fires late (a stalled loop), the prompt's or digit's frames that
were due are sent at once, at most `MAX_CATCHUP_FRAMES` extra: the far end hears
the prompt with contiguous timestamps instead of a gap it would fill with
silence (which, in a pause between two clips, a callee takes for the prompt's
end); past the bound the oldest due audio is dropped with its timestamps, so the
audio position follows real time. Due silence is skipped (the timestamp jumps).

Receiving: a datagram must look like RTP (version 2, long enough) with the
negotiated audio or telephone-event payload type, or it is dropped and changes
nothing. Symmetric RTP (`latching`, on by default): the far end's real media
address is learned from its packets, as every SBC and NAT requires (the SDP
often names an address the RTP does not come from): the first valid packet from
anywhere becomes the remote we send to, unless it already comes from the SDP's
address; once a source is heard, another one is adopted only after
`LATCH_PACKETS` consecutive valid packets from it (a stray or spoofed packet does
not steal the stream). With `strict_hosts`, only sources on those IPs (plus the
SDP's) may be latched. Without latching, only the SDP's address (and those
allowed with `allow_source`) is heard. Each accepted packet updates the receive
statistics of RFC 3550 (extended highest sequence number, loss, interarrival
jitter, A.1/A.8): `reception()`. RTCP (`rtcp.py`) on the RTP port + 1 when it is
free: every `rtcp_interval_s` (checked on the clock's once-a-second housekeeping) a
sender report with a reception report block about the far end's stream goes to
where its RTCP comes from (else its RTP port + 1); its SR/RR packets are read, and
the block about our stream is kept as `remote_report` (what the far end heard). Audio is decoded only when
someone listens (recorder, AMD, in-band DTMF detector) and then once for all
listeners, kept on the sender's timeline (gaps filled, late packets dropped:
`timeline.py`): a pause the far end did not send (DTX) as silence, 20 ms the
network lost (a sequence gap) as `LOST_FRAME`, zeros marked lost for AMD. Telephone events become one digit per event.
The in-band detector is the costly listener (~20 us a frame): the channel turns it
on only while the flow listens for keys. The last few audio packets are kept as
they come (a reference each, nothing decoded), so a detector switched on mid-call
first hears the 80 ms before: a key pressed just before is not cut short, and one
already complete then counts as heard while no one listened, as it would have with
a detector running all along.
Malformed packets are counted and dropped; nothing raised on receipt escapes.

SRTP (`srtp.py`, keys from SDES): `set_srtp(pair)` before `set_remote` makes the
stream secure for good. The send function every packet goes through (`_sendto`,
RTP and DTMF alike) is swapped for one that protects first, each datagram read is
authenticated and decrypted before anything else looks at it (a clear, forged or
replayed packet is counted in `srtp_failed`, `srtcp_failed` for RTCP, and dropped,
so it cannot latch the stream either), and RTCP is protected and unprotected the same way (SRTCP). The
rest of the stream never sees a protected byte.

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
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ringcast.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from ringcast.telephony.channel import LOST_FRAME, DigitSource, Pcm
from ringcast.telephony.media import shared_audio
from ringcast.telephony.media.clock import CATCH_UP_MS, MediaClock
from ringcast.telephony.media.dtmf_inband import DtmfDetector
from ringcast.telephony.media.dtmf_sender import FRAME_SAMPLES, DtmfJob
from ringcast.telephony.media.rfc4733 import EventDeduplicator, parse_event
from ringcast.telephony.media.rtcp import (
    SR,
    ReportBlock,
    RtcpParseError,
    parse_reports,
    sender_report,
)
from ringcast.telephony.media.rtp import RTP_HEADER, RtpParseError, payload_bounds
from ringcast.telephony.media.srtp import SrtpError, SrtpPair
from ringcast.telephony.media.timeline import Gap, InboundTimeline
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
MAX_CATCHUP_FRAMES = CATCH_UP_MS // 20
"""When the clock fires late, the frames that were due are sent at once, up to this
many extra (200 ms); older due audio is dropped with its timestamps (see `tick`)."""
_LIVE_FRAMES = 2
"""Live frames (`feed`) waiting to be sent, at most: 40 ms; older ones are dropped. The
far end sends at its own 50/s, so a backlog a burst of jitter left never drains by
itself: bounded here, a bridge adds at most 40 ms of queue (4 frames gave a steady
~60 ms, bench/bridge.py)."""
"""Audio packets a detector switched on hears first: 80 ms at 20 ms a packet, more
than the 40 ms a digit needs plus the detector's window."""


def _not_open(data: bytes | bytearray, addr: tuple[str, int]) -> int:
    raise OSError("RTP stream is not open")


class MediaError(Exception):
    """Base of the media layer's errors."""


LATCH_PACKETS = 5
"""Consecutive valid packets from a new source before a latched stream moves to it."""


@dataclass(slots=True)
class StreamStats:
    packets_sent: int = 0
    packets_received: int = 0
    latched: int = 0  # times the remote moved to where the RTP comes from
    dropped_source: int = 0
    dropped_payload_type: int = 0
    malformed: int = 0
    late: int = 0
    send_errors: int = 0
    digits_received: int = 0
    rtcp_sent: int = 0
    rtcp_received: int = 0
    rtcp_malformed: int = 0
    srtp_failed: int = 0  # SRTP packets that failed authentication or replay checks
    srtcp_failed: int = 0  # the same for RTCP (e.g. a peer's clear RTCP probe before SRTP)


class RtpStream:
    """See the module docstring. Create with `await RtpStream.open(clock)`."""

    def __init__(self, clock: MediaClock) -> None:
        self._clock = clock
        self.local_host = ""
        self.local_port = 0
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sendto: Callable[[bytes | bytearray, tuple[str, int]], int] = _not_open
        self._srtp: SrtpPair | None = None
        self._remote: tuple[str, int] | None = None
        self._sdp_remote: tuple[str, int] | None = None
        self._extra_sources: set[tuple[str, int]] = set()
        self.latching = True
        self.strict_hosts: frozenset[str] | None = None
        self._heard = False  # a valid packet came from the current remote
        self._candidate: tuple[str, int] | None = None
        self._candidate_count = 0
        # RFC 3550 reception state (A.1, A.8)
        self._base_seq = -1
        self._max_seq = 0
        self._cycles = 0
        self._transit = 0.0
        self._jitter = 0.0
        self.on_hold = False
        self.hold_timeout_ms: int | None = None
        # RTCP
        self._rtcp: socket.socket | None = None
        self._rtcp_remote: tuple[str, int] | None = None
        self.rtcp_interval_s = 5.0
        self._rtcp_due = 0.0
        self._remote_ssrc: int | None = None
        self._last_sr: tuple[int, float] | None = None  # (NTP middle 32 bits, when heard)
        self._prior = (0, 0)  # (expected, received) at the last report
        self.remote_report: ReportBlock | None = None
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
        self._clips: tuple[Pcm, ...] = ()  # what plays (shared library arrays, not copies)
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
    async def open(
        cls,
        clock: MediaClock,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        advertised_host: str | None = None,
    ) -> RtpStream:
        """Bind a UDP socket (an even port when `port` is 0) and return the stream.

        `local_host` is the address for our SDP: `advertised_host` (NAT) or the bound one.
        """
        loop = asyncio.get_running_loop()
        stream = cls(clock)
        sock = bind_rtp_socket(host, port)
        stream._sock, stream._loop = sock, loop
        stream._sendto = sock.sendto
        loop.add_reader(sock.fileno(), stream._on_readable)
        stream.local_host, stream.local_port = sock.getsockname()[:2]
        if advertised_host:
            stream.local_host = advertised_host
        stream._open_rtcp(host)
        return stream

    def _open_rtcp(self, host: str) -> None:
        assert self._loop is not None
        rtcp = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            rtcp.setblocking(False)
            rtcp.bind((host, self.local_port + 1))
        except OSError:  # taken: the call goes on without RTCP
            rtcp.close()
            return
        self._rtcp = rtcp
        self._loop.add_reader(rtcp.fileno(), self._on_rtcp_readable)

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
        # a closed stream reports nothing more: letting go of its callbacks breaks the
        # cycle stream -> channel -> media watch -> stream, so a call's objects are
        # freed when it ends, not by the garbage collector's passes (issue 19)
        self.on_dtmf = self.on_media_timeout = None
        self._listeners.clear()
        if self._sock is not None and self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
        if self._rtcp is not None and self._loop is not None:
            self._loop.remove_reader(self._rtcp.fileno())
            self._rtcp.close()
            self._rtcp = None

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
        if (host, port) != self._sdp_remote:  # a new SDP address: learn again
            self._remote = self._sdp_remote = (host, port)
            self._heard = False
            self._candidate = None
        if payload_type != self._payload_type:
            self._payload_type = payload_type
            self._encode, self._decode, silence = _CODECS[payload_type]
            self._silence = bytes([silence]) * FRAME_SAMPLES
            self._buf[_HEADER:] = self._silence
            self._buf_silent = True
            if self._clips and self._pos < self._end:
                self._audio = memoryview(self._encoded(self._clips))
        self._dtmf_payload_type = dtmf_payload_type
        if not self.closed:
            self.last_packet_at = self._clock.time()
            self._timed_out = False
            self._clock.register(self)

    @property
    def srtp(self) -> SrtpPair | None:
        return self._srtp

    def set_srtp(self, pair: SrtpPair) -> None:
        """Protect everything sent and unprotect everything received from now on
        (call it before `set_remote`: no clear packet goes out first). A re-INVITE
        with a new remote key passes a pair with the same `tx_key` or calls
        `pair.rekey_rx`; the pair is the stream's until it closes."""
        self._srtp = pair
        if self._sock is None:
            return
        sendto, protect, stats = self._sock.sendto, pair.protect, self.stats

        def send(data: bytes | bytearray, addr: tuple[str, int]) -> int:
            try:
                return sendto(protect(bytes(data)), addr)
            except SrtpError:
                stats.send_errors += 1
                return 0

        self._sendto = send

    def accept_dtmf_payload_types(self, payload_types: frozenset[int]) -> None:
        """Also read telephone-event on these PTs: the ones *our* SDP declared, which a
        far end following RFC 3264 sends with while its answer names another."""
        self._dtmf_also = payload_types

    def allow_source(self, host: str, port: int) -> None:
        """Also accept RTP from this address (e.g. sipp sends RFC 2833 from port 0)."""
        self._extra_sources.add((host, port))

    # ---- sending -----------------------------------------------------------

    def _pad(self, data: bytes) -> bytes:
        pad = (-len(data)) % FRAME_SAMPLES
        return data + self._silence[:pad] if pad else data

    def _encoded(self, clips: Sequence[Pcm]) -> bytes:
        return shared_audio.encoded(clips, self._payload_type, self._encode, self._pad)

    def play(self, clips: Sequence[Pcm]) -> asyncio.Future[bool]:
        """Play clips back to back, replacing what plays; True when played to the end."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._finish_playback(False)
        clips = tuple(c for c in clips if len(c))
        if not clips or self.closed:
            future.set_result(not self.closed)
            return future
        self._clips = clips
        self._audio = memoryview(self._encoded(clips))
        self._pos, self._end = 0, len(self._audio)
        self._play_future = future
        return future

    def stop_playback(self) -> None:
        self._finish_playback(False)

    def _finish_playback(self, completed: bool) -> None:
        future, self._play_future = self._play_future, None
        self._pos = self._end = 0
        self._clips = ()
        if future is not None and not future.done():
            future.set_result(completed)

    def feed(self, frame: Pcm) -> None:
        """Queue one 20 ms frame of live audio (a bridge relays the other leg's
        frames here); sent on the next ticks unless a playback or a digit is going.
        At most 40 ms wait: late audio is useless, the oldest frame is dropped."""
        if len(frame) == FRAME_SAMPLES:
            self._live.append(self._encode(frame))

    def send_dtmf(self, digit: str, duration_ms: int = 160) -> asyncio.Future[None]:
        """Send a digit (RFC 4733 if negotiated, else in-band); queued after earlier ones."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._dtmf_jobs.append(DtmfJob(digit, duration_ms, future))
        return future

    def _has_due_media(self) -> bool:
        return bool(self._dtmf_jobs) or self._pos < self._end or bool(self._live)

    def _catch_up(self, frames: int) -> None:
        """The clock fired `frames` periods after the last tick: send what was due.

        A prompt or a digit goes on with contiguous timestamps, its due frames sent
        back to back (at most MAX_CATCHUP_FRAMES extra, as aiortc's and rtpengine's
        players send late frames at once), so the far end hears no gap. Past the bound
        the oldest due audio is dropped and its timestamps skipped alike: the audio
        position keeps following real time and the prompt still ends on time. Silence
        is never caught up: the timestamp jumps over it, which a receiver fills with
        the same silence."""
        late = frames - 1
        if late > MAX_CATCHUP_FRAMES:
            skip = late - MAX_CATCHUP_FRAMES
            late = MAX_CATCHUP_FRAMES
            self._ts = (self._ts + FRAME_SAMPLES * skip) & _MASK32
            if not self._dtmf_jobs and self._pos < self._end:
                self._pos = min(self._end, self._pos + FRAME_SAMPLES * skip)
                if self._pos >= self._end:
                    self._finish_playback(True)
            self._live.clear()
        while late and self._has_due_media():
            self.tick(1)
            late -= 1
        if late:
            self._ts = (self._ts + FRAME_SAMPLES * late) & _MASK32
        self.tick(1)

    def tick(self, frames: int) -> None:
        """Clock hot path: send one packet (more when the clock was late: `_catch_up`)."""
        if frames != 1:
            self._catch_up(frames)
            return
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

    def set_hold(self, on: bool) -> None:
        """On hold (a=sendonly/inactive from the far end): the longer media timeout."""
        self.on_hold = on
        self.last_packet_at = self._clock.time()

    @property
    def timed_out(self) -> bool:
        return self._timed_out

    def housekeep(self, now: float) -> None:
        if self._rtcp is not None and self._remote is not None and now >= self._rtcp_due:
            self._rtcp_due = now + self.rtcp_interval_s
            self._send_rtcp(now)
        timeout_ms = self.media_timeout_ms
        held = self.on_hold or not self.sending  # the far end holds the call (§8.4)
        if held and self.hold_timeout_ms is not None:
            timeout_ms = self.hold_timeout_ms
        if timeout_ms is None or self._timed_out or self.on_media_timeout is None:
            return
        if (now - self.last_packet_at) * 1000 >= timeout_ms:
            self._timed_out = True
            self.on_media_timeout()

    # ---- RTCP --------------------------------------------------------------

    def _report_block(self, now: float) -> ReportBlock | None:
        if self._remote_ssrc is None or self._base_seq < 0:
            return None
        received = self.stats.packets_received
        highest = self._cycles + self._max_seq
        expected = highest - self._base_seq + 1
        prior_expected, prior_received = self._prior
        self._prior = (expected, received)
        interval = expected - prior_expected
        lost_interval = interval - (received - prior_received)
        fraction = lost_interval / interval if interval > 0 and lost_interval > 0 else 0.0
        lsr = dlsr = 0
        if self._last_sr is not None:
            lsr = self._last_sr[0]
            dlsr = int((now - self._last_sr[1]) * 65536) & 0xFFFFFFFF
        return ReportBlock(self._remote_ssrc, fraction, expected - received, highest,
                           int(self._jitter), lsr, dlsr)  # fmt: skip

    def _send_rtcp(self, now: float) -> None:
        remote = self._remote
        if self._rtcp is None or remote is None:
            return
        target = self._rtcp_remote or (remote[0], remote[1] + 1)
        sent = self.stats.packets_sent
        report = sender_report(
            self._ssrc, time.time(), self._ts, sent, sent * FRAME_SAMPLES,
            self._report_block(now), f"ringcast@{self.local_host}",
        )  # fmt: skip
        try:
            if self._srtp is not None:
                report = self._srtp.protect_rtcp(report)
            self._rtcp.sendto(report, target)
        except (OSError, SrtpError):
            return
        self.stats.rtcp_sent += 1

    def _on_rtcp_readable(self) -> None:
        try:
            data, addr = self._rtcp.recvfrom(_MAX_DATAGRAM)  # type: ignore[union-attr]
        except OSError:
            return
        remote = self._remote
        if remote is None or addr[0] != remote[0]:
            return  # RTCP from the media's host only
        if self._srtp is not None:
            data = self._unprotect(self._srtp.unprotect_rtcp, data, rtcp=True)
            if not data:
                return
        try:
            reports = parse_reports(data)
        except RtcpParseError:
            self.stats.rtcp_malformed += 1
            return
        self._rtcp_remote = (str(addr[0]), int(addr[1]))
        self.stats.rtcp_received += 1
        for report in reports:
            if report.kind == SR:
                self._last_sr = (report.ntp_middle, self._clock.time())
            for block in report.blocks:
                if block.ssrc == self._ssrc:
                    self.remote_report = block

    # ---- receiving ---------------------------------------------------------

    def add_listener(self, fn: Callable[[Pcm], None]) -> None:
        """`fn` gets each inbound audio frame, decoded to 8 kHz PCM.

        DTX pauses arrive as silence, lost packets as `LOST_FRAME` (zeros, marked),
        late ones are dropped, so a listener's sample count follows the sender's clock
        (`timeline.py`).
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
        from_remote = remote is not None and addr[1] == remote[1] and addr[0] == remote[0]
        if not from_remote and addr[:2] not in self._extra_sources and not self._latch(data, addr):
            self.stats.dropped_source += 1
            return
        if len(data) < _HEADER or data[0] & 0xC0 != 0x80:
            self.stats.malformed += 1
            return
        payload_type = data[1] & 0x7F
        if (
            payload_type != self._payload_type
            and payload_type != self._dtmf_payload_type
            and payload_type not in self._dtmf_also
        ):
            self.stats.dropped_payload_type += 1
            return
        if from_remote:
            self._heard = True
            self._candidate = None
        now = self._clock.now
        self.last_packet_at = now
        self.stats.packets_received += 1
        self._account(data, now)
        if payload_type == self._payload_type:
            self._recent.append(data)
            if self._listeners:
                self._deliver_audio(data)
        else:
            if self._listeners:  # an event takes a sequence number: not a loss
                self._timeline.saw(int.from_bytes(data[8:12], "big"), (data[2] << 8) | data[3])
            self._receive_event(data)

    def _known_type(self, payload_type: int) -> bool:
        """Audio as negotiated, or telephone-event on the answer's or our offer's PT."""
        return (
            payload_type == self._payload_type
            or payload_type == self._dtmf_payload_type
            or payload_type in self._dtmf_also
        )

    def _latch(self, data: bytes, addr: tuple[str | object, int]) -> bool:
        """Whether a packet from `addr` (not the remote) is heard: see the docstring."""
        if not self.latching or self._sdp_remote is None:
            return False
        if len(data) < _HEADER or data[0] & 0xC0 != 0x80:
            return False  # garbage changes nothing
        if not self._known_type(data[1] & 0x7F):
            return False
        source = (str(addr[0]), int(addr[1]))
        strict = self.strict_hosts
        if strict is not None and source[0] not in strict and source[0] != self._sdp_remote[0]:
            return False
        if self._heard:
            if source != self._candidate:
                self._candidate, self._candidate_count = source, 0
            self._candidate_count += 1
            if self._candidate_count < LATCH_PACKETS:
                return False
        log.info("RTP on port %s latched to %s:%s", self.local_port, *source)
        self._remote = source
        self._heard = True
        self._candidate = None
        self.stats.latched += 1
        return True

    def _account(self, data: bytes, now: float) -> None:
        """RFC 3550 A.1 (sequence, loss) and A.8 (jitter), per accepted packet."""
        seq = (data[2] << 8) | data[3]
        if self._base_seq < 0:
            self._base_seq = self._max_seq = seq
            self._remote_ssrc = int.from_bytes(data[8:12], "big")
        elif seq > self._max_seq:
            self._max_seq = seq
        elif self._max_seq - seq > 0x8000:  # wrapped
            self._cycles += 0x10000
            self._max_seq = seq
        if data[1] & 0x7F != self._payload_type:
            return  # events keep their timestamp for the whole digit: no jitter sample
        transit = now * 8000 - int.from_bytes(data[4:8], "big")
        if self._transit:
            d = abs(transit - self._transit)
            if d < 8000 * 60:  # a timestamp jump (a new source) is no jitter
                self._jitter += (d - self._jitter) / 16
        self._transit = transit

    def reception(self) -> dict[str, float | int]:
        """What came in: RFC 3550 counts (expected, lost, loss %, jitter in ms)."""
        received = self.stats.packets_received
        if self._base_seq < 0:
            return {"packetsReceived": 0, "packetsExpected": 0, "packetsLost": 0,
                    "lossPercent": 0.0, "jitterMs": 0.0, "rtcpSent": self.stats.rtcp_sent,
                    "rtcpReceived": self.stats.rtcp_received}  # fmt: skip
        expected = self._cycles + self._max_seq - self._base_seq + 1
        lost = max(0, expected - received)
        out: dict[str, float | int] = {
            "packetsReceived": received,
            "packetsExpected": expected,
            "packetsLost": lost,
            "lossPercent": round(100 * lost / expected, 2) if expected else 0.0,
            "jitterMs": round(self._jitter / 8, 2),
            "rtcpSent": self.stats.rtcp_sent,
            "rtcpReceived": self.stats.rtcp_received,
        }
        block = self.remote_report
        if block is not None:  # what the far end heard of us (its last RTCP report)
            out["remoteLossPercent"] = round(100 * block.fraction_lost, 2)
            out["remotePacketsLost"] = block.cumulative_lost
            out["remoteJitterMs"] = round(block.jitter / 8, 2)
        return out

    def _deliver_audio(self, data: bytes) -> None:
        try:
            start, end = payload_bounds(data)
        except RtpParseError:
            self.stats.malformed += 1
            return
        pcm = self._decode(data[start:end])
        timestamp, ssrc = _SSRC_TS.unpack_from(data, 4)
        gap = self._timeline.place_packet(
            ssrc, timestamp, pcm.size, (data[2] << 8) | data[3], bool(data[1] & 0x80)
        )
        if gap is None:
            self.stats.late += 1
            return
        frames: Sequence[Pcm]
        if gap.fill or pcm.size != FRAME_SAMPLES or self._carry.size:
            frames = self._reframe(gap, pcm)
        else:  # the usual case: one packet, one 20 ms frame
            frames = (pcm,)
        for listener in tuple(self._listeners):
            for frame in frames:
                try:
                    listener(frame)
                except Exception:
                    log.exception("media listener failed")

    def _reframe(self, gap: Gap, pcm: Pcm) -> list[Pcm]:
        """Listeners get 20 ms frames whatever the peer's packet size or our gap
        filling: samples are joined and cut at 160, a remainder waits for more. A
        frame wholly inside the lost part of the gap is `LOST_FRAME`."""
        carry = self._carry.size
        parts = [self._carry] if carry else []
        if gap.fill:
            parts.append(np.zeros(gap.fill, dtype=np.int16))
        parts.append(pcm)
        joined = np.concatenate(parts) if len(parts) > 1 else pcm
        whole = joined.size - joined.size % FRAME_SAMPLES
        self._carry = joined[whole:].copy()
        lost_start = carry + (0 if gap.lost_first else gap.fill - gap.lost)
        lost_end = lost_start + gap.lost
        return [
            LOST_FRAME
            if lost_start <= i and i + FRAME_SAMPLES <= lost_end
            else joined[i : i + FRAME_SAMPLES]
            for i in range(0, whole, FRAME_SAMPLES)
        ]

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
        if self._srtp is not None:
            data = self._unprotect(self._srtp.unprotect, data)
            if not data:
                return
        self.datagram_received(data, addr)

    def _unprotect(self, step: Callable[[bytes], bytes], data: bytes, rtcp: bool = False) -> bytes:
        """SRTP/SRTCP in, plain out; b"" (counted) when it fails authentication."""
        try:
            return step(data)
        except SrtpError:
            if rtcp:
                self.stats.srtcp_failed += 1
            else:
                self.stats.srtp_failed += 1
            return b""
