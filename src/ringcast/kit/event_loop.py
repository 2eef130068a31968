"""Which event loop the dialer process and its media workers run on (`RINGCAST_EVENT_LOOP`).

`auto` (the default) runs on uvloop when it is installed (a dependency) in the
dialer when its loop does not carry the media clock (`RINGCAST_MEDIA_WORKERS`
above 0: RTP in the workers) and in the media workers themselves; a dialer whose
own loop carries the media clock (no workers) keeps asyncio's loop. `uvloop`
asks for it everywhere and falls back to asyncio, saying so in the log, when it
cannot be imported; `asyncio` never uses it. The dialer hands its choice to its
workers in the environment (cli/dialer.py).

uvloop does the loop's own work (the ready queue, timers, the selector, datagram
and stream transports) in C: with media workers the dialer spent ~12 % less CPU
per call at 300 CPS and retransmissions mostly went (bench/dialer_cps.py, issue 19).
In the media workers, whose loop does nothing but RTP, 1,000-1,500 calls measured
at the far end (bench/concurrent_calls.py --workers-only, A/B pairs on a loaded
box) read wire jitter p99 20.0 -> 9.5 ms and 105 -> 21 ms, and 5-9 % more frames
per CPU-second. With the media clock on the dialer's loop (SIP and flows beside
it), 500 calls' RTP showed no gain and, under load, no better frames
(inconclusive): `auto` keeps asyncio there. uvloop's timers and `loop.time()`
have millisecond resolution (frames are 20 ms).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar, cast, get_args

EventLoopChoice = Literal["auto", "asyncio", "uvloop"]
T = TypeVar("T")
log = logging.getLogger("ringcast")


def parse(value: str) -> EventLoopChoice:
    """A choice as an environment variable spells it; anything unknown is `auto`."""
    value = value.strip().lower()
    return cast(EventLoopChoice, value) if value in get_args(EventLoopChoice) else "auto"


def loop_factory(
    choice: EventLoopChoice, *, carries_media: bool = False
) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's `new_event_loop` for `uvloop`, and for `auto` when the loop does not
    carry the media clock, if it imports; None (asyncio's default loop) otherwise."""
    if choice == "asyncio" or (choice == "auto" and carries_media):
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            log.warning(
                "RINGCAST_EVENT_LOOP=uvloop but uvloop is not installed: running on asyncio"
            )
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T], choice: EventLoopChoice, *, carries_media: bool = False) -> T:
    """`asyncio.run(main)` on the loop `choice` names (`loop_factory`)."""
    with asyncio.Runner(loop_factory=loop_factory(choice, carries_media=carries_media)) as runner:
        return runner.run(main)
