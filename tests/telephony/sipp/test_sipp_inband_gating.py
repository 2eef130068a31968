"""A real call: in-band keys count only while the flow listens for them.

sipp answers and streams audio holding two DTMF tones: a "5" while our flow
plays a notice without barge-in, a "9" while its menu waits for a key. The
flow runner turns the in-band detector on for the menu only: the "5" is never
heard, the "9" is. The same call with a channel that ignores the runner (the
detector on all along) hears the "5" too, and the flow ignores it: the key's
fate is the same, only the work (and the trace's note of it) is saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ringcast.audio.g711 import ulaw_encode
from ringcast.audio.requests import ClipRequest
from ringcast.flow import FlowRunner, RealTimebase, RunContext, compile_flow
from ringcast.telephony.channel import Pcm
from ringcast.telephony.media.dtmf_inband import dtmf_tone
from ringcast.telephony.sip import TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import MediaStream, SipChannel
from telephony.sipp.scenarios import END, HDR, OK_SDP, RECV_ACK, RECV_INVITE, TRYING, WAIT_BYE, play

pytestmark = pytest.mark.sipp
Sipp = Callable[..., Any]  # the `sipp` fixture of conftest.py (not importable here)
OpenMedia = Callable[[], Awaitable[MediaStream]]  # the `open_media` fixture

NOTICE_MS = 2000
FLOW = {
    "startNodeId": "dial",
    "nodes": [
        {"id": "dial", "type": "dial", "config": {"enableAMD": False, "timeout": 5000},
         "outputs": {"onAnswer": "notice"}},
        {"id": "notice", "type": "play", "config": {"audioItems": [{"type": "audioFile", "audioId": "n"}]},
         "outputs": {"onComplete": "menu"}},
        {"id": "menu", "type": "dtmf", "config": {"variable": "k", "timeout": 4000, "prompt": []},
         "outputs": {"onSuccess": "bye", "onTimeout": "bye", "onMaxRetries": "bye"}},
        {"id": "bye", "type": "hangup"},
    ],
}  # fmt: skip


def silence(ms: int) -> Pcm:
    return np.zeros(ms * 8, dtype=np.int16)


def callee_audio() -> bytes:
    """From sipp's ACK: "5" at 600 ms (during the notice), "9" at 3000 ms (the menu)."""
    pcm = np.concatenate(
        [silence(600), dtmf_tone("5", 150), silence(2250), dtmf_tone("9", 150), silence(1000)]
    )
    return ulaw_encode(pcm)


async def notice(clips: Sequence[ClipRequest], ctx: RunContext) -> Sequence[Pcm]:
    return [silence(NOTICE_MS)]


class AlwaysListening(SipChannel):
    """The detector on for the whole call, as before the runner said when to listen."""

    def listen_for_digits(self, on: bool) -> None:
        pass


@pytest.mark.parametrize("channel_type", [SipChannel, AlwaysListening])
async def test_a_tone_is_a_key_only_while_the_flow_listens(
    sipp: Sipp, open_media: OpenMedia, tmp_path: Path, channel_type: type[SipChannel]
) -> None:
    audio = tmp_path / "two_tones.ulaw"
    audio.write_bytes(callee_audio())
    scenario = tmp_path / "uas_two_tones.xml"
    body = RECV_INVITE + TRYING + OK_SDP + RECV_ACK + play(str(audio)) + WAIT_BYE
    scenario.write_text(HDR.format(name="uas_two_tones") + body + END)
    peer = sipp("uas_two_tones", scenario_path=scenario)
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    try:
        channel = channel_type(ua, open_media)
        ctx = RunContext(call_id=channel.call_id, contact={"primaryPhone": "1000"})
        runner = FlowRunner(notice)
        trace = await asyncio.wait_for(
            runner.run(compile_flow(FLOW), ctx, channel, RealTimebase()), 15
        )
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    assert trace.outcome == "completed", trace.outcome_reason
    assert trace.final_variables == {"k": "9"}  # heard during the menu
    keys = [(e.data["digit"], e.data.get("ignored", False)) for e in trace.event_log
            if e.type == "dtmf_received"]  # fmt: skip
    if channel_type is AlwaysListening:
        assert keys == [("5", True), ("9", False)]  # heard, and ignored by the flow
    else:
        assert keys == [("9", False)]  # the notice's "5" was never even detected
