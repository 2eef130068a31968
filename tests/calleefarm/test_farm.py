"""The callee farm answers real SIP calls by script; the dialer side is our
production path (SipChannel + AMD + FlowRunner), so these runs are end to end."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from ringcast.audio.clip import Clip
from ringcast.audio.requests import ClipRequest
from ringcast.audio.resolve import resolve_play
from ringcast.calleefarm import Behaviour, BehaviourBook, CalleeFarm
from ringcast.calleefarm.farm import voice
from ringcast.flow import FlowRunner, RealTimebase, RunContext, compile_flow
from ringcast.telephony.amd.detector import AmdDetector
from ringcast.telephony.channel import Pcm
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.sip.channel import SipChannel, rtp_media
from ringcast.telephony.sip.config import TrunkConfig
from ringcast.telephony.sip.ua import UserAgent
from support import payment_reminder_graph

PROMPT = voice("human_allo")  # any short speech works as "the prompt"


async def resolver(clips: Sequence[ClipRequest], ctx: RunContext) -> Sequence[Pcm]:
    files = {"menu": Clip(PROMPT)}
    joined = resolve_play(clips, audio_files=files.__getitem__)
    return [joined.pcm]


def graph(wait_for_beep: bool = True) -> dict:
    g = payment_reminder_graph("menu")
    g["nodes"][0]["config"]["waitForBeep"] = wait_for_beep
    g["nodes"][0]["config"]["timeout"] = 4000
    g["nodes"][2]["config"]["timeout"] = 4000
    menu = [{"type": "audioFile", "audioId": "menu"}]
    g["nodes"][2]["config"]["prompt"] = menu
    g["nodes"][2]["config"]["invalidPrompt"] = menu
    return g


async def place(farm: CalleeFarm, clock: MediaClock, number: str, g: dict) -> dict:
    host, port = farm.address
    ua = await UserAgent.start(TrunkConfig(host=host, port=port))
    try:
        channel = SipChannel(ua, rtp_media(clock), amd_factory=AmdDetector)
        ctx = RunContext(
            call_id=channel.call_id,
            contact={"primaryPhone": number, "customAttributes": {"balance": 42}},
        )
        trace = await FlowRunner(resolver).run(compile_flow(g), ctx, channel, RealTimebase())
        return trace.to_dict()
    finally:
        await asyncio.sleep(0.3)
        ua.close()


@pytest.fixture
async def farm():
    clock = MediaClock()
    book = BehaviourBook()
    farm = CalleeFarm(book, clock=clock)
    await farm.start()
    yield farm
    await farm.stop()
    clock.close()


def path(trace: dict) -> list[str]:
    return [p["nodeId"] for p in trace["executionPath"]]


async def test_human_presses_1_by_rfc4733(farm):
    farm.book.set("+212600000001", Behaviour("human", ("1",)))
    trace = await place(farm, farm.clock, "+212600000001", graph())
    assert trace["outcome"] == "completed", trace
    assert path(trace) == ["dial-1", "play-1", "ask-1", "confirm-1"]
    assert trace["finalVariables"]["choice"] == "1"
    assert trace["call"]["answeredBy"] == "human"
    record = farm.records_for("+212600000001")[0]
    assert record.keys_typed == ["1"]


async def test_human_invalid_then_2_in_band(farm):
    farm.book.set("+212600000002", Behaviour("human", ("9", "2"), dtmf="inband"))
    trace = await place(farm, farm.clock, "+212600000002", graph())
    assert path(trace) == ["dial-1", "play-1", "ask-1", "callback-1"]
    invalid = [e for e in trace["events"] if e["type"] == "dtmf_invalid"]
    assert [e["data"]["digits"] for e in invalid] == ["9"]
    assert trace["finalVariables"]["choice"] == "2"


async def test_machine_reaches_voicemail_after_the_beep(farm):
    farm.book.set("+212600000003", Behaviour("machine"))
    trace = await place(farm, farm.clock, "+212600000003", graph(wait_for_beep=True))
    assert trace["outcome"] == "voicemail", trace
    assert path(trace)[:2] == ["dial-1", "vm-1"]
    assert trace["call"]["answeredBy"] == "machine"


@pytest.mark.parametrize(
    ("kind", "outcome", "end"),
    [
        ("busy", "busy", "end-1"),
        ("reject", "rejected", "end-1"),
        ("no_answer", "no_answer", "end-1"),
    ],
)
async def test_refusals(farm, kind, outcome, end):
    number = f"+2126000001{len(kind):02d}"
    farm.book.set(number, Behaviour(kind))  # type: ignore[arg-type]
    g = graph()
    g["nodes"][0]["config"]["timeout"] = 1500
    trace = await place(farm, farm.clock, number, g)
    assert trace["outcome"] == outcome
    assert path(trace) == ["dial-1", end]


async def test_callee_hangs_up_mid_prompt(farm):
    farm.book.set("+212600000005", Behaviour("human", ("1",), hangup_after_ms=300))
    trace = await place(farm, farm.clock, "+212600000005", graph())
    assert "confirm-1" not in path(trace)
    assert farm.records_for("+212600000005")[0].hung_up_by == "callee"
