"""A Play node's joined clip is made once per process, not per call (issue 19)."""

from __future__ import annotations

import numpy as np

from ringcast.audio.clip import Clip
from ringcast.audio.requests import ClipRequest, PlayFile
from ringcast.audio.resolve import resolve_play
from ringcast.audiofiles.library import ClipLibrary, JoinCache
from ringcast.flow.context import RunContext

CTX = RunContext(call_id="c1")


def tone(n: int, seed: int) -> Clip:
    return Clip(np.random.default_rng(seed).integers(-9000, 9000, n).astype(np.int16))


def library(**files: Clip) -> ClipLibrary:
    lib = ClipLibrary(storage=None)  # type: ignore[arg-type]  # nothing read from storage
    for audio_id, clip in files.items():
        lib._files.put(audio_id, clip)
    return lib


async def test_calls_playing_the_same_clips_get_one_shared_array() -> None:
    lib = library(a=tone(4000, 1), b=tone(2400, 2))
    items: list[ClipRequest] = [PlayFile("a"), PlayFile("b")]
    [first] = await lib.resolve(items, CTX)
    [second] = await lib.resolve(list(items), RunContext(call_id="c2"))
    assert first is second  # one array: a media worker receives it once
    assert not first.flags.writeable  # shared, so nobody may edit it
    expected = resolve_play(items, dictionaries=lib.dictionary, audio_files=lib.audio).pcm
    assert np.array_equal(first, expected)  # the same audio as joining it per call
    [other] = await lib.resolve([PlayFile("b")], CTX)
    assert other is not first and len(other) == 2400


async def test_a_reloaded_file_is_joined_again() -> None:
    lib = library(a=tone(800, 1))
    [before] = await lib.resolve([PlayFile("a")], CTX)
    lib._files.put("a", tone(800, 9))  # the file changed (a new Clip object)
    [after] = await lib.resolve([PlayFile("a")], CTX)
    assert after is not before
    assert np.array_equal(after, resolve_play(
        [PlayFile("a")], dictionaries=lib.dictionary, audio_files=lib.audio).pcm)  # fmt: skip


def test_the_cache_is_bounded_by_samples_oldest_out() -> None:
    cache = JoinCache(max_samples=1000)
    a, b, c, huge = tone(400, 1), tone(400, 2), tone(400, 3), tone(1500, 4)
    ja = cache.joined([a])
    cache.joined([b])
    assert cache.joined([a]) is ja and len(cache) == 2  # a hit moves `a` to the end
    cache.joined([c])  # 1,200 samples: the least recently used (`b`) goes
    assert len(cache) == 2 and cache.joined([a]) is ja
    assert cache._samples <= 1000
    big = cache.joined([huge])  # over the bound: joined, not kept
    assert len(big.pcm) == 1500 and cache.joined([huge]) is not big
