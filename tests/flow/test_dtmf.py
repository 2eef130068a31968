"""DTMF collection: single and multi digit, timeouts, invalid keys, retries, barge-in."""

from __future__ import annotations

from typing import Any

import pytest

from flow.flow_helpers import Harness, audio, graph, node
from ringcast.audio.requests import PlayFile
from ringcast.flow.events import (
    CallAnswered,
    CollectDigits,
    DigitPressed,
    Play,
    PlaybackFinished,
    SetTimer,
    StopPlayback,
)

ENDS = ("one", "two", "ok", "timeout", "invalid", "max", "err")


def menu(outputs: dict[str, Any], **config: Any) -> Harness:
    """dial → menu (the DTMF under test) → hangup nodes named after the outcome."""
    used = {v for v in outputs.values() if isinstance(v, str)}
    used |= set(outputs.get("branches", {}).values())
    nodes = [node(name, "hangup", reason=name) for name in ENDS if name in used]
    run = Harness(
        graph(node("d", "dial", {"onAnswer": "m"}), node("m", "dtmf", outputs, **config), *nodes)
    )
    run.send(CallAnswered("human"), after_ms=3000)
    return run


ALL = {
    "branches": {"1": "one", "2": "two"},
    "onSuccess": "ok",
    "onTimeout": "timeout",
    "onInvalid": "invalid",
    "onMaxRetries": "max",
    "onError": "err",
}
ONE_TWO = {"singleDigitConfig": {"allowedDigits": ["1", "2", "3"]}, "variable": "choice"}


def last(run: Harness) -> tuple[str, str | None]:
    step: tuple[str, str | None] = run.path[-2]
    return step


# ---- single digit --------------------------------------------------------------------


def test_allowed_digit_with_a_branch_takes_it_and_is_stored() -> None:
    run = menu(ALL, **ONE_TWO)
    run.send(DigitPressed("2"), after_ms=1000)
    assert last(run) == ("m", "branches.2")
    assert run.path[-1] == ("two", None)
    assert run.variables["choice"] == "2"


def test_allowed_digit_without_a_branch_takes_on_success() -> None:
    run = menu(ALL, **ONE_TWO)
    run.send(DigitPressed("3"))
    assert last(run) == ("m", "onSuccess")
    assert run.variables["choice"] == "3"


def test_no_allowed_digits_means_any_key() -> None:
    run = menu(ALL, variable="k")
    run.send(DigitPressed("#"))
    assert last(run) == ("m", "onSuccess")
    assert run.variables["k"] == "#"


def test_invalid_digit_takes_on_invalid_when_wired() -> None:
    run = menu(ALL, **ONE_TWO)
    run.send(DigitPressed("9"))
    assert last(run) == ("m", "onInvalid")
    assert "choice" not in run.variables


def test_timeout_takes_on_timeout_when_wired() -> None:
    run = menu(ALL, **ONE_TWO, timeout=4000)
    actions = run.fire()
    assert last(run) == ("m", "onTimeout")
    assert run.ms == 3000 + 4000
    assert actions  # hangup + end


def test_invalid_without_on_invalid_reprompts_with_the_invalid_prompt_first() -> None:
    outputs = {k: v for k, v in ALL.items() if k != "onInvalid"}
    run = menu(outputs, **ONE_TWO, prompt=[audio("menu")], invalidPrompt=[audio("bad")])
    run.send(PlaybackFinished(), after_ms=2000)  # prompt played: timer armed
    run.send(DigitPressed("7"))
    plays = run.of(Play)
    assert [p.clips for p in plays] == [(PlayFile("menu"),), (PlayFile("bad"), PlayFile("menu"))]
    assert len(run.of(CollectDigits)) == 2
    assert run.path[-1] == ("m", None)  # still collecting
    run.send(PlaybackFinished(), after_ms=3000)
    run.send(DigitPressed("1"))
    assert last(run) == ("m", "branches.1")


def test_timeout_without_on_timeout_reprompts_with_the_prompt() -> None:
    outputs = {k: v for k, v in ALL.items() if k != "onTimeout"}
    run = menu(outputs, **ONE_TWO, prompt=[audio("menu")], invalidPrompt=[audio("bad")])
    run.send(PlaybackFinished(), after_ms=2000)
    run.fire()
    assert [p.clips for p in run.of(Play)] == [(PlayFile("menu"),), (PlayFile("menu"),)]
    assert "dtmf_reprompt" in run.event_types


def test_the_timeout_starts_only_when_the_prompt_ends() -> None:
    run = menu(ALL, prompt=[audio("menu")], timeout=5000)
    assert run.state.active_timer is None  # the prompt plays: no timeout yet
    run.send(PlaybackFinished(), after_ms=2000)
    timer = run.of(SetTimer)[-1]
    assert timer.delay_ms == 5000
    assert run.state.active_timer == timer.timer_id


