"""Audio engine benchmarks: decode+convert throughput and Play-item resolution cost.

    .venv/bin/python bench/audio.py

1. Decode + convert to 8 kHz mono int16 (seconds of audio per wall second) for
   WAV (44.1 kHz stereo 16-bit), MP3 and OGG/Vorbis made here, against the
   baseline of reading the same WAV's raw samples with the stdlib `wave`
   module (no decoding, no resampling).
2. Resolving a Play item with a number at call time (µs per call): keys only
   (warm cache, cold cache) and keys → clips → one joined clip, against the
   baseline of one dictionary lookup.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import cast

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from ringcast.audio import SayNumber, decode_audio, load_system_dictionary, resolve_play
from ringcast.audio.speaker import _number_keys, number_to_keys

SECONDS = 30.0


def make(fmt: str, codec: str, rate: int = 44100) -> bytes:
    buf = io.BytesIO()
    options = {"strict": "experimental"} if codec == "vorbis" else {}
    with av.open(buf, "w", format=fmt) as out:
        stream = cast(
            av.AudioStream, out.add_stream(codec, rate=rate, layout="stereo", options=options)
        )
        n = int(rate * SECONDS)
        rng = np.random.default_rng(1)
        t = np.arange(n) / rate
        signal = 0.3 * np.sin(2 * np.pi * 300 * t) + 0.05 * rng.standard_normal(n)
        frame = av.AudioFrame.from_ndarray(
            np.tile(signal.astype(np.float32), (2, 1)), format="fltp", layout="stereo"
        )
        frame.sample_rate = rate
        ctx = stream.codec_context
        resampler = av.AudioResampler(
            format=ctx.format.name, layout="stereo", rate=rate, frame_size=ctx.frame_size or None
        )
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def wave_read(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as src:
        return np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")


def per_call_us(fn: Callable[[int], object], calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        fn(i)
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    files = {
        "wav": make("wav", "pcm_s16le"),
        "mp3": make("mp3", "libmp3lame"),
        "ogg": make("ogg", "vorbis"),
    }
    baseline = SECONDS / best_of(lambda: wave_read(files["wav"]), 5)
    print(f"decode+convert throughput ({SECONDS:.0f} s of 44.1 kHz stereo each, best of 3)")
    print(f"  baseline stdlib wave read (no decode/resample): {baseline:12,.0f} s/s")
    for name, data in files.items():
        speed = SECONDS / best_of(lambda d=data: decode_audio(d), 3)  # type: ignore[misc]
        print(f"  {name}: {speed:8,.0f} s of audio per s   ({speed / baseline:.4f} x baseline)")

    calls = 20000
    rng = random.Random(7)
    values = [rng.randrange(0, 10**9) for _ in range(1000)]
    print(f"\nresolving a Play item with a number (system dictionaries, {calls} calls, µs/call)")
    for language in ("fr", "ar", "en"):
        bench_language(language, values, calls)


def bench_language(language: str, values: list[int], calls: int) -> None:
    dictionary = load_system_dictionary(language)
    keys = dictionary.key_set
    lookup = per_call_us(lambda i: dictionary["5"], calls)
    warm = per_call_us(lambda i: number_to_keys(values[i % 1000], "full", language, keys), calls)

    def cold(i: int) -> object:
        _number_keys.cache_clear()
        return number_to_keys(values[i % 1000], "full", language, keys)

    cold_us = per_call_us(cold, 2000)
    items = [[SayNumber(v, "full", language)] for v in values]
    full = per_call_us(
        lambda i: resolve_play(items[i % 1000], audio_files=lambda _: dictionary["0"]), calls
    )
    print(
        f"  {language}: dict lookup {lookup:6.2f}  keys warm {warm:6.2f} ({warm / lookup:5.1f}x)"
        f"  keys cold {cold_us:6.1f} ({cold_us / lookup:5.0f}x)"
        f"  keys+clips+join {full:6.1f} ({full / lookup:5.0f}x)"
    )


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    main()
