"""What `SipChannel` needs from the media layer and the AMD detector, as protocols.

The channel codes against these, not the concrete classes, so unit tests can pass
fakes and the detectors plug in through factories: `AmdDetector` (the class itself)
fits `AmdFactory`. `rtp_media(clock)` is the production media opener.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from ringcast.telephony.channel import AmdSettings, DigitSource, Pcm
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.srtp import SrtpPair
from ringcast.telephony.media.stream import RtpStream

FrameListener = Callable[[Pcm], None]


class MediaStream(Protocol):
    """What the channel needs of the media layer's `RtpStream`."""

    local_host: str
    local_port: int
    on_dtmf: Callable[[str, DigitSource], None] | None
    on_media_timeout: Callable[[], None] | None
    media_timeout_ms: int | None
    sending: bool  # False while held: the clock still runs, nothing goes out

    def set_remote(
        self, host: str, port: int, payload_type: int, dtmf_payload_type: int | None
    ) -> None: ...
    def play(self, clips: Sequence[Pcm]) -> asyncio.Future[bool]: ...
    def stop_playback(self) -> None: ...
    def feed(self, frame: Pcm) -> None: ...
    def send_dtmf(self, digit: str, duration_ms: int = ...) -> asyncio.Future[None]: ...
    def add_listener(self, fn: FrameListener) -> None: ...
    def remove_listener(self, fn: FrameListener) -> None: ...
    def enable_inband_dtmf(self, on: bool) -> None: ...
    def accept_dtmf_payload_types(self, payload_types: frozenset[int]) -> None: ...
    def allow_source(self, host: str, port: int) -> None: ...
    @property
    def srtp(self) -> SrtpPair | None: ...
    def set_srtp(self, pair: SrtpPair) -> None: ...
    def close(self) -> None: ...


class AmdVerdictLike(Protocol):
    @property
    def result(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def decision_ms(self) -> int: ...
    @property
    def greeting_ms(self) -> int | None: ...


class GreetingEndLike(Protocol):
    def feed(self, frame: Pcm) -> object | None:
        """Something truthy once the greeting is over (beep ended, silence, cap)."""


class AmdDetectorLike(Protocol):
    """`ringcast.telephony.amd.detector.AmdDetector` fits: pass the class as the factory."""

    def feed(self, frame: Pcm) -> AmdVerdictLike | None: ...
    def greeting_end_detector(self, cap_ms: int = ...) -> GreetingEndLike: ...


MediaOpener = Callable[[], Awaitable[MediaStream]]
AmdFactory = Callable[[AmdSettings], AmdDetectorLike]


def rtp_media(clock: MediaClock, host: str = "127.0.0.1") -> MediaOpener:
    """The production opener: an `RtpStream` on `host`, driven by the shared clock."""

    async def open_stream() -> MediaStream:
        return await RtpStream.open(clock, host)

    return open_stream
