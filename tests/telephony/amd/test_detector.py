"""AmdDetector on synthetic timelines: every rule and every reason."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringcast.telephony.amd import AmdDetector, AmdVerdict, FrameSizeError, classify
from ringcast.telephony.channel import AmdSettings

from .conftest import RULES

DEFAULTS = RULES


def run(pcm: npt.NDArray[np.int16], s: AmdSettings = DEFAULTS, hangover_ms: int = 0) -> AmdVerdict:
    # The rules run on synthetic timelines, with webrtcvad, which takes every frame
    # of the synthetic "speech" for speech (Silero, trained on voices, does not):
    # known speech/silence boundaries to 20 ms. test_frames.py tests Silero on
    # real (espeak-ng) speech. Without the hangover by default: webrtcvad keeps calling a few frames of
    # the digital silence after synthetic speech voiced, which the hangover
    # (tested on its own below) would not count, blurring every timing here.
    det = AmdDetector(s, hangover_ms=hangover_ms, vad="webrtc")
    for i in range(0, pcm.size - 159, 160):
        verdict = det.feed(pcm[i : i + 160])
        if verdict is not None:
            return verdict
    raise AssertionError("no verdict before the audio ended")


def test_silence_ends_unknown_at_initial_silence(sig):
    v = run(sig.pcm(sig.silence(6000)))
    assert (v.result, v.reason, v.decision_ms, v.greeting_ms) == (
        "unknown",
        "initial_silence",
        2500,
        None,
    )


def test_line_noise_is_not_speech(sig):
    v = run(sig.pcm(sig.noise(6000, dbfs=-40)))
    assert (v.result, v.reason) == ("unknown", "initial_silence")


def test_initial_silence_threshold_is_tunable(sig):
    v = run(sig.pcm(sig.silence(6000)), dataclasses.replace(DEFAULTS, initial_silence_ms=1200))
    assert (v.reason, v.decision_ms) == ("initial_silence", 1200)


def test_short_hello_then_silence_is_human_quickly(sig):
    # One short word needs only 0.8 x after_greeting_silence_ms.
    v = run(sig.pcm(sig.silence(300), sig.speech(400), sig.silence(3000)))
    assert (v.result, v.reason) == ("human", "after_greeting_silence")
    assert 300 + 400 + 640 <= v.decision_ms <= 300 + 400 + 640 + 60
    assert v.greeting_ms is not None and abs(v.greeting_ms - 400) <= 40


def test_longer_greeting_waits_the_full_after_greeting_silence(sig):
    v = run(sig.pcm(sig.silence(300), sig.speech(900), sig.silence(3000)))
    assert (v.result, v.reason) == ("human", "after_greeting_silence")
    assert 300 + 900 + 800 <= v.decision_ms <= 300 + 900 + 800 + 60


def test_single_word_shortcut_is_a_parameter(sig):
    audio = sig.pcm(sig.silence(300), sig.speech(400), sig.silence(3000))
    det = AmdDetector(DEFAULTS, single_word_silence_factor=1.0, hangover_ms=0, vad="webrtc")
    verdicts = [v for v in map(det.feed, sig.frames(audio)) if v is not None]
    assert 300 + 400 + 800 <= verdicts[0].decision_ms <= 300 + 400 + 800 + 60


def test_hangover_keeps_a_words_fading_end_out_of_the_after_greeting_silence(sig):
    # The VAD still calls the first frames after the speech voiced (the energy
    # gate: silence); with the hangover they count as neither, so the human
    # decision comes later, by at most hangover_ms and only while the VAD
    # keeps voicing, and the greeting is no longer.
    audio = sig.pcm(sig.silence(300), sig.speech(900), sig.silence(3000))
    plain, held, long = (run(audio, hangover_ms=ms) for ms in (0, 100, 1000))
    assert plain.result == held.result == long.result == "human"
    assert 0 < held.decision_ms - plain.decision_ms <= 100
    assert long.decision_ms - plain.decision_ms < 1000
    assert plain.greeting_ms == held.greeting_ms == long.greeting_ms


def test_after_greeting_silence_is_tunable(sig):
    audio = sig.pcm(sig.silence(200), sig.speech(900), sig.silence(3000))
    fast = run(audio, dataclasses.replace(DEFAULTS, after_greeting_silence_ms=500))
    slow = run(audio, dataclasses.replace(DEFAULTS, after_greeting_silence_ms=1200))
    assert fast.result == slow.result == "human"
    assert slow.decision_ms - fast.decision_ms == 700


def test_hello_twice_is_human_not_max_words(sig):
    # Asterisk fires MAXWORDS on reaching 2 words; a person saying "hello? ... hello?" is a person.
    v = run(
        sig.pcm(
            sig.silence(200), sig.speech(400), sig.silence(500), sig.speech(400), sig.silence(3000)
        )
    )
    assert (v.result, v.reason) == ("human", "after_greeting_silence")


def test_continuous_speech_is_a_long_greeting(sig):
    v = run(sig.pcm(sig.silence(500), sig.speech(4000)))
    assert (v.result, v.reason) == ("machine", "long_greeting")
    assert abs(v.decision_ms - (500 + 1500)) <= 40


def test_greeting_counts_speech_across_short_pauses(sig):
    # 5 x 400 ms of speech with 300 ms pauses: 1500 ms of speech is reached in the 4th burst.
    audio = sig.pcm(sig.silence(200), sig.words(5, 400, 300), sig.silence(2000))
    v = run(audio, dataclasses.replace(DEFAULTS, maximum_words=10))
    assert (v.result, v.reason) == ("machine", "long_greeting")
    assert abs(v.decision_ms - (200 + 3 * 700 + 300)) <= 40


def test_more_words_than_maximum_is_a_machine(sig):
    audio = sig.pcm(sig.silence(200), sig.words(8, 160, 120), sig.silence(2000))
    v = run(audio, dataclasses.replace(DEFAULTS, greeting_ms=10_000))
    assert (v.result, v.reason) == ("machine", "max_words")
    # The 4th word (> 3) is counted once it has lasted min_word_length_ms.
    assert abs(v.decision_ms - (200 + 3 * 280 + 100)) <= 40


def test_speech_from_the_first_frame_is_heard(sig):
    v = run(sig.pcm(sig.speech(500), sig.silence(3000)))
    assert (v.result, v.reason) == ("human", "after_greeting_silence")


def test_blips_shorter_than_a_word_are_not_words(sig):
    audio = sig.pcm(sig.words(8, 60, 200), sig.silence(3000))
    v = run(audio, dataclasses.replace(DEFAULTS, greeting_ms=10_000))
    assert (v.result, v.reason) == ("unknown", "initial_silence")


def test_min_word_length_is_tunable(sig):
    audio = sig.pcm(sig.words(8, 60, 200), sig.silence(3000))
    v = run(audio, dataclasses.replace(DEFAULTS, greeting_ms=10_000, min_word_length_ms=40))
    assert (v.result, v.reason) == ("machine", "max_words")


def test_between_words_silence_joins_words(sig):
    # 100 ms gaps split words at the default 50 ms, not when 150 ms is required.
    audio = sig.pcm(sig.silence(200), sig.words(6, 200, 100), sig.silence(3000))
    split = run(audio, dataclasses.replace(DEFAULTS, greeting_ms=10_000))
    joined = run(
        audio, dataclasses.replace(DEFAULTS, greeting_ms=10_000, between_words_silence_ms=150)
    )
    assert split.reason == "max_words"
    assert joined.reason == "after_greeting_silence"


def test_beep_is_a_machine(sig):
    v = run(
        sig.pcm(
            sig.silence(200),
            sig.speech(600),
            sig.silence(300),
            sig.tone(800, 1000),
            sig.silence(2000),
        )
    )
    assert (v.result, v.reason) == ("machine", "beep")
    assert abs(v.decision_ms - (200 + 600 + 300 + 200)) <= 40


def test_beep_after_a_pause_is_not_taken_for_silence(sig):
    # 700 ms pause + the 200 ms the beep takes to confirm would pass 800 ms of silence.
    v = run(
        sig.pcm(
            sig.silence(200),
            sig.speech(600),
            sig.silence(700),
            sig.tone(800, 1000),
            sig.silence(2000),
        )
    )
    assert (v.result, v.reason) == ("machine", "beep")


# 300 ms words, 400 ms pauses: never 1500 ms of speech by 3 s, never a long
# enough silence; 3000 ms after the first word (at 200 ms) the caller is inside
# a word (3000 = 4 x 700 + 200). With 150 ms words and 550 ms pauses the caller
# is in a pause then (3000 mod 700 = 200 > 150), so the rule waits for the next
# word, at 200 + 3500.
@pytest.mark.parametrize(("word_ms", "gap_ms", "at_ms"), [(300, 400, 3200), (150, 550, 3700)])
def test_greeting_still_going_greeting_span_ms_after_its_first_word_is_a_machine(
    sig, word_ms, gap_ms, at_ms
):
    s = dataclasses.replace(DEFAULTS, greeting_ms=10_000, maximum_words=100, greeting_span_ms=3000)
    v = run(sig.pcm(sig.silence(200), sig.words(12, word_ms, gap_ms)), s)
    assert (v.result, v.reason) == ("machine", "long_greeting")
    assert at_ms <= v.decision_ms <= at_ms + 40


def test_talk_with_long_pauses_times_out_unknown(sig):
    # Never a long greeting, never enough words, never a long enough silence,
    # the span rule off: total_analysis_ms runs from the first word, at 200 ms.
    s = dataclasses.replace(DEFAULTS, greeting_ms=10_000, maximum_words=100, greeting_span_ms=0)
    v = run(sig.pcm(sig.silence(200), sig.words(12, 300, 400)), s)
    assert (v.result, v.reason, v.decision_ms) == ("unknown", "timeout", 5200)


# A greeting opening 3 s after answer, 300 ms words with 300 ms gaps: 1500 ms of
# speech is reached at the end of the 5th word, 3000 + 4 x 600 + 300 = 5700 ms.
LATE = dataclasses.replace(DEFAULTS, maximum_words=100, initial_silence_ms=3500)


def late_greeting(sig):
    return sig.pcm(sig.silence(3000), sig.words(10, 300, 300), sig.silence(3000))


def test_late_greeting_gets_the_full_analysis_window(sig):
    v = run(late_greeting(sig), LATE)
    assert (v.result, v.reason) == ("machine", "long_greeting")
    assert abs(v.decision_ms - 5700) <= 40


def test_late_start_allowance_zero_counts_from_answer_like_asterisk(sig):
    det = AmdDetector(LATE, late_start_allowance_ms=0, vad="webrtc")
    verdicts = [v for v in map(det.feed, sig.frames(late_greeting(sig))) if v is not None]
    assert (verdicts[0].reason, verdicts[0].decision_ms) == ("timeout", 5000)


def test_late_start_is_capped_after_answer(sig):
    # By default the cap is the initial-silence cap: a first word at 3000 ms (before
    # initial_silence_ms 3500) gets its full 5000 ms window, to 8000.
    s = dataclasses.replace(LATE, greeting_ms=10_000, greeting_span_ms=0)
    v = run(sig.pcm(sig.silence(3000), sig.words(12, 300, 400)), s)
    assert (v.result, v.reason, v.decision_ms) == ("unknown", "timeout", 8000)
    # An explicit allowance caps it: 5000 + 2000.
    det = AmdDetector(s, late_start_allowance_ms=2000, vad="webrtc")
    audio = sig.pcm(sig.silence(3000), sig.words(12, 300, 400))
    verdicts = [v for v in map(det.feed, sig.frames(audio)) if v is not None]
    assert (verdicts[0].reason, verdicts[0].decision_ms) == ("timeout", 7000)
    det = AmdDetector(s, late_start_allowance_ms=1000, vad="webrtc")
    audio = sig.pcm(sig.silence(3000), sig.words(12, 300, 400))
    verdicts = [v for v in map(det.feed, sig.frames(audio)) if v is not None]
    assert (verdicts[0].reason, verdicts[0].decision_ms) == ("timeout", 6000)


def test_total_analysis_is_tunable(sig):
    s = dataclasses.replace(DEFAULTS, greeting_ms=10_000, maximum_words=100, total_analysis_ms=3000)
    v = run(sig.pcm(sig.words(12, 300, 400)), s)
    assert (v.reason, v.decision_ms) == ("timeout", 3000)


def test_quiet_caller_is_heard_with_the_shipped_threshold(sig):
    # -40 dBFS speech (mean absolute amplitude about 260, under it between
    # syllables) over a silent line: a one-word answer is still a word, so a
    # person, not dead air.
    hello = sig.pcm(sig.silence(300), sig.speech(400, dbfs=-40), sig.silence(3000))
    shipped = dataclasses.replace(DEFAULTS, silence_threshold=AmdSettings().silence_threshold)
    assert run(hello, shipped).result == "human"
    assert run(hello, dataclasses.replace(DEFAULTS, silence_threshold=256)).result == "unknown"


def test_silence_threshold_gates_quiet_speech(sig):
    # -30 dBFS speech has a mean absolute amplitude around 800: speech at 256, silence at 1200.
    quiet = sig.pcm(sig.silence(200), sig.speech(3000, dbfs=-30), sig.silence(3000))
    assert run(quiet).reason == "long_greeting"
    assert (
        run(quiet, dataclasses.replace(DEFAULTS, silence_threshold=1200)).reason
        == "initial_silence"
    )


def test_verdict_is_returned_once(sig):
    det = AmdDetector(DEFAULTS, vad="webrtc")
    results = [det.feed(f) for f in sig.frames(sig.pcm(sig.silence(4000)))]
    verdicts = [r for r in results if r is not None]
    assert len(verdicts) == 1
    assert det.verdict == verdicts[0]


def test_frame_size_is_checked():
    with pytest.raises(FrameSizeError):
        AmdDetector(DEFAULTS).feed(np.zeros(80, dtype=np.int16))


def test_classify_pads_a_short_recording_with_silence(sig):
    v = classify(sig.pcm(sig.speech(500)), DEFAULTS, vad="webrtc")
    assert (v.result, v.reason) == ("human", "after_greeting_silence")


segment = st.tuples(st.sampled_from(["silence", "speech", "tone", "noise"]), st.integers(1, 30))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(segment, min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_causal_verdict_ignores_audio_after_the_decision(sig, segs, seed):
    """Whatever follows the deciding frame, the verdict and its time are the same."""
    parts = [
        getattr(sig, kind)(n * 100) if kind != "tone" else sig.tone(n * 100, 800)
        for kind, n in segs
    ]
    audio = sig.pcm(*parts, sig.silence(6000))
    first = run(audio)
    cut = first.decision_ms * 8
    rng = np.random.default_rng(seed)
    tail = rng.integers(-20000, 20000, size=audio.size - cut).astype(np.int16)
    second = run(np.concatenate([audio[:cut], tail]))
    assert first == second


def test_shipped_defaults_answer_a_person_within_a_second_of_stopping(sig):
    # Issue 20's goal: a person is answered within 1.0 s of stopping (median). The
    # shipped after-greeting silence leaves room for the VAD hearing a word's end
    # late (Silero's 32 ms windows, the 100 ms hangover): 920 ms, not 1000.
    audio = sig.pcm(sig.silence(500), sig.words(2, 400, 150), sig.silence(4000))
    spoke_until = 500 + 400 + 150 + 400
    shipped = AmdSettings()
    v = run(audio, shipped)
    assert (v.result, v.reason) == ("human", "after_greeting_silence")
    # the rule's own share (no VAD lag on this synthetic timeline), 80 ms under 1.0 s
    assert shipped.after_greeting_silence_ms <= v.decision_ms - spoke_until <= 920 + 20
