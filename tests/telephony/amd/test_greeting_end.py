"""GreetingEndDetector: beep end, silence after speech, cap; hand-over from AmdDetector."""

from __future__ import annotations

from ringcast.telephony.amd import AmdDetector, GreetingEnd, GreetingEndDetector
from ringcast.telephony.amd.frames import SpeechFrames
from ringcast.telephony.channel import AmdSettings


def ged(**kw: int) -> GreetingEndDetector:
    # Synthetic speech: webrtcvad (Silero is tested on real speech in test_frames.py).
    return GreetingEndDetector(frames=SpeechFrames(vad="webrtc"), **kw)


def first_end(det: GreetingEndDetector, sig, pcm) -> GreetingEnd:
    for frame in sig.frames(pcm):
        end = det.feed(frame)
        if end is not None:
            assert det.feed(frame) is None  # reported once
            return end
    raise AssertionError("no greeting end")


def test_end_of_beep(sig):
    pcm = sig.pcm(sig.speech(1500), sig.silence(400), sig.tone(700, 1000), sig.silence(3000))
    end = first_end(ged(), sig, pcm)
    assert end.reason == "beep"
    assert 2600 <= end.at_ms <= 2660  # the first frame (or two) after the tone


def test_silence_after_speech(sig):
    pcm = sig.pcm(sig.speech(1000), sig.silence(500), sig.speech(800), sig.silence(4000))
    end = first_end(ged(silence_ms=1500), sig, pcm)
    assert end.reason == "silence"
    assert abs(end.at_ms - (2300 + 1500)) <= 40


def test_silence_before_any_speech_is_not_an_end(sig):
    end = first_end(ged(cap_ms=3000), sig, sig.pcm(sig.silence(5000)))
    assert (end.reason, end.at_ms) == ("cap", 3000)


def test_long_beep_is_waited_out_not_taken_for_silence(sig):
    pcm = sig.pcm(sig.speech(800), sig.silence(1200), sig.tone(1400, 800), sig.silence(3000))
    end = first_end(ged(silence_ms=1500), sig, pcm)
    assert end.reason == "beep"
    assert 3400 <= end.at_ms <= 3460


def test_cap(sig):
    end = first_end(ged(cap_ms=2000), sig, sig.pcm(sig.words(20, 300, 200)))
    assert (end.reason, end.at_ms) == ("cap", 2000)


def test_handover_from_the_amd_verdict_mid_beep(sig):
    """AMD decides `beep` 200 ms into the tone; the greeting ends when the tone stops."""
    pcm = sig.pcm(
        sig.silence(200), sig.speech(700), sig.silence(300), sig.tone(1000, 600), sig.silence(3000)
    )
    amd = AmdDetector(AmdSettings(), vad="webrtc")
    frames = sig.frames(pcm)
    used = 0
    verdict = None
    while verdict is None:
        verdict = amd.feed(frames[used])
        used += 1
    assert verdict.reason == "beep"
    handed = amd.greeting_end_detector()
    end = first_end(handed, sig, sig.pcm(*[f.astype(float) for f in frames[used:]]))
    assert end.reason == "beep"
    assert 2200 <= end.at_ms <= 2260  # on the answer clock
