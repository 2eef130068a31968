"""`SipChannel`: the flow engine's `Channel` over a SIP call and an RTP stream.

Theory of operation: the channel glues three event sources into the one ordered
`next_event` queue — the `SipCall` (answer, failure, BYE, SIP INFO digits), the media
stream (RFC 4733 / in-band digits, playback completion, inbound frames for recording
and AMD) and its own ring timer (timeout → CANCEL → `DialFailed(no_answer)`).
Everything runs in callbacks on the event loop, no task per call. The media stream is
opened through `open_media` (the media layer's `RtpStream.open` in production, a fake in
unit tests); AMD and the beep detector come from factories so the detectors plug in
without this module knowing them. Without an AMD factory an answer is reported as
`answered_by="unknown"`.

In-band DTMF (`inband_dtmf=True`) runs the media layer's tone detector only while
the flow listens for keys (`listen_for_digits`, on by default until the runner
says otherwise): it is the costly part of receiving audio. RFC 4733 and SIP INFO
digits are always reported.

SRTP (the trunk's `srtp` mode, policy in `sdes.py`): the offer carries RTP/SAVP and
our SDES keys; the keys for the far end's answer (or, inbound, for its offer) are
installed on the stream *before* it learns where to send, so nothing leaves in
clear; an answer that cannot be secured under `mandatory` ends the dial as `failed`
with the reason `srtp_required`, an inbound offer that cannot is refused with 488.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Literal

from ringcast.telephony.channel import (
    Answered,
    AnsweredBy,
    ChannelEvent,
    DialFailed,
    DialRequest,
    DigitReceived,
    DigitSource,
    Pcm,
    PlaybackDone,
    RecordingDone,
    RecordRequest,
    RemoteHangup,
)
from ringcast.telephony.media.recorder import Recorder, beep_clip
from ringcast.telephony.sdp import (
    AVP,
    DTMF_PT,
    Crypto,
    Negotiated,
    SdpParseError,
    build_sdp,
    negotiate,
    parse_sdp,
    payload_types,
)

from .call import SipCall
from .call_events import (
    CallAnswered,
    CallDigit,
    CallEnded,
    CallEvent,
    CallFailed,
    CallMediaUpdate,
    CallProgress,
)
from .call_state import CallState
from .channel_hooks import (
    AmdFactory,
    FrameListener,
    GreetingEndLike,
    MediaOpener,
    MediaStream,
    rtp_media,
)
from .headers import new_call_id
from .sdes import SrtpRefused, keys_for_answer, keys_for_offer
from .sdes import offer as srtp_offer

__all__ = ["AmdFactory", "MediaOpener", "MediaStream", "SipChannel", "rtp_media"]
from .outcome import dial_failed, fails_over
from .ua import UserAgent

log = logging.getLogger("ringcast.telephony.sip")

FailoverHook = Callable[[int | None, str], Awaitable[UserAgent | None]]
"""Asked, with the failed INVITE's status and reason, for the agent of the next trunk
of the call's group (None: no trunk left, the dial fails with that status)."""


