"""The scripted callee: what it answers, when, and what it types."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from ringcast.telephony.channel import (
    AMD_REASONS,
    Answered,
    DialFailed,
    DialRequest,
    DigitReceived,
    PlaybackDone,
    RecordingDone,
    RecordRequest,
    RemoteHangup,
)
from ringcast.telephony.simulated import (
    CalleeScript,
    SimulatedChannel,
    SimulationStalledError,
    VirtualClock,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def channel(**script: object) -> SimulatedChannel:
    return SimulatedChannel(CalleeScript(**script), VirtualClock(T0), call_id="c-1")  # type: ignore[arg-type]


def tone(ms: int) -> np.ndarray:
    return np.ones(ms * 8, dtype=np.int16)


async def test_human_answers_after_ring_and_amd() -> None:
    ch = channel(answer="human", ring_ms=3000, amd_ms=1200)
    await ch.dial(DialRequest(to="+1", from_="+2"))
    assert ch.next_event_at_ms() == 4200
    event = await ch.next_event()
    assert isinstance(event, Answered)
    assert (event.answered_by, event.amd_decision_ms) == ("human", 1200)
    assert ch.clock.now_ms == 4200
    assert ch.clock.now() == datetime(2026, 1, 1, 0, 0, 4, 200000, tzinfo=UTC)
    assert ch.call_id == "c-1"


@pytest.mark.parametrize("answer", ["human", "machine"])
async def test_amd_reason_is_a_real_rule_name(answer: str) -> None:
    ch = channel(answer=answer, ring_ms=100, amd_ms=900)
    await ch.dial(DialRequest(to="+1", from_="+2"))
    event = await ch.next_event()
    assert isinstance(event, Answered)
    assert event.amd_reason in AMD_REASONS
    assert (
        event.amd_reason == {"human": "after_greeting_silence", "machine": "long_greeting"}[answer]
    )


async def test_amd_off_reports_unknown_at_answer_time() -> None:
    ch = channel(answer="machine", ring_ms=1000)
    await ch.dial(DialRequest(to="+1", from_="+2", enable_amd=False))
    event = await ch.next_event()
    assert event == Answered(answered_by="unknown")
    assert ch.clock.now_ms == 1000


async def test_machine_with_wait_for_beep_is_reported_after_the_greeting() -> None:
    ch = channel(answer="machine", ring_ms=1000, amd_ms=1000, machine_greeting_ms=7000)
    await ch.dial(DialRequest(to="+1", from_="+2", wait_for_beep=True))
    event = await ch.next_event()
    assert isinstance(event, Answered)
    assert event.answered_by == "machine"
    assert ch.clock.now_ms == 9000


@pytest.mark.parametrize(
    ("answer", "outcome", "status", "at_ms"),
    [
        ("no_answer", "no_answer", None, 25000),
        ("busy", "busy", 486, 300),
        ("rejected", "rejected", 603, 2000),
        ("error", "failed", 503, 100),
    ],
)
async def test_failed_dials(answer: str, outcome: str, status: int | None, at_ms: int) -> None:
    ch = channel(answer=answer)
    await ch.dial(DialRequest(to="+1", from_="+2", timeout_ms=25000))
    event = await ch.next_event()
    assert isinstance(event, DialFailed)
    assert (event.outcome, event.sip_status, ch.clock.now_ms) == (outcome, status, at_ms)


async def test_playback_takes_the_clips_duration_and_can_be_stopped() -> None:
    ch = channel()
    await ch.play([tone(1500), tone(500)])
    assert ch.next_event_at_ms() == 2000
    assert await ch.next_event() == PlaybackDone()
    await ch.play([tone(3000)])
    ch.clock.now_ms += 1000  # as if something else happened meanwhile
    await ch.stop_playback()
    assert await ch.next_event() == PlaybackDone(interrupted=True)
    assert ch.clock.now_ms == 3000
    await ch.stop_playback()  # nothing plays: nothing is reported
    assert ch.next_event_at_ms() is None


async def test_replacing_a_playback_reports_only_the_new_one() -> None:
    ch = channel()
    await ch.play([tone(1000)])
    await ch.play([tone(400)])
    assert await ch.next_event() == PlaybackDone()
    assert ch.clock.now_ms == 400
    assert ch.next_event_at_ms() is None


async def test_digits_are_typed_after_the_prompt_one_entry_per_collection() -> None:
    ch = channel(digits=("12", "", "#"), key_delay_ms=500, inter_key_ms=200)
    await ch.play([tone(2000)])
    ch.expect_digits(4, 5000)
    events = [await ch.next_event() for _ in range(3)]
    assert events == [
        PlaybackDone(),
        DigitReceived("1", "simulated"),
        DigitReceived("2", "simulated"),
    ]
    assert ch.clock.now_ms == 2700
    ch.expect_digits(1, 5000)  # "" = silence
    assert ch.next_event_at_ms() is None
    ch.expect_digits(1, 5000)
    assert await ch.next_event() == DigitReceived("#", "simulated")
    ch.expect_digits(1, 5000)  # the script ran out: silence
    assert ch.next_event_at_ms() is None


async def test_type_during_prompt_does_not_wait_for_it() -> None:
    ch = channel(digits=("5",), key_delay_ms=300, type_during_prompt=True)
    await ch.play([tone(2000)])
    ch.expect_digits(1, 5000)
    assert await ch.next_event() == DigitReceived("5", "simulated")
    assert ch.clock.now_ms == 300


@pytest.mark.parametrize(
    ("speech_ms", "max_ms", "duration", "reason"),
    [(2000, 10000, 3000, "silence"), (9500, 10000, 10000, "max_duration")],
)
async def test_recording_ends_on_silence_or_max(
    speech_ms: int, max_ms: int, duration: int, reason: str
) -> None:
    ch = channel(speech_ms=speech_ms)
    await ch.start_recording(RecordRequest(max_duration_ms=max_ms, silence_timeout_ms=1000))
    event = await ch.next_event()
    assert isinstance(event, RecordingDone)
    assert (event.duration_ms, event.reason, len(event.audio)) == (duration, reason, duration * 8)


async def test_stop_recording_ends_it_now() -> None:
    ch = channel(speech_ms=9000)
    await ch.start_recording(RecordRequest())
    ch.clock.now_ms = 1200
    await ch.stop_recording()
    event = await ch.next_event()
    assert isinstance(event, RecordingDone)
    assert (event.reason, event.duration_ms) == ("stopped", 1200)
    assert ch.next_event_at_ms() is None


async def test_callee_hangup_ends_a_recording_first_then_silences_the_line() -> None:
    ch = channel(answer="human", ring_ms=1000, amd_ms=0, hangup_after_ms=2000, speech_ms=60000)
    await ch.dial(DialRequest(to="+1", from_="+2"))
    await ch.next_event()  # answered at 1000
    await ch.start_recording(RecordRequest())
    await ch.play([tone(10000)])
    first = await ch.next_event()
    assert isinstance(first, RecordingDone)
    assert (first.reason, first.duration_ms, ch.clock.now_ms) == ("hangup", 2000, 3000)
    assert await ch.next_event() == RemoteHangup("callee")
    assert ch.next_event_at_ms() is None  # the playback never finishes: the line is gone
    with pytest.raises(SimulationStalledError):
        await ch.next_event()


async def test_our_hangup_drops_everything_and_logs_commands() -> None:
    ch = channel()
    await ch.dial(DialRequest(to="+1", from_="+2"))
    await ch.hangup("normal")
    assert ch.next_event_at_ms() is None
    await ch.play([tone(100)])  # after the end nothing is scheduled
    assert ch.next_event_at_ms() is None
    assert [c for _, c in ch.commands] == ["dial", "hangup normal", "play 100ms"]
