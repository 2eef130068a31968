"""Two legs bridged over real RTP on loopback: a tone crosses each way (µ-law leg to
A-law leg), a key is passed through, and the stereo recording holds each side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest

from ringcast.telephony.channel import DigitSource, Pcm
from ringcast.telephony.media.bridge import Bridge
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import RtpStream

PCMU, PCMA, DTMF_PT = 0, 8, 101


def tone(hz: float, ms: int, level: int = 8000) -> Pcm:
    t = np.arange(ms * 8) / 8000
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def strength(pcm: Pcm, hz: float) -> float:
    """Share of the signal's energy within 30 Hz of `hz`."""
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(pcm.size, 1 / 8000)
    total = float(spectrum.sum()) or 1.0
    return float(spectrum[np.abs(freqs - hz) < 30].sum()) / total


@pytest.fixture
async def clock() -> AsyncIterator[MediaClock]:
    clock = MediaClock()
    yield clock
    clock.close()


async def leg(clock: MediaClock, payload_type: int) -> tuple[RtpStream, RtpStream]:
    """(our side, the far end) of one call leg."""
    ours = await RtpStream.open(clock)
    far = await RtpStream.open(clock)
    ours.set_remote("127.0.0.1", far.local_port, payload_type, DTMF_PT)
    far.set_remote("127.0.0.1", ours.local_port, payload_type, DTMF_PT)
    return ours, far


async def test_audio_crosses_both_ways_keys_pass_and_the_recording_is_stereo(
    clock: MediaClock,
) -> None:
    callee_leg, callee = await leg(clock, PCMU)
    agent_leg, agent = await leg(clock, PCMA)
    heard_by_agent: list[Pcm] = []
    heard_by_callee: list[Pcm] = []
    agent.add_listener(heard_by_agent.append)
    callee.add_listener(heard_by_callee.append)
    keys_at_agent: list[str] = []

    def on_agent_key(digit: str, source: DigitSource) -> None:
        keys_at_agent.append(digit)

    agent.on_dtmf = on_agent_key
    keys_seen_by_flow: list[str] = []

    def flow_hears(digit: str, source: DigitSource) -> None:
        keys_seen_by_flow.append(digit)

    callee_leg.on_dtmf = flow_hears
    bridge = Bridge(callee_leg, agent_leg, record=True)
    bridge.start()
    try:
        callee_says = callee.play([tone(1000, 1200)])
        agent_says = agent.play([tone(600, 1200)])
        await asyncio.wait_for(asyncio.gather(callee_says, agent_says), 5)
        await asyncio.sleep(0.2)
        await asyncio.wait_for(callee.send_dtmf("5"), 5)
        for _ in range(50):
            if keys_at_agent:
                break
            await asyncio.sleep(0.02)
        recording = bridge.stop()
    finally:
        for stream in (callee_leg, callee, agent_leg, agent):
            stream.close()
    at_agent = np.concatenate(heard_by_agent)
    at_callee = np.concatenate(heard_by_callee)
    assert strength(at_agent, 1000) > 0.8 and strength(at_agent, 600) < 0.05
    assert strength(at_callee, 600) > 0.8 and strength(at_callee, 1000) < 0.05
    assert keys_at_agent == ["5"]
    assert keys_seen_by_flow == ["5"]  # the leg's own listener still hears it
    assert recording is not None
    stereo = recording.pcm()
    assert stereo.shape[1] == 2 and 1000 <= recording.duration_ms <= 2500
    assert strength(stereo[:, 0], 1000) > 0.8 and strength(stereo[:, 0], 600) < 0.05
    assert strength(stereo[:, 1], 600) > 0.8 and strength(stereo[:, 1], 1000) < 0.05


async def test_after_stop_nothing_crosses(clock: MediaClock) -> None:
    callee_leg, callee = await leg(clock, PCMU)
    agent_leg, agent = await leg(clock, PCMU)
    heard: list[Pcm] = []
    agent.add_listener(heard.append)
    bridge = Bridge(callee_leg, agent_leg, record=False)
    bridge.start()
    assert bridge.stop() is None
    try:
        await asyncio.wait_for(callee.play([tone(1000, 400)]), 5)
        await asyncio.sleep(0.1)
    finally:
        for stream in (callee_leg, callee, agent_leg, agent):
            stream.close()
    assert not heard or strength(np.concatenate(heard), 1000) < 0.05
