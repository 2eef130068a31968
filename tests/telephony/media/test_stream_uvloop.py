"""The media layer only uses loop APIs that uvloop has too (uvicorn[standard] brings it)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from ringcast.audio.g711 import ulaw_decode, ulaw_encode
from ringcast.telephony.channel import Pcm
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import RtpStream

uvloop = pytest.importorskip("uvloop")


async def _exchange() -> tuple[Pcm, list[Pcm], list[str]]:
    clock = MediaClock()
    a = await RtpStream.open(clock)
    b = await RtpStream.open(clock)
    received: list[Pcm] = []
    digits: list[str] = []
    try:
        a.set_remote("127.0.0.1", b.local_port, 0, 101)
        b.set_remote("127.0.0.1", a.local_port, 0, 101)
        b.add_listener(received.append)
        b.on_dtmf = lambda d, s: digits.append(d)
        clip = np.random.default_rng(3).integers(-9000, 9000, 1600).astype(np.int16)
        assert await asyncio.wait_for(a.play([clip]), 2) is True
        await asyncio.wait_for(a.send_dtmf("4", 60), 2)
        await asyncio.sleep(0.06)
    finally:
        a.close()
        b.close()
        clock.close()
    return clip, received, digits


def test_stream_pair_on_uvloop() -> None:
    clip, received, digits = uvloop.run(_exchange())
    got = np.concatenate(received)
    sent = ulaw_decode(ulaw_encode(clip))
    start = next(i for i in range(0, got.size, 160) if np.array_equal(got[i : i + 160], sent[:160]))
    assert np.array_equal(got[start : start + sent.size], sent)
    assert digits == ["4"]
