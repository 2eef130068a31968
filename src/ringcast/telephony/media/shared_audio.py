"""Prompt audio encoded once per process and shared by every call that plays it.

Theory of operation. Clips come from the process's clip library as long-lived
arrays, the same objects for every call of a flow version. `encoded(clips,
payload_type, encode, pad)` returns the G.711 bytes of the clips back to back,
padded to whole frames, from a small LRU keyed by the codec and the clips'
identities; a weak reference to each clip guards the key (an id reused by a
new array after the old one was freed is a miss, not stale audio). The bytes
are immutable: streams play from a `memoryview` of them, no per-call copy, so
memory per call no longer grows with prompt length (issue 19). Clips made per
call (a spoken number) are encoded per call as before and age out of the LRU.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from ringcast.telephony.channel import Pcm

MAX_ENTRIES = 256

_Key = tuple[int, tuple[int, ...]]
_cache: OrderedDict[_Key, tuple[tuple[weakref.ref[Pcm], ...], bytes]] = OrderedDict()


def _ref(clip: Pcm) -> weakref.ref[Pcm] | None:
    try:
        return weakref.ref(clip)
    except TypeError:  # e.g. a plain list: not shareable, encode per call
        return None


def encoded(
    clips: Sequence[Pcm],
    payload_type: int,
    encode: Callable[[Pcm], bytes],
    pad: Callable[[bytes], bytes],
) -> bytes:
    """The clips encoded back to back and padded (`pad`), shared across calls."""
    refs = tuple(_ref(c) for c in clips)
    key = (payload_type, tuple(id(c) for c in clips))
    hit = _cache.get(key)
    if hit is not None and all(r() is c for r, c in zip(hit[0], clips, strict=True)):
        _cache.move_to_end(key)
        return hit[1]
    pcm = np.concatenate([np.asarray(c, dtype=np.int16) for c in clips])
    data = pad(encode(pcm))
    if all(r is not None for r in refs):
        _cache[key] = (tuple(r for r in refs if r is not None), data)
        if len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)
    return data


def clear() -> None:
    _cache.clear()
