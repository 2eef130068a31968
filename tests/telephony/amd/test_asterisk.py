"""The Asterisk AMD() port used as the benchmark baseline: its rules, in its order."""

from __future__ import annotations

import dataclasses

from ringcast.telephony.amd import AmdVerdict
from ringcast.telephony.amd.asterisk import AsteriskAmd, AsteriskAmdSettings


def run(sig, pcm, settings: AsteriskAmdSettings | None = None) -> AmdVerdict:
    det = AsteriskAmd(settings)
    for frame in sig.frames(pcm):
        verdict = det.feed(frame)
        if verdict is not None:
            assert det.feed(frame) is None
            return verdict
    raise AssertionError("no verdict")


def test_initial_silence_is_a_machine_in_asterisk(sig):
    v = run(sig, sig.pcm(sig.silence(4000)))
    assert (v.result, v.reason, v.decision_ms) == ("machine", "INITIALSILENCE", 2500)


def test_hello_then_silence_is_human(sig):
    v = run(sig, sig.pcm(sig.silence(300), sig.speech(400), sig.silence(2000)))
    assert (v.result, v.reason) == ("human", "HUMAN")
    assert abs(v.decision_ms - (300 + 400 + 800)) <= 40


def test_two_words_reach_the_maximum(sig):
    v = run(sig, sig.pcm(sig.silence(300), sig.words(2, 300, 300), sig.silence(2000)))
    assert (v.result, v.reason) == ("machine", "MAXWORDS")


def test_long_greeting(sig):
    v = run(sig, sig.pcm(sig.silence(300), sig.speech(3000)))
    assert (v.result, v.reason) == ("machine", "LONGGREETING")


def test_line_noise_above_256_is_voice_to_asterisk(sig):
    v = run(sig, sig.pcm(sig.noise(6000, dbfs=-25)))
    assert v.result == "machine"


def test_total_analysis_time(sig):
    s = dataclasses.replace(AsteriskAmdSettings(), initial_silence_ms=9000)
    v = run(sig, sig.pcm(sig.silence(6000)), s)
    assert (v.result, v.reason, v.decision_ms) == ("unknown", "TOOLONG", 5000)
