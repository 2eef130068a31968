"""Real audio files made in the test run with PyAV (no binary fixtures)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import cast

import av
import numpy as np
import pytest

MakeAudio = Callable[..., bytes]


def make_audio(
    fmt: str = "wav",
    codec: str = "pcm_s16le",
    *,
    rate: int = 44100,
    layout: str = "stereo",
    seconds: float = 1.0,
    tone_hz: float = 440.0,
) -> bytes:
    """A sine tone (-6 dBFS) encoded as `codec` in a `fmt` container, as bytes."""
    buf = io.BytesIO()
    options = {"strict": "experimental"} if codec == "vorbis" else {}
    with av.open(buf, "w", format=fmt) as container:
        stream = cast(
            av.AudioStream,
            container.add_stream(codec, rate=rate, layout=layout, options=options),
        )
        n = int(rate * seconds)
        tone = (0.5 * np.sin(2 * np.pi * tone_hz * np.arange(n) / rate)).astype(np.float32)
        channels = 2 if layout == "stereo" else 1
        frame = av.AudioFrame.from_ndarray(
            np.tile(tone, (channels, 1)), format="fltp", layout=layout
        )
        frame.sample_rate = rate
        ctx = stream.codec_context
        resampler = av.AudioResampler(
            format=ctx.format.name, layout=layout, rate=rate, frame_size=ctx.frame_size or None
        )
        for out in [*resampler.resample(frame), *resampler.resample(None)] if n else []:
            for packet in stream.encode(out):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


@pytest.fixture
def audio() -> MakeAudio:
    return make_audio
