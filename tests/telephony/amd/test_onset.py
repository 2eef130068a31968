"""The onset hangover on scripted VAD timelines (issue 20, fifth pass).

Silero scores a short word of some voices (Festival's diphone "Hi.", "Pronto?")
at >= 0.5 for only 40-80 ms and at 0.35-0.5 (voiced: the hangover) around it,
so the speech frames alone never reached `min_word_length_ms` and a person who
said one word ended `unknown: initial_silence`. The hangover frames now count
toward a word's minimum length (not toward its speech or the greeting's).
"""

from __future__ import annotations

import numpy as np

from ringcast.telephony.amd import AmdDetector, AmdVerdict
from ringcast.telephony.amd.frames import FrameInfo, SpeechFrames
from ringcast.telephony.channel import Pcm

from .conftest import RULES

S = RULES


class Scripted(SpeechFrames):
    """One letter a frame: S speech, V voiced (the hangover's), anything else silence."""

    def __init__(self, script: str) -> None:
        super().__init__(vad="webrtc")
        self._script = iter(script)

    def classify(self, frame: Pcm) -> FrameInfo:
        c = next(self._script, ".")
        return FrameInfo(c == "S", c in "SV", 60.0, 20.0, 1000.0)


def run(script: str, **kw: bool) -> tuple[AmdVerdict, AmdDetector]:
    det = AmdDetector(S, frames=Scripted(script), hangover_ms=100, **kw)  # type: ignore[arg-type]
    silent = np.zeros(160, dtype=np.int16)
    for _ in range(1000):
        verdict = det.feed(silent)
        if verdict is not None:
            return verdict, det
    raise AssertionError("no verdict")


HELLO = "." * 20 + "SSSVVSVV" + "." * 200  # 80 ms of speech in a 160 ms voiced word


def test_a_short_word_with_voiced_frames_around_it_is_a_word() -> None:
    v, det = run(HELLO)
    assert (v.result, v.reason) == ("human", "after_greeting_silence")
    assert det.words == 1 and det.greeting_speech_ms == 80  # voiced frames are not speech
    # the word began at its first speech frame, 400 ms after answer
    assert v.greeting_ms == 120  # to the end of its last speech frame


def test_without_the_onset_hangover_it_was_not_heard() -> None:
    v, _ = run(HELLO, onset_hangover=False)
    assert (v.result, v.reason) == ("unknown", "initial_silence")


def test_voiced_frames_alone_or_before_speech_make_no_word() -> None:
    # Voiced (hangover) frames exist only after a speech frame; a lone speech frame
    # with fewer than 100 ms of voiced frames after it is still a blip.
    v, det = run("." * 20 + "SVVV" + "." * 200)
    assert (v.result, v.reason, det.words) == ("unknown", "initial_silence", 0)