class SipChannel:
    """One call leg over SIP. Create with `SipChannel(ua, open_media)` to dial, or
    `SipChannel.inbound(ua, call, open_media)` for an INVITE the UA received."""

    def __init__(
        self,
        ua: UserAgent,
        open_media: MediaOpener,
        *,
        amd_factory: AmdFactory | None = None,
        inband_dtmf: bool = True,
        media_timeout_ms: int | None = None,
        failover: FailoverHook | None = None,
        before_invite: Callable[[UserAgent], Awaitable[bool]] | None = None,
    ) -> None:
        """`before_invite(ua)` is awaited right before each INVITE (pacing: the
        trunk's channel and CPS slot); False fails the dial `trunk_limit`."""
        self._ua = ua
        self._failover = failover
        self._before_invite = before_invite
        self._rang = False  # a 180/183 came: the callee was reached (no failover on 408)
        self._open_media = open_media
        self._amd_factory = amd_factory
        self._inband = inband_dtmf
        self._listening = True
        self._media_timeout_ms = media_timeout_ms
        self._events: asyncio.Queue[ChannelEvent] = asyncio.Queue()
        self._call: SipCall | None = None
        # Known before dialing, so the dialer can log it with the attempt.
        self._call_id = new_call_id(ua.config.local_host)
        self._media: MediaStream | None = None
        self._ring_timer: asyncio.TimerHandle | None = None
        self._ring_timed_out = False
        self._failing_over: asyncio.Task[None] | None = None
        self._request: DialRequest | None = None
        self._playback: asyncio.Future[bool] | None = None
        # Playbacks stopped before their done was emitted: each still owes the
        # flow exactly one PlaybackDone (the interpreter counts one per stop),
        # even when a newer play() replaced it before its done callback ran.
        self._owed: set[asyncio.Future[bool]] = set()
        self._recording: Recorder | None = None
        self._analysers: list[FrameListener] = []
        # Answered at the SIP level, AMD not yet reported: what a hangup then reports
        # (the call *was* answered; AMD could not decide, or waited for the beep).
        self._unreported: Answered | None = None
        self._ended = False
        self._sdp_session = _session_id()  # o= of every SDP we send on this call
        self._sdp_version = 1
        self._offered: tuple[Crypto, ...] = ()  # our offer's SDES lines (keys: never logged)
        self._crypto: Crypto | None = None  # our line in force: the call is SRTP
        self._refused: str | None = None  # why the last SDP could not be secured

    @classmethod
    def inbound(
        cls, ua: UserAgent, call: SipCall, open_media: MediaOpener, **kw: object
    ) -> SipChannel:
        channel = cls(ua, open_media, **kw)  # type: ignore[arg-type]
        channel._attach(call)
        return channel

    @property
    def call_id(self) -> str:
        return self._call.call_id if self._call else self._call_id

    @property
    def sip_call(self) -> SipCall | None:
        return self._call

    def _attach(self, call: SipCall) -> None:
        self._call = call
        call.listener = self._on_call_event

    def _emit(self, event: ChannelEvent) -> None:
        self._events.put_nowait(event)

    async def next_event(self) -> ChannelEvent:
        return await self._events.get()

    # ---- dial / answer -----------------------------------------------------------
    async def dial(self, request: DialRequest) -> None:
        self._request = request
        await self._ua.ready_for_calls()
        try:
            media = await self._open_media_stream()
        except OSError as exc:  # no RTP port: a failed dial, not a crash of the flow
            log.error("call %s: cannot open media: %s", self._call_id, exc)
            self._emit(DialFailed("failed", None, f"media: {exc}"))
            return
        if self._before_invite is not None and not await self._before_invite(self._ua):
            self._close_media()
            self._emit(DialFailed("failed", None, "trunk_limit: no channel or start slot free"))
            return
        if self._ended:  # hung up while waiting for the slot
            self._close_media()
            return
        call = self._ua.new_call(request.to, request.from_, self._call_id)
        self._attach(call)
        proto, self._offered = srtp_offer(self._ua.config.srtp)
        offer = partial(
            build_sdp,
            media.local_host,
            media.local_port,
            self._sdp_session,
            self._sdp_version,
            payload_types(self._ua.config.codecs),
            DTMF_PT,
            crypto=self._offered,
        )
        if self._ua.config.srtp == "optional":  # refused (488): RTP/AVP, best-effort SDES
            call.fallback_sdp = offer(proto=AVP)
        # RFC 3264: our offer says where *we* receive keys; a far end may send with it
        # although its answer names another PT (which is what we send with).
        media.accept_dtmf_payload_types(frozenset({DTMF_PT}))
        call.start_invite(offer(proto=proto))
        loop = asyncio.get_running_loop()
        self._ring_timer = loop.call_later(request.timeout_ms / 1000, self._ring_timeout)

    async def answer(self) -> None:
        call = self._call
        if call is None:
            raise RuntimeError("answer() needs an incoming call")
        if call.state is not CallState.INCOMING:
            return  # the caller gave up (CANCEL): RemoteHangup is already queued
        media = await self._open_media_stream()
        if call.state is not CallState.INCOMING:  # cancelled while the socket opened
            self._close_media()
            return
        try:
            chosen = negotiate(parse_sdp(call.remote_sdp), self._ua.config.codecs)
            keys = keys_for_offer(self._ua.config.srtp, chosen)
        except (SdpParseError, SrtpRefused) as exc:
            log.warning("call %s: unusable offer (%s), 488", call.call_id, exc)
            call.reject(488, "Not Acceptable Here")
            self._close_media()
            self._emit(RemoteHangup("unusable SDP offer"))
            return
        if keys is not None:
            self._crypto = keys[0]
            media.set_srtp(keys[1])
        self._apply(chosen)
        call.answer(self._answer_sdp(media, chosen))
        self._emit(Answered("unknown", sip_status=200))

    async def _open_media_stream(self) -> MediaStream:
        media = await self._open_media()
        media.on_dtmf = self._on_media_digit
        media.enable_inband_dtmf(self._inband and self._listening)
        if self._media_timeout_ms is not None:
            media.media_timeout_ms = self._media_timeout_ms
            media.on_media_timeout = self._on_media_timeout
        self._media = media
        return media

    def listen_for_digits(self, on: bool) -> None:
        self._listening = on
        if self._media is not None:
            self._media.enable_inband_dtmf(self._inband and on)

    def _ring_timeout(self) -> None:
        self._ring_timer = None
        if self._call is not None and self._call.state in (CallState.CALLING, CallState.PROCEEDING):
            self._ring_timed_out = True
            self._call.cancel()

    # ---- call events -------------------------------------------------------------
    def _on_call_event(self, event: CallEvent) -> None:
        if isinstance(event, CallAnswered):
            self._on_answered(event)
        elif isinstance(event, CallProgress):
            self._rang = self._rang or event.status in (180, 183)
        elif isinstance(event, CallFailed):
            self._cancel_ring_timer()
            self._close_media()
            if self._ring_timed_out:
                self._emit(DialFailed("no_answer", event.status, "ring_timeout"))
            elif self._failover is not None and fails_over(event.status, self._rang):
                task = asyncio.get_running_loop().create_task(self._fail_over(event))
                self._failing_over = task  # keep a reference until it is done
            else:
                self._emit(dial_failed(event.status, event.reason))
        elif isinstance(event, CallEnded):
            # the far end's BYE, or the SIP layer's own (no ACK, session expired): the
            # call is over either way and the flow hears it as a hangup with the reason
            self._remote_hangup(event.reason)
        elif isinstance(event, CallDigit):
            self._on_media_digit(event.digit, "sip_info")
        elif isinstance(event, CallMediaUpdate):
            self._on_reoffer(event.sdp)

    def reroute(
        self,
        ua: UserAgent,
        failover: FailoverHook | None = None,
        open_media: MediaOpener | None = None,
    ) -> None:
        """Before `dial`: go out through `ua` (a forwarded leg's own trunk or URI), its
        media opened by `open_media` (that trunk's media settings) when given."""
        self._ua, self._failover = ua, failover
        if open_media is not None:
            self._open_media = open_media
        self._call_id = new_call_id(ua.config.local_host)

    async def _fail_over(self, failed: CallFailed) -> None:
        """Dial the same request again through the next trunk's agent, if any."""
        assert self._failover is not None
        assert self._request is not None
        ua = await self._failover(failed.status, failed.reason)
        if ua is None or self._ended:
            self._emit(dial_failed(failed.status, failed.reason))
            return
        log.info("call %s: %s %s, failing over", self._call_id, failed.status, failed.reason)
        self._ua, self._call, self._rang = ua, None, False
        self._call_id = new_call_id(ua.config.local_host)
        await self.dial(self._request)

    def _on_answered(self, event: CallAnswered) -> None:
        self._cancel_ring_timer()
        if self._renegotiate(event.sdp) is None:
            if self._call is not None:
                self._call.hangup()
            self._close_media()
            self._emit(DialFailed("failed", event.status, self._refused or "unusable SDP answer"))
            return
        request = self._request
        if request is None or not request.enable_amd or self._amd_factory is None:
            self._emit(Answered("unknown", sip_status=event.status))
            return
        self._start_amd(request, event.status)

    def _renegotiate(self, sdp: bytes) -> Negotiated | None:
        try:
            chosen = negotiate(parse_sdp(sdp), self._ua.config.codecs)
            self._secure(chosen)
        except SdpParseError as exc:
            log.warning("call %s: bad SDP: %s", self.call_id, exc)
            return None
        except SrtpRefused as exc:
            log.warning("call %s: SRTP: %s", self.call_id, exc.reason)
            self._refused = exc.reason
            return None
        self._apply(chosen)
        return chosen

    def _secure(self, chosen: Negotiated) -> None:
        """SRTP for an answer to our offer, or a re-offer in an SRTP call: the keys go on
        the stream before `_apply` points it anywhere (sdes.py has the policy)."""
        media = self._media
        if media is None:
            return
        if self._crypto is None:
            if self._offered and media.srtp is None:  # the answer to our first offer
                keys = keys_for_answer(self._ua.config.srtp, self._offered, chosen)
                if keys is not None:
                    self._crypto = keys[0]
                    media.set_srtp(keys[1])
            return
        theirs, pair = chosen.crypto, media.srtp
        if theirs is None or pair is None or theirs.key.suite != self._crypto.key.suite:
            raise SrtpRefused("srtp_renegotiation")  # keep the call's keys as they are
        pair.rekey_rx(theirs.key)  # a new remote key, or the same one again
        self._crypto = Crypto(theirs.tag, self._crypto.key)

    def _apply(self, chosen: Negotiated) -> None:
        """Point the media at what the SDP says; stop sending while held (RFC 3264 §8.4)."""
        media = self._media
        if media is None:
            return
        old_hold = chosen.remote_port == 0 or chosen.remote_host in ("0.0.0.0", "::")
        media.sending = chosen.they_receive and not old_hold
        if not old_hold:  # RFC 2543 hold (c=0.0.0.0): keep the media path as it is
            media.set_remote(
                chosen.remote_host,
                chosen.remote_port,
                chosen.payload_type,
                chosen.dtmf_payload_type,
            )

    def _on_reoffer(self, sdp: bytes) -> None:
        """A re-INVITE's offer: follow it and answer it (hold → recvonly or inactive,
        resume → sendrecv) with the one codec in use and a new o= version."""
        chosen = self._renegotiate(sdp)
        if chosen is None or self._media is None or self._call is None:
            return  # the call answers with the SDP it has
        self._sdp_version += 1
        self._call.local_sdp = self._answer_sdp(self._media, chosen)

    def _answer_sdp(self, media: MediaStream, chosen: Negotiated) -> bytes:
        crypto = self._crypto
        return build_sdp(
            media.local_host,
            media.local_port,
            self._sdp_session,
            self._sdp_version,
            (chosen.payload_type,),
            chosen.dtmf_payload_type or DTMF_PT,
            chosen.answer_direction,
            proto=chosen.proto if crypto is not None else AVP,
            crypto=() if crypto is None else (crypto,),
        )

    def _start_amd(self, request: DialRequest, status: int) -> None:
        assert self._amd_factory is not None
        detector = self._amd_factory(request.amd)
        self._unreported = Answered("unknown", "hangup", sip_status=status)

        def feed(frame: Pcm) -> None:
            verdict = detector.feed(frame)
            if verdict is None:
                return
            self._remove_analyser(feed)
            answered = Answered(
                _answered_by(verdict.result),
                verdict.reason,
                verdict.decision_ms,
                verdict.greeting_ms,
                status,
            )
            if answered.answered_by == "machine" and request.wait_for_beep:
                self._unreported = answered
                greeting_end = detector.greeting_end_detector(request.wait_for_beep_cap_ms)
                self._wait_for_greeting_end(answered, greeting_end)
            else:
                self._unreported = None
                self._emit(answered)

        self._add_analyser(feed)

    def _wait_for_greeting_end(self, answered: Answered, detector: GreetingEndLike) -> None:
        """waitForBeep: report the machine only once its greeting is over."""

        def feed(frame: Pcm) -> None:
            if detector.feed(frame):
                self._remove_analyser(feed)
                self._unreported = None
                self._emit(answered)

        self._add_analyser(feed)

    def _add_analyser(self, fn: FrameListener) -> None:
        self._analysers.append(fn)
        if self._media is not None:
            self._media.add_listener(fn)

    def _remove_analyser(self, fn: FrameListener) -> None:
        if fn in self._analysers:
            self._analysers.remove(fn)
            if self._media is not None:
                self._media.remove_listener(fn)

    def _on_media_digit(self, digit: str, source: DigitSource) -> None:
        if self._ended:
            return
        self._emit(DigitReceived(digit, source))
        if self._recording is not None:
            self._recording.on_digit(digit)

    def _on_media_timeout(self) -> None:
        if self._call is not None and not self._ended:
            self._call.hangup()
            self._remote_hangup("media timeout")

    def _remote_hangup(self, reason: str) -> None:
        if self._ended:
            return
        if self._unreported is not None:  # hung up while AMD listened: answered all the same
            self._emit(self._unreported)
            self._unreported = None
        self._finish_recording("hangup")
        self._end()
        self._emit(RemoteHangup(reason))

    # ---- media commands ----------------------------------------------------------
    async def play(self, clips: Sequence[Pcm]) -> None:
        if self._ended:
            return  # the far end hung up: its RemoteHangup is queued, nothing to play to
        media = self._require_media()
        future = media.play(clips)
        self._playback = future
        future.add_done_callback(self._playback_done)

    def _playback_done(self, future: asyncio.Future[bool]) -> None:
        owed = future in self._owed
        self._owed.discard(future)
        current = future is self._playback
        if current:
            self._playback = None
        if self._ended or not (current or owed):
            return  # replaced by a newer play() without a stop: only the current one reports
        completed = not future.cancelled() and future.exception() is None and future.result()
        self._emit(PlaybackDone(interrupted=not completed))

    async def stop_playback(self) -> None:
        # A playback that ended on its own but whose done callback has not run yet
        # (its end crossed this stop, e.g. a key pressed on the prompt's last frame)
        # still answers the stop: without this, a play() started right after the
        # stop replaced it, its done was dropped, and the flow took the NEXT
        # playback's done as the stop's answer and waited forever in that Play node.
        if self._playback is not None:
            self._owed.add(self._playback)
        if self._media is not None:
            self._media.stop_playback()

    async def start_recording(self, request: RecordRequest) -> None:
        media = self._require_media()
        self._finish_recording("stopped")
        recorder = Recorder(request, self._recording_done)
        self._recording = recorder
        if request.beep:  # record from the end of the beep, without blocking the caller
            beep = media.play([beep_clip()])
            beep.add_done_callback(lambda _f: self._begin_recording(recorder))
        else:
            self._begin_recording(recorder)

    def _begin_recording(self, recorder: Recorder) -> None:
        if self._recording is recorder and self._media is not None:
            self._media.add_listener(recorder.feed)

    async def stop_recording(self) -> None:
        self._finish_recording("stopped")

    def _finish_recording(self, reason: Literal["hangup", "stopped"]) -> None:
        if self._recording is not None:
            self._recording.stop(reason)

    def _recording_done(self, result: RecordingDone) -> None:
        recording, self._recording = self._recording, None
        if recording is not None and self._media is not None:
            self._media.remove_listener(recording.feed)
        self._emit(result)

    def _require_media(self) -> MediaStream:
        if self._media is None:
            raise RuntimeError("no media: the call is not connected")
        return self._media

    # ---- teardown ----------------------------------------------------------------
    async def hangup(self, reason: str = "normal") -> None:
        if self._ended:
            return
        self._cancel_ring_timer()
        if self._call is not None:
            self._call.hangup()
        self._finish_recording("hangup")
        self._end()

    def _end(self) -> None:
        self._ended = True
        self._close_media()

    def _cancel_ring_timer(self) -> None:
        if self._ring_timer is not None:
            self._ring_timer.cancel()
            self._ring_timer = None

    def _close_media(self) -> None:
        if self._media is not None:
            for fn in self._analysers:
                self._media.remove_listener(fn)
            self._analysers.clear()
            self._media.close()
            self._media = None


def _answered_by(result: str) -> AnsweredBy:
    return result if result in ("human", "machine") else "unknown"  # type: ignore[return-value]


_session_counter = 0


def _session_id() -> int:
    global _session_counter
    _session_counter += 1
    return _session_counter
