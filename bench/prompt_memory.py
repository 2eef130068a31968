"""Memory per call playing a long prompt: per-call copies vs the shared prompt audio.

    .venv/bin/python bench/prompt_memory.py [--calls 200] [--prompt-s 55]

N `RtpStream`s (one shared `MediaClock`, no remote: nothing is sent) each `play`
the same library clip of `--prompt-s` seconds. Measured with tracemalloc (numpy
buffers are traced), per call, in the same run:
- before: what `play` kept per call until issue 19 (the clips concatenated into a
  per-call PCM array plus its own G.711 encoding), rebuilt here for the baseline;
- after: the real `RtpStream.play` (encoded once per process: `shared_audio.py`),
  the stream objects themselves included.
Goal: after <= 150 kB per call beyond the shared clip (issue 19); exits 1 if missed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tracemalloc

import numpy as np

from ringcast.audio.g711 import ulaw_encode
from ringcast.telephony.media import shared_audio
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import RtpStream


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--prompt-s", type=float, default=55)
    args = parser.parse_args()
    clip = np.random.default_rng(1).integers(-9000, 9000, int(8000 * args.prompt_s))
    clip = clip.astype(np.int16)
    clock = MediaClock()
    tracemalloc.start()

    base = tracemalloc.get_traced_memory()[0]
    kept = []
    for _ in range(args.calls):  # the old per-call path: concatenate, then encode
        pcm = np.concatenate([np.asarray(c, dtype=np.int16) for c in [clip]])
        kept.append((pcm, memoryview(ulaw_encode(pcm))))
    before = (tracemalloc.get_traced_memory()[0] - base) / args.calls
    kept.clear()

    shared_audio.clear()
    base = tracemalloc.get_traced_memory()[0]
    streams = [await RtpStream.open(clock) for _ in range(args.calls)]
    for s in streams:
        s.play([clip])
    total = tracemalloc.get_traced_memory()[0] - base
    after = (total - len(clip)) / args.calls  # minus the one shared encoding
    for s in streams:
        s.close()
    clock.close()
    print(f"{args.calls} calls, one {args.prompt_s:g} s prompt (tracemalloc)")
    print(f"before (per-call PCM + G.711 copy): {before / 1024:8.1f} kB per call")
    print(f"after (shared, stream included):    {after / 1024:8.1f} kB per call "
          f"+ {len(clip) / 1024:.0f} kB shared once")  # fmt: skip
    ok = after <= 150 * 1024
    print(f"goal <= 150 kB per call: {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
