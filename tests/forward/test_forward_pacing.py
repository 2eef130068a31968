"""The agent's leg is one more outbound call on the trunk: it takes one of the trunk's
channels and a calls-per-second slot through the dialer's gate, and waits for a free
channel at most its ring timeout (then the forward fails: `trunk_channels_full`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ringcast.dialer.clock import SystemClock
from ringcast.dialer.launcher import TrunkInfo
from ringcast.dialer.loop import Dialer, _TrunkState
from ringcast.dialer.pacing import SmoothBucket
from ringcast.dialer.simulated_launcher import SimulatedLauncher
from telephony.sip.test_forward_bridge import AGENT, CALLEE, FarEnd, Phones, flow, place


def _trunk(channels: int, cps: float) -> _TrunkState:
    info = TrunkInfo("t1", "127.0.0.1", 5060, "udp", None, None, None, channels, cps, ("PCMU",))
    return _TrunkState(info, SmoothBucket(cps))


def _dialer() -> Dialer:
    return Dialer(None, SimulatedLauncher(), SystemClock())  # type: ignore[arg-type]


async def test_the_second_leg_takes_a_trunk_channel_and_gives_it_back() -> None:
    d, trunk = _dialer(), _trunk(channels=2, cps=100)
    trunk.active = 1  # the callee's own call
    release = await d._second_leg(trunk, 1.0)
    assert release is not None and trunk.active == 2
    started = time.monotonic()
    assert await d._second_leg(trunk, 0.3) is None  # full: waits its ring timeout, then no
    assert 0.25 <= time.monotonic() - started < 1.0
    release()
    release()  # once only
    assert trunk.active == 1


async def test_a_waiting_leg_gets_the_channel_freed_meanwhile() -> None:
    d, trunk = _dialer(), _trunk(channels=1, cps=100)
    trunk.active = 1
    waiting = asyncio.create_task(d._second_leg(trunk, 5.0))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    trunk.active -= 1  # another call on the trunk ended
    release = await asyncio.wait_for(waiting, 2)
    assert release is not None and trunk.active == 1


async def test_second_legs_keep_the_trunk_pacing() -> None:
    d, trunk = _dialer(), _trunk(channels=10, cps=4)
    started = time.monotonic()
    for _ in range(3):
        assert await d._second_leg(trunk, 1.0) is not None
    # 4 calls per second: the third start is two slots (0.5 s) after the first
    assert 0.45 <= time.monotonic() - started < 1.2


async def test_no_channel_for_the_agent_takes_on_failed_and_never_rings_it(
    phones: Phones,
) -> None:
    phones.ends[CALLEE] = FarEnd(hz=1000)
    phones.ends[AGENT] = FarEnd(hz=600, hangup_after_s=1.0)
    asked: list[float] = []

    async def full(wait_s: float) -> Any:
        asked.append(wait_s)
        return None

    trace, _ = await place(phones, flow(AGENT), leg_gate=full)
    assert trace["outcomeReason"] == "forward_failed", trace["events"]
    assert trace["legs"][0]["outcome"] == "failed"
    assert trace["legs"][0]["reason"] == "trunk_channels_full"
    assert asked == [5.0] and not phones.ends[AGENT].answered


async def test_the_leg_holds_its_channel_while_bridged(phones: Phones) -> None:
    phones.ends[CALLEE] = FarEnd(hz=1000)
    phones.ends[AGENT] = FarEnd(hz=600, hangup_after_s=1.0)
    d, trunk = _dialer(), _trunk(channels=2, cps=50)
    trunk.active = 1
    seen: list[int] = []

    async def gate(wait_s: float) -> Any:
        release = await d._second_leg(trunk, wait_s)
        seen.append(trunk.active)
        return release

    trace, _ = await place(phones, flow(AGENT), leg_gate=gate, trunk="t1")
    assert trace["legs"][0]["outcome"] == "completed" and trace["legs"][0]["trunk"] == "t1"
    assert seen == [2] and trunk.active == 1  # taken for the leg, given back at its end


async def test_an_agent_hanging_up_during_the_whisper_fails_the_leg_at_once(
    phones: Phones,
) -> None:
    phones.ends[CALLEE] = FarEnd(hz=1000)
    phones.ends[AGENT] = FarEnd(hz=600, hangup_after_s=0.5)  # the whisper lasts 2 s
    started = time.monotonic()
    trace, channel = await place(phones, flow(AGENT, whisperAudioId="aud-whisper"))
    assert trace["outcomeReason"] == "forward_failed", trace["events"]
    leg = trace["legs"][0]
    assert (leg["outcome"], leg["reason"]) == ("failed", "agent_hangup_during_whisper")
    assert time.monotonic() - started < 6  # not the ring timeout's grace (15 s)
    assert channel.recordings == []  # never bridged
