"""Keyword evidence (telephony/amd/keywords.py): machine-only, only while undecided, only
on greeting-length speech, off the media clock, within a CPU budget; the pocketsphinx
spotter itself on real (espeak-ng) speech."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pytest

from ringcast.telephony.amd import AmdDetector, AmdVerdict, keywords
from ringcast.telephony.amd.audio_file import read_audio_8k
from ringcast.telephony.channel import AmdSettings, Pcm
from support import require_tool

DEFAULTS = AmdSettings(
    initial_silence_ms=2500, greeting_ms=1500, after_greeting_silence_ms=800, maximum_words=3
)


class FakeSpotter:
    """Hits once it has been fed `hit_after` frames; records what it was fed."""

    made: ClassVar[list[FakeSpotter]] = []

    def __init__(self, hit_after: int = 10**9) -> None:
        self.fed: list[Pcm] = []
        self.hit_after = hit_after
        self.closed = False
        FakeSpotter.made.append(self)

    @property
    def hit(self) -> str | None:
        return "leave a message" if len(self.fed) >= self.hit_after else None

    def feed(self, frame: Pcm) -> None:
        self.fed.append(frame)

    def close(self) -> None:
        self.closed = True


def run(pcm: npt.NDArray[np.int16], det: AmdDetector) -> AmdVerdict:
    for i in range(0, pcm.size - 159, 160):
        verdict = det.feed(pcm[i : i + 160])
        if verdict is not None:
            return verdict
    raise AssertionError("no verdict before the audio ended")


def detector(hit_after: int, **kw: int) -> AmdDetector:
    FakeSpotter.made.clear()
    return AmdDetector(
        DEFAULTS, vad="webrtc", hangover_ms=0, keywords=lambda: FakeSpotter(hit_after), **kw
    )


def test_a_phrase_heard_while_undecided_is_a_machine(sig):
    # 1.2 s of speech: under greeting_ms (1.5 s), so only the phrase can decide
    pcm = sig.pcm(sig.silence(500), sig.speech(1200), sig.silence(3000))
    v = run(pcm, detector(hit_after=60, keyword_start_speech_ms=600))
    assert (v.result, v.reason) == ("machine", "keyword")
    [spotter] = FakeSpotter.made
    # started at 600 ms of speech, fed from 300 ms before the first word
    assert len(spotter.fed) == 60 and spotter.closed
    assert 500 + 600 <= v.decision_ms <= 500 + 1200 + 800


def test_a_short_answer_never_starts_the_spotter(sig):
    pcm = sig.pcm(sig.silence(500), sig.speech(400), sig.silence(3000))
    v = run(pcm, detector(hit_after=1, keyword_start_speech_ms=600))
    assert (v.result, v.reason) == ("human", "after_greeting_silence")
    assert FakeSpotter.made == []  # no decoder for a "Hello?"


def test_no_phrase_is_never_evidence_for_a_person(sig):
    # the same long greeting with and without a spotter that hears nothing
    pcm = sig.pcm(sig.silence(300), sig.speech(2000), sig.silence(3000))
    with_spotter = run(pcm, detector(hit_after=10**9))
    without = run(pcm, AmdDetector(DEFAULTS, vad="webrtc", hangover_ms=0))
    assert with_spotter == without
    assert (with_spotter.result, with_spotter.reason) == ("machine", "long_greeting")


def test_the_spotter_stops_at_the_verdict(sig):
    pcm = sig.pcm(sig.silence(300), sig.speech(900), sig.silence(3000), sig.speech(2000))
    det = detector(hit_after=10**9)
    v = run(pcm, det)
    assert v.result == "human"
    [spotter] = FakeSpotter.made
    fed = len(spotter.fed)
    assert spotter.closed
    for i in range(0, 8000, 160):  # frames after the verdict are not decoded
        det.feed(pcm[i : i + 160])
    assert len(spotter.fed) == fed


def test_settings_keywords_off_makes_no_spotter(sig):
    det = AmdDetector(DEFAULTS, vad="webrtc")
    run(sig.pcm(sig.silence(300), sig.speech(2000), sig.silence(3000)), det)
    assert det.spotter is None


def test_upsample_is_continuous_across_frames():
    x = np.arange(0, 320, dtype=np.int16) * 10
    a = keywords.upsample_2x(x[:160], 0)
    b = keywords.upsample_2x(x[160:], int(x[159]))
    whole = np.concatenate([a, b])
    assert whole.size == 640
    assert np.all(np.diff(whole[1:].astype(np.int32)) == 5)  # a straight line stays one


# ---- the pocketsphinx spotter on espeak-ng speech ------------------------------------


def _say(tmp_path: Path, text: str) -> Pcm:
    require_tool("espeak-ng")
    wav = tmp_path / "say.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
    return read_audio_8k(wav)


@pytest.fixture
def spotter_ok() -> None:
    if not keywords.available():
        pytest.skip("pocketsphinx (the kws extra) is not installed")


def _spot(pcm: Pcm, spotter: keywords.KeywordSpotter) -> str | None:
    padded = np.concatenate([np.zeros(4000, np.int16), pcm, np.zeros(8000, np.int16)])
    for i in range(0, padded.size - 159, 160):
        spotter.feed(padded[i : i + 160])
    return spotter.hit


def test_spots_a_voicemail_phrase_and_not_a_greeting(tmp_path, spotter_ok):
    machine = _say(tmp_path, "Hi, you have reached Mark. Please leave a message.")
    assert _spot(machine, keywords.KeywordSpotter()) == "you have reached"
    person = _say(tmp_path, "Hello, this is Mark speaking. Who is calling please?")
    assert _spot(person, keywords.KeywordSpotter()) is None


def test_cpu_budget_stops_the_spotter(tmp_path, spotter_ok):
    pcm = _say(tmp_path, "Hello, this is Mark speaking. Who is calling please?")
    spotter = keywords.KeywordSpotter(cpu_budget_s=0.0)
    _spot(pcm, spotter)
    assert spotter.over_budget and spotter.cpu_s < 0.05  # one frame, then nothing


def test_threaded_spotter_decodes_off_the_callers_thread(tmp_path, spotter_ok):
    machine = _say(tmp_path, "Hi, you have reached Mark. Please leave a message.")
    threaded = keywords.ThreadedSpotter()
    padded = np.concatenate([np.zeros(4000, np.int16), machine, np.zeros(8000, np.int16)])
    t0 = time.thread_time()
    for i in range(0, padded.size - 159, 160):
        threaded.feed(padded[i : i + 160])
    queued_cpu = time.thread_time() - t0
    deadline = time.monotonic() + 30
    while threaded.hit is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threaded.hit == "you have reached"
    assert queued_cpu < threaded.spotter.cpu_s  # the decoding was done elsewhere


@pytest.mark.parametrize(
    ("keywords", "language", "spot"),
    [
        ("auto", "en-US", True),
        ("auto", "en", True),
        ("auto", "EN-gb", True),
        ("auto", "fr-FR", False),
        ("auto", None, False),  # unknown language: no English phrase evidence
        ("on", "fr", True),
        ("off", "en-US", False),
    ],
)
def test_dial_node_keywords_follow_the_language(keywords, language, spot):
    from ringcast.flow.nodes.dial import AmdConfig

    config = AmdConfig.model_validate({"keywords": keywords, "language": language})
    assert config.spot_keywords is spot


def test_dial_node_rejects_a_bad_keywords_mode():
    from pydantic import ValidationError

    from ringcast.flow.nodes.dial import AmdConfig

    with pytest.raises(ValidationError):
        AmdConfig.model_validate({"keywords": "maybe"})
    with pytest.raises(ValidationError):
        AmdConfig.model_validate({"language": "en US; drop"})


def test_threaded_spotter_gives_up_when_the_worker_is_far_behind(monkeypatch, spotter_ok):
    threaded = keywords.ThreadedSpotter()
    monkeypatch.setattr(keywords, "MAX_BACKLOG_FRAMES", 0)
    threaded.feed(np.zeros(160, np.int16))
    assert threaded.spotter.over_budget and threaded.spotter.cpu_s == 0.0
