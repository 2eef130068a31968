"""SipChannel over a fake SIP transport and a fake media stream (fast unit tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from ringcast.telephony.channel import (
    AmdSettings,
    Answered,
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
from ringcast.telephony.media.srtp import SrtpPair
from ringcast.telephony.sdp import build_sdp, parse_sdp
from ringcast.telephony.sip import SipRequest, SipResponse, TrunkConfig, UserAgent, parse_message
from ringcast.telephony.sip.channel import MediaStream, SipChannel
from ringcast.telephony.sip.message import response_to

PEER = ("127.0.0.1", 5070)
LOUD: Pcm = np.full(160, 3000, dtype=np.int16)


class FakeTransport:
    name = "UDP"
    reliable = False
    local_host = "127.0.0.1"
    local_port = 5062

    def __init__(self) -> None:
        self.sent: list[SipRequest | SipResponse] = []

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append(parse_message(data))

    def close(self) -> None:
        pass

    def requests(self, method: str) -> list[SipRequest]:
        return [m for m in self.sent if isinstance(m, SipRequest) and m.method == method]


class FakeMedia:
    """Implements the MediaStream protocol; the test drives it by hand."""

    def __init__(self) -> None:
        self.local_host = "127.0.0.1"
        self.local_port = 40000
        self.on_dtmf: Callable[[str, DigitSource], None] | None = None
        self.on_media_timeout: Callable[[], None] | None = None
        self.media_timeout_ms: int | None = None
        self.remote: tuple[str, int, int, int | None] | None = None
        self.listeners: list[Callable[[Pcm], None]] = []
        self.plays: list[asyncio.Future[bool]] = []
        self.inband = False
        self.closed = False

    def set_remote(self, host: str, port: int, payload_type: int, dtmf: int | None) -> None:
        self.remote = (host, port, payload_type, dtmf)

    def play(self, clips: Sequence[Pcm]) -> asyncio.Future[bool]:
        for old in self.plays:
            if not old.done():
                old.set_result(False)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.plays.append(future)
        return future

    def stop_playback(self) -> None:
        if self.plays and not self.plays[-1].done():
            self.plays[-1].set_result(False)

    def add_listener(self, fn: Callable[[Pcm], None]) -> None:
        self.listeners.append(fn)

    def remove_listener(self, fn: Callable[[Pcm], None]) -> None:
        if fn in self.listeners:
            self.listeners.remove(fn)

    def enable_inband_dtmf(self, on: bool) -> None:
        self.inband = on

    sending = True

    def accept_dtmf_payload_types(self, payload_types: frozenset[int]) -> None:
        self.dtmf_also = payload_types

    def allow_source(self, host: str, port: int) -> None:
        pass

    srtp: SrtpPair | None = None

    def set_srtp(self, pair: SrtpPair) -> None:
        self.srtp = pair

    def close(self) -> None:
        self.closed = True

    def frames(self, frame: Pcm, count: int) -> None:
        for _ in range(count):
            for fn in list(self.listeners):
                fn(frame)


@dataclass
class Rig:
    ua: UserAgent
    sip: FakeTransport
    media: FakeMedia
    channel: SipChannel

    def answer_call(self, status: int = 200) -> SipRequest:
        invite = self.sip.requests("INVITE")[-1]
        sdp = build_sdp("127.0.0.1", 6000, 1, 1, (8,), 101) if status < 300 else b""
        resp = response_to(invite, status, "OK" if status < 300 else "Nope", to_tag="far",
                           body=sdp, content_type="application/sdp" if sdp else None,
                           extra=(("Contact", "<sip:far@127.0.0.1:5070>"),))  # fmt: skip
        self.ua.datagram_received(resp.to_bytes(), PEER)
        return invite


@pytest.fixture
def rig() -> Rig:
    ua = UserAgent(TrunkConfig(host="127.0.0.1", port=5070))
    sip = FakeTransport()
    ua.transport = sip
    media = FakeMedia()

    async def open_media() -> MediaStream:
        return media

    return Rig(ua, sip, media, SipChannel(ua, open_media))


def pending(channel: SipChannel) -> list[ChannelEvent]:
    queue = channel._events  # the test reads what has been emitted so far
    return [queue.get_nowait() for _ in range(queue.qsize())]


async def test_dial_offers_our_media_and_answer_sets_the_remote(rig: Rig) -> None:
    await rig.channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    offer = parse_sdp(rig.sip.requests("INVITE")[0].body).audio()
    assert (offer.port, offer.formats) == (40000, [0, 8, 101])
    assert rig.media.inband
    rig.answer_call()
    assert rig.media.remote == ("127.0.0.1", 6000, 8, 101)
    assert pending(rig.channel) == [Answered("unknown", sip_status=200)]
    await rig.channel.hangup()
    assert len(rig.sip.requests("BYE")) == 1 and rig.media.closed
    assert pending(rig.channel) == []  # no event after our own hang-up
    rig.ua.close()


async def test_in_band_detection_runs_only_while_the_flow_listens(rig: Rig) -> None:
    rig.channel.listen_for_digits(False)  # the runner's first word, before the dial
    await rig.channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    assert not rig.media.inband  # dialling and AMD: no key can matter
    rig.answer_call()
    rig.channel.listen_for_digits(True)
    assert rig.media.inband
    assert rig.media.on_dtmf is not None
    rig.media.on_dtmf("5", "inband")
    rig.channel.listen_for_digits(False)
    assert not rig.media.inband
    rig.media.on_dtmf("7", "rfc4733")  # signalled digits are reported regardless
    assert pending(rig.channel)[1:] == [DigitReceived("5", "inband"), DigitReceived("7", "rfc4733")]
    rig.ua.close()


async def test_without_in_band_dtmf_listening_never_starts_the_detector() -> None:
    ua = UserAgent(TrunkConfig(host="127.0.0.1", port=5070))
    ua.transport = FakeTransport()
    media = FakeMedia()

    async def open_media() -> MediaStream:
        return media

    channel = SipChannel(ua, open_media, inband_dtmf=False)
    await channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    channel.listen_for_digits(True)
    assert not media.inband
    ua.close()


async def test_busy_closes_media(rig: Rig) -> None:
    await rig.channel.dial(DialRequest(to="1000", from_="me"))
    rig.answer_call(486)
    assert pending(rig.channel) == [DialFailed("busy", 486, "sip 486 Nope")]
    assert rig.media.closed
    rig.ua.close()


async def test_playback_events(rig: Rig) -> None:
    await rig.channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    rig.answer_call()
    pending(rig.channel)
    await rig.channel.play([LOUD])
    await rig.channel.play([LOUD])  # replaces the first: only the current one reports
    rig.media.plays[-1].set_result(True)
    await asyncio.sleep(0)
    assert pending(rig.channel) == [PlaybackDone(interrupted=False)]
    await rig.channel.play([LOUD])
    await rig.channel.stop_playback()
    await asyncio.sleep(0)
    assert pending(rig.channel) == [PlaybackDone(interrupted=True)]
    rig.ua.close()


async def test_stop_crossing_a_natural_end_still_answers_the_stop(rig: Rig) -> None:
    """The Play-node hang: a prompt ends on its own in the same loop turn as the key
    that stops it, and the next prompt starts before the first one's done callback
    runs. The interpreter counts one PlaybackDone per stop, so the first prompt's
    done must still come out, then the second's: with it dropped, the flow took the
    second prompt's done as the stop's answer and waited in that Play node forever."""
    await rig.channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    rig.answer_call()
    pending(rig.channel)
    await rig.channel.play([LOUD])
    rig.media.plays[-1].set_result(True)  # the prompt's last frame: done, callback not yet run
    await rig.channel.stop_playback()  # the key's stop crosses that end
    await rig.channel.play([LOUD])  # the next node's prompt, in the same loop turn
    await asyncio.sleep(0)
    assert pending(rig.channel) == [PlaybackDone(interrupted=False)]  # answers the stop
    rig.media.plays[-1].set_result(True)
    await asyncio.sleep(0)
    assert pending(rig.channel) == [PlaybackDone(interrupted=False)]  # the new prompt's own
    rig.ua.close()


async def test_recording_with_beep_and_finish_key(rig: Rig) -> None:
    await rig.channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    rig.answer_call()
    pending(rig.channel)
    await rig.channel.start_recording(RecordRequest(beep=True, finish_on_key="#"))
    rig.media.frames(LOUD, 5)  # during the beep: not recorded
    rig.media.plays[-1].set_result(True)
    await asyncio.sleep(0)
    rig.media.frames(LOUD, 10)
    assert rig.media.on_dtmf is not None
    rig.media.on_dtmf("#", "rfc4733")
    events = pending(rig.channel)
    assert events[0] == DigitReceived("#", "rfc4733")
    done = events[-1]
    assert isinstance(done, RecordingDone) and done.reason == "finish_key"
    assert done.duration_ms == 200 and len(done.audio) == 1600
    rig.ua.close()


async def test_stop_recording_and_hangup_during_recording(rig: Rig) -> None:
    await rig.channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    rig.answer_call()
    pending(rig.channel)
    await rig.channel.start_recording(RecordRequest(beep=False))
    rig.media.frames(LOUD, 3)
    await rig.channel.stop_recording()
    (done,) = pending(rig.channel)
    assert isinstance(done, RecordingDone) and (done.reason, done.duration_ms) == ("stopped", 60)
    assert rig.media.listeners == []
    rig.ua.close()


@dataclass(frozen=True)
class Verdict:
    result: str
    reason: str
    decision_ms: int
    greeting_ms: int | None


class FakeAmd:
    """Decides after `frames` frames; the greeting 'ends' 2 frames later."""

    def __init__(self, result: str, frames: int) -> None:
        self.result, self.frames, self.seen = result, frames, 0

    def feed(self, frame: Pcm) -> Verdict | None:
        self.seen += 1
        return (
            Verdict(self.result, "fake", self.seen * 20, 100) if self.seen == self.frames else None
        )

    def greeting_end_detector(self, cap_ms: int = 20000) -> FakeGreetingEnd:
        return FakeGreetingEnd()


class FakeGreetingEnd:
    def __init__(self) -> None:
        self.seen = 0

    def feed(self, frame: Pcm) -> object | None:
        self.seen += 1
        return "beep" if self.seen == 2 else None


@pytest.mark.parametrize(("result", "wait_for_beep", "frames_needed"), [
    ("human", False, 3), ("machine", False, 3), ("machine", True, 5), ("human", True, 3),
])  # fmt: skip
async def test_amd_factory_hook(
    rig: Rig, result: str, wait_for_beep: bool, frames_needed: int
) -> None:
    settings: list[AmdSettings] = []

    def factory(s: AmdSettings) -> FakeAmd:
        settings.append(s)
        return FakeAmd(result, 3)

    channel = SipChannel(rig.ua, rig.channel._open_media, amd_factory=factory)
    request = DialRequest(
        to="1000", from_="me", wait_for_beep=wait_for_beep, amd=AmdSettings(greeting_ms=999)
    )
    await channel.dial(request)
    rig.answer_call()
    rig.media.frames(LOUD, frames_needed - 1)
    assert pending(channel) == []
    rig.media.frames(LOUD, 1)
    assert pending(channel) == [Answered(result, "fake", 60, 100, 200)]  # type: ignore[arg-type]
    assert settings == [AmdSettings(greeting_ms=999)]
    assert rig.media.listeners == []  # the detector is detached after deciding
    rig.ua.close()


async def test_ring_timeout_is_no_answer(rig: Rig) -> None:
    await rig.channel.dial(DialRequest(to="1000", from_="me", timeout_ms=50))
    invite = rig.sip.requests("INVITE")[0]
    rig.ua.datagram_received(response_to(invite, 180, "Ringing", to_tag="far").to_bytes(), PEER)
    await asyncio.sleep(0.1)
    (cancel,) = rig.sip.requests("CANCEL")
    rig.ua.datagram_received(response_to(cancel, 200, "OK", to_tag="far").to_bytes(), PEER)
    rig.ua.datagram_received(
        response_to(invite, 487, "Request Terminated", to_tag="far").to_bytes(), PEER
    )
    events = pending(rig.channel)
    assert events[-1] == DialFailed("no_answer", 487, "ring_timeout")
    rig.ua.close()


async def test_media_timeout_hangs_up(rig: Rig) -> None:
    ua, media = rig.ua, rig.media

    async def open_media() -> MediaStream:
        return media

    channel = SipChannel(ua, open_media, media_timeout_ms=5000)
    await channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    rig.answer_call()
    assert media.media_timeout_ms == 5000 and media.on_media_timeout is not None
    media.on_media_timeout()
    assert pending(channel)[-1] == RemoteHangup("media timeout")
    assert len(rig.sip.requests("BYE")) == 1
    ua.close()


async def test_inbound_cancel_before_answer() -> None:
    ua = UserAgent(TrunkConfig(host="127.0.0.1", port=5070))
    sip = FakeTransport()
    ua.transport = sip
    media = FakeMedia()

    async def open_media() -> MediaStream:
        return media

    channels: list[SipChannel] = []
    ua.on_invite = lambda call: channels.append(SipChannel.inbound(ua, call, open_media))
    raw = (
        b"INVITE sip:2001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKc\r\n"
        b"From: <sip:caller@x>;tag=c1\r\nTo: <sip:2001@127.0.0.1>\r\nCall-ID: in2\r\n"
        b"CSeq: 1 INVITE\r\n\r\n"
    )
    ua.datagram_received(raw, PEER)
    ua.datagram_received(
        raw.replace(b"INVITE", b"CANCEL", 1).replace(b"1 INVITE", b"1 CANCEL"), PEER
    )
    (channel,) = channels
    assert pending(channel) == [RemoteHangup("cancel")]
    await channel.answer()  # too late: nothing happens, no exception
    statuses = [m.status for m in sip.sent if isinstance(m, SipResponse)]
    assert statuses == [100, 200, 487]
    assert not media.closed and media.remote is None  # media was never opened
    ua.close()


async def test_trunk_codecs_shape_the_offer() -> None:
    ua = UserAgent(TrunkConfig(host="127.0.0.1", port=5070, codecs=("PCMA",)))
    sip = FakeTransport()
    ua.transport = sip
    media = FakeMedia()

    async def open_media() -> MediaStream:
        return media

    await SipChannel(ua, open_media).dial(DialRequest(to="1000", from_="me"))
    assert parse_sdp(sip.requests("INVITE")[0].body).audio().formats == [8, 101]
    ua.close()


async def test_call_id_is_known_before_dialing(rig: Rig) -> None:
    before = rig.channel.call_id
    assert before
    await rig.channel.dial(DialRequest(to="1000", from_="me"))
    assert rig.sip.requests("INVITE")[0].call_id == before == rig.channel.call_id
    rig.ua.close()


async def test_media_failure_is_a_failed_dial() -> None:
    ua = UserAgent(TrunkConfig(host="127.0.0.1", port=5070))
    sip = FakeTransport()
    ua.transport = sip

    async def no_ports() -> MediaStream:
        raise OSError("no free port")

    channel = SipChannel(ua, no_ports)
    await channel.dial(DialRequest(to="1000", from_="me"))
    assert pending(channel) == [DialFailed("failed", None, "media: no free port")]
    assert sip.requests("INVITE") == []
    ua.close()


def far_end_bye(rig: Rig, channel: SipChannel) -> None:
    call = channel._call  # the dialog the far end hangs up
    assert call is not None and call.dialog is not None
    bye = call.dialog.create_request("BYE", "SIP/2.0/UDP 127.0.0.1:5070", "<sip:far@127.0.0.1>")
    frm, to = bye.headers.get("From") or "", bye.headers.get("To") or ""
    bye.headers.set("From", to)  # seen from the far end: swapped
    bye.headers.set("To", frm)
    bye.headers.set("CSeq", "1 BYE")
    rig.ua.datagram_received(bye.to_bytes(), PEER)


@pytest.mark.parametrize(("result", "frames_before_bye", "expected"), [
    ("human", 2, Answered("unknown", "hangup", sip_status=200)),
    ("machine", 4, Answered("machine", "fake", 60, 100, 200)),  # waiting for the beep
])  # fmt: skip
async def test_callee_hanging_up_while_amd_listens_was_answered(
    rig: Rig, result: str, frames_before_bye: int, expected: Answered
) -> None:
    """A callee who answers and hangs up before AMD decides (a short "allô?" and
    gone, or AMD slowed by a loaded machine) was answered: the flow must hear the
    answer before the hangup, not report a hangup before answer and call again."""
    channel = SipChannel(rig.ua, rig.channel._open_media, amd_factory=lambda s: FakeAmd(result, 3))
    await channel.dial(DialRequest(to="1000", from_="me", wait_for_beep=True))
    rig.answer_call()
    rig.media.frames(LOUD, frames_before_bye)
    assert pending(channel) == []
    far_end_bye(rig, channel)
    assert pending(channel) == [expected, RemoteHangup("bye")]
    await channel.play([LOUD])  # the flow's next Play after that answer: nothing to play to
    assert rig.media.plays == []
    rig.ua.close()
