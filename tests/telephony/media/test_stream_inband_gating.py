"""The in-band detector switched on and off mid-call (`RtpStream.enable_inband_dtmf`).

Switched on, it first hears the last 80 ms of audio, so a key pressed just
before is caught as early as an always-on detector would have caught it, and a
key already complete then is not reported late; switched off, it forgets a
half-heard key.
"""

from __future__ import annotations

import numpy as np

from ringcast.audio.g711 import ulaw_encode
from ringcast.telephony.channel import DigitSource, Pcm
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.dtmf_inband import DtmfDetector, dtmf_tone
from ringcast.telephony.media.rtp import RtpPacket
from ringcast.telephony.media.stream import RtpStream

REMOTE = ("127.0.0.1", 40000)
FRAME = 160


class Far:
    """A far end sending 20 ms PCMU packets into a stream that was never opened."""

    def __init__(self) -> None:
        self.stream = RtpStream(MediaClock())
        self.stream._remote = REMOTE  # set_remote would start the clock (needs a loop)
        self.digits: list[tuple[int, str, DigitSource]] = []
        self.stream.on_dtmf = lambda d, s: self.digits.append((self.frames, d, s))
        self.frames = 0

    def send(self, pcm: Pcm) -> None:
        assert pcm.size % FRAME == 0
        for i in range(0, pcm.size, FRAME):
            self.frames += 1
            pkt = RtpPacket(0, self.frames, self.frames * FRAME, 7, ulaw_encode(pcm[i : i + FRAME]))
            self.stream.datagram_received(pkt.serialize(), REMOTE)


def silence(ms: int) -> Pcm:
    return np.zeros(ms * 8, dtype=np.int16)


def test_off_hears_nothing_and_decodes_nothing() -> None:
    far = Far()
    far.stream.enable_inband_dtmf(False)
    far.send(np.concatenate([silence(100), dtmf_tone("5", 200), silence(100)]))
    assert far.digits == []
    assert far.stream._listeners == []  # no listener: packets are not even decoded


def test_on_at_the_key_press_is_as_quick_as_always_on() -> None:
    always, gated = Far(), Far()
    always.stream.enable_inband_dtmf(True)
    for far in (always, gated):
        far.send(silence(400))
    gated.stream.enable_inband_dtmf(True)  # just as the key goes down
    for far in (always, gated):
        far.send(np.concatenate([dtmf_tone("5", 100), silence(100)]))
    assert gated.digits == always.digits == [(20 + 2, "5", "inband")]  # 40 ms of tone


def test_a_key_pressed_just_before_switching_on_is_not_cut_short() -> None:
    always, gated = Far(), Far()
    always.stream.enable_inband_dtmf(True)
    # A 40 ms key, 15 ms of it before the switch: the 25 ms after it are too short
    # to be a key (30 ms are needed); an always-on detector hears it whole.
    audio = np.concatenate([silence(205), dtmf_tone("8", 40), silence(115)])
    for far in (always, gated):
        far.send(audio[: 220 * 8])
    gated.stream.enable_inband_dtmf(True)
    for far in (always, gated):
        far.send(audio[220 * 8 :])
    assert always.digits == [(12, "8", "inband")]
    assert gated.digits == always.digits
    fresh: list[str] = []
    DtmfDetector(fresh.append).feed(audio[220 * 8 :])
    assert fresh == []  # what the live audio alone would have given


def test_a_key_complete_before_switching_on_is_not_reported_late() -> None:
    always, gated = Far(), Far()
    always.stream.enable_inband_dtmf(True)
    held = dtmf_tone("3", 400)
    for far in (always, gated):
        far.send(np.concatenate([silence(100), held[: 160 * 10]]))  # held 200 ms so far
    gated.stream.enable_inband_dtmf(True)
    for far in (always, gated):
        far.send(np.concatenate([held[160 * 10 :], silence(100), dtmf_tone("3", 100)]))
    assert [d for _, d, _ in always.digits] == ["3", "3"]
    # The held key was heard before listening began (by no one); the next one counts.
    assert [(d, s) for _, d, s in gated.digits] == [("3", "inband")]
    assert gated.digits == always.digits[1:]


def test_switching_off_forgets_a_half_heard_key() -> None:
    far = Far()
    far.stream.enable_inband_dtmf(True)
    tone = dtmf_tone("2", 20)
    far.send(np.concatenate([silence(100), tone]))  # 20 ms: not yet a key
    far.stream.enable_inband_dtmf(False)
    far.send(silence(500))
    far.stream.enable_inband_dtmf(True)
    far.send(np.concatenate([tone, silence(200)]))  # 20 ms more
    assert far.digits == []  # two halves in different listen windows are not a key
    far.send(np.concatenate([dtmf_tone("2", 80), silence(100)]))
    assert [d for _, d, _ in far.digits] == ["2"]


def test_on_and_off_repeatedly_costs_no_listeners() -> None:
    far = Far()
    for _ in range(3):
        far.stream.enable_inband_dtmf(True)
        far.stream.enable_inband_dtmf(True)
        assert len(far.stream._listeners) == 1
        far.stream.enable_inband_dtmf(False)
        assert far.stream._listeners == []
