"""Prompt audio encoded once per process, shared by every stream that plays it (issue 19)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import numpy as np
import pytest

from ringcast.audio.g711 import alaw_encode, ulaw_encode
from ringcast.telephony.channel import Pcm
from ringcast.telephony.media import shared_audio
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import RtpStream


def speechlike(n: int, seed: int) -> Pcm:
    return np.random.default_rng(seed).integers(-12000, 12000, n).astype(np.int16)


@pytest.fixture
async def clock() -> AsyncIterator[MediaClock]:
    clock = MediaClock()
    yield clock
    clock.close()


async def test_two_streams_playing_the_same_clips_share_one_buffer(clock: MediaClock) -> None:
    shared_audio.clear()
    clips = [speechlike(1000, 1), speechlike(700, 2)]
    a, b = await RtpStream.open(clock), await RtpStream.open(clock)
    try:
        a.play(clips)
        b.play(list(clips))  # another call, the same library clips
        assert a._audio.obj is b._audio.obj  # one buffer, no per-call copy
        expected = ulaw_encode(np.concatenate(clips))
        assert bytes(a._audio[: len(expected)]) == expected  # the audio is unchanged
        assert bytes(a._audio[len(expected) :]) == b"\xff" * (1760 - len(expected))
        # the other codec is its own shared buffer (a re-INVITE to PCMA mid-prompt)
        b.set_remote("127.0.0.1", 9, 8, None)
        a2 = await RtpStream.open(clock)
        a2.set_remote("127.0.0.1", 9, 8, None)
        a2.play(clips)
        assert b._audio.obj is a2._audio.obj is not a._audio.obj
        assert bytes(b._audio[:1700]) == alaw_encode(np.concatenate(clips))
        a2.close()
    finally:
        a.close()
        b.close()
    await asyncio.sleep(0)


def test_a_recycled_id_is_a_miss_not_stale_audio() -> None:
    shared_audio.clear()
    first = speechlike(320, 3)
    pad = lambda data: data  # noqa: E731
    one = shared_audio.encoded([first], 0, ulaw_encode, pad)
    key_id = id(first)
    del first
    gc.collect()
    other = speechlike(320, 4)
    got = shared_audio.encoded([other], 0, ulaw_encode, pad)
    assert got == ulaw_encode(other)
    assert got != one or id(other) != key_id