@pytest.mark.parametrize("max_retries", [0, 1, 2, 3])
def test_max_retries_counts_failed_attempts(max_retries: int) -> None:
    outputs = {"onSuccess": "ok", "onMaxRetries": "max"}
    run = menu(outputs, **ONE_TWO, retry={"maxRetries": max_retries})
    for attempt in range(max_retries + 1):
        assert run.path[-1] == ("m", None), attempt
        if attempt % 2:
            run.send(DigitPressed("9"))
        else:
            run.fire()
    assert last(run) == ("m", "onMaxRetries")
    assert run.path[-1] == ("max", None)


def test_retries_count_across_an_on_invalid_loop_and_success_resets_them() -> None:
    nodes = [
        node("d", "dial", {"onAnswer": "m"}),
        node(
            "m",
            "dtmf",
            {"onInvalid": "sorry", "onSuccess": "m2", "onMaxRetries": "max"},
            retry={"maxRetries": 1},
            singleDigitConfig={"allowedDigits": ["1"]},
        ),
        node("sorry", "play", {"onComplete": "m"}, audioItems=[audio("sorry")]),
        node("m2", "dtmf", {"onSuccess": "ok"}),
        node("ok", "hangup"),
        node("max", "hangup"),
    ]
    run = Harness(graph(*nodes))
    run.send(CallAnswered("human"))
    run.send(DigitPressed("5"))  # failure 1 → onInvalid → sorry → back to m
    run.send(PlaybackFinished())
    run.send(DigitPressed("5"))  # failure 2 > maxRetries 1 → onMaxRetries
    assert [p for p in run.path if p[0] == "m"] == [("m", "onInvalid"), ("m", "onMaxRetries")]
    assert run.state.dtmf_failures == {}


def test_a_key_during_the_prompt_stops_it_and_counts() -> None:
    run = menu(ALL, **ONE_TWO, prompt=[audio("menu")])
    run.send(DigitPressed("1"), after_ms=500)
    assert StopPlayback() in run.history
    assert last(run) == ("m", "branches.1")
    # The interrupted playback's done arrives afterwards and must not confuse anything.
    assert run.send(PlaybackFinished(interrupted=True)) == []


def test_dtmf_before_the_call_is_up_is_an_error() -> None:
    run = Harness(graph(node("m", "dtmf", {"onError": "e"}), node("e", "hangup")))
    assert run.path == [("m", "onError"), ("e", None)]


# ---- multi digit ---------------------------------------------------------------------

MULTI = {"mode": "multi_digit", "variable": "pin"}
MULTI_ALL = {k: v for k, v in ALL.items() if k != "branches"}


def test_multi_digit_terminator_ends_the_entry() -> None:
    run = menu(
        MULTI_ALL, **MULTI, multiDigitConfig={"minDigits": 2, "maxDigits": 6, "terminator": "#"}
    )
    for key in "1234#":
        run.send(DigitPressed(key), after_ms=300)
    assert last(run) == ("m", "onSuccess")
    assert run.variables["pin"] == "1234"


def test_multi_digit_max_digits_ends_the_entry_and_matches_a_branch() -> None:
    outputs = {**MULTI_ALL, "branches": {"42": "two"}}
    run = menu(outputs, **MULTI, multiDigitConfig={"minDigits": 1, "maxDigits": 2})
    run.send(DigitPressed("4"))
    run.send(DigitPressed("2"))
    assert last(run) == ("m", "branches.42")
    assert run.variables["pin"] == "42"


def test_multi_digit_inter_digit_timeout_accepts_enough_digits() -> None:
    run = menu(
        MULTI_ALL,
        **MULTI,
        multiDigitConfig={"minDigits": 3, "maxDigits": 8, "interDigitTimeout": 2000},
    )
    for key in "555":
        run.send(DigitPressed(key), after_ms=100)
    assert run.of(SetTimer)[-1].delay_ms == 2000
    run.fire()
    assert last(run) == ("m", "onSuccess")
    assert run.variables["pin"] == "555"


@pytest.mark.parametrize("keys", ["12#", "#", "1"])
def test_multi_digit_too_short_is_invalid(keys: str) -> None:
    run = menu(MULTI_ALL, **MULTI, multiDigitConfig={"minDigits": 3, "maxDigits": 8})
    for key in keys:
        run.send(DigitPressed(key))
    if not keys.endswith("#"):
        run.fire()  # inter-digit timeout with too few digits
    assert last(run) == ("m", "onInvalid")


def test_multi_digit_silence_is_a_timeout() -> None:
    run = menu(MULTI_ALL, **MULTI)
    run.fire()
    assert last(run) == ("m", "onTimeout")


def test_multi_digit_without_terminator_treats_hash_as_a_digit() -> None:
    run = menu(MULTI_ALL, **MULTI, multiDigitConfig={"terminator": None, "maxDigits": 2})
    run.send(DigitPressed("#"))
    run.send(DigitPressed("1"))
    assert run.variables["pin"] == "#1"
