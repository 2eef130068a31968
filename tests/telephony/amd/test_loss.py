"""Packet loss on synthetic timelines: lost frames are neither speech nor silence.

The RTP stream hands AMD a lost packet as `LOST_FRAME` (a sequence gap) and a
pause the far end did not send (DTX) as ordinary zero frames. Each test runs the
same audio twice: the lost stretch as `LOST_FRAME` (what the stream delivers now)
and as zeros (what it delivered before, and still delivers for DTX).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ringcast.telephony.amd import AmdDetector, AmdVerdict
from ringcast.telephony.amd.greeting_end import GreetingEndDetector
from ringcast.telephony.channel import LOST_FRAME

from .conftest import RULES, Signals

S = RULES

Pcm = npt.NDArray[np.int16]


def frames(pcm: Pcm, lost_ms: tuple[int, int], as_lost: bool) -> list[Pcm]:
    """20 ms frames of `pcm`, those in [start, end) ms lost: LOST_FRAME, or zeros."""
    out: list[Pcm] = []
    for i in range(0, pcm.size - 159, 160):
        if lost_ms[0] <= i // 8 < lost_ms[1]:
            out.append(LOST_FRAME if as_lost else np.zeros(160, dtype=np.int16))
        else:
            out.append(pcm[i : i + 160])
    return out


def run(
    pcm: Pcm, lost_ms: tuple[int, int], as_lost: bool = True, **kw: int
) -> tuple[AmdVerdict, AmdDetector]:
    det = AmdDetector(S, hangover_ms=0, vad="webrtc", **kw)
    for frame in frames(pcm, lost_ms, as_lost):
        verdict = det.feed(frame)
        if verdict is not None:
            return verdict, det
    raise AssertionError("no verdict before the audio ended")


def test_lost_speech_after_a_pause_is_no_after_greeting_silence(sig: Signals) -> None:
    # A greeting: 1 s, a 500 ms pause between sentences, then a sentence whose
    # first 400 ms the network lost. Heard as silence, the pause grew to 900 ms and
    # the machine passed for a person who had stopped.
    audio = sig.pcm(sig.silence(300), sig.speech(1000), sig.silence(500), sig.speech(2000))
    before, _ = run(audio, (1800, 2200), as_lost=False)
    assert (before.result, before.reason) == ("human", "after_greeting_silence")
    after, _ = run(audio, (1800, 2200))
    assert (after.result, after.reason) == ("machine", "long_greeting")


def test_a_loss_inside_a_word_does_not_end_it(sig: Signals) -> None:
    audio = sig.pcm(sig.silence(300), sig.speech(1200), sig.silence(3000))
    _, zeros = run(audio, (700, 900), as_lost=False)
    _, lost = run(audio, (700, 900))
    assert zeros.words == 2  # the loss split the word in two
    assert lost.words == 1
    assert lost.greeting_speech_ms == 1000  # the lost 200 ms are not speech either


def test_silence_timers_skip_lost_frames(sig: Signals) -> None:
    audio = sig.pcm(sig.silence(300), sig.speech(900), sig.silence(4000))
    v, _ = run(audio, (1600, 1900))  # 300 ms lost inside the silence after the answer
    assert (v.result, v.reason) == ("human", "after_greeting_silence")
    assert 300 + 900 + 800 + 300 <= v.decision_ms <= 300 + 900 + 800 + 300 + 60
    # and the initial silence: 400 ms lost before anyone spoke
    v, det = run(sig.pcm(sig.silence(6000)), (1000, 1400))
    assert (v.result, v.reason, v.decision_ms) == ("unknown", "initial_silence", 2900)
    assert det.lost_ms == 400


def test_dtx_is_silence(sig: Signals) -> None:
    # Zero frames (DTX, the far end sent nothing) are silence: a person who said
    # "Hello?" is heard at once, as on a line that sends its silence.
    audio = sig.pcm(sig.silence(300), sig.speech(400), sig.silence(3000))
    v, _ = run(audio, (0, 0))
    assert (v.result, v.reason) == ("human", "after_greeting_silence")
    assert v.decision_ms <= 300 + 400 + 640 + 60


def test_a_long_loss_ends_unknown(sig: Signals) -> None:
    audio = sig.pcm(sig.silence(300), sig.speech(600), sig.silence(3000))
    v, _ = run(audio, (1000, 1600), max_loss_ms=500)
    assert (v.result, v.reason, v.decision_ms) == ("unknown", "packet_loss", 1500)
    v, _ = run(audio, (1000, 1480), max_loss_ms=500)  # 480 ms: the rules go on
    assert (v.result, v.reason) == ("human", "after_greeting_silence")


def test_the_greeting_end_does_not_count_lost_frames_as_silence(sig: Signals) -> None:
    det = GreetingEndDetector(cap_ms=20000, silence_ms=1500, frames=None, speech_heard=True)
    quiet = sig.pcm(sig.silence(1000))
    for frame in [*frames(quiet, (0, 0), False), *[LOST_FRAME] * 50]:
        assert det.feed(frame) is None
    end = None
    for frame in frames(sig.pcm(sig.silence(1000)), (0, 0), False):
        end = end or det.feed(frame)
    assert end is not None and (end.reason, end.at_ms) == ("silence", 2500)
