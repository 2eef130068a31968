"""Which event loop the dialer process runs on (`RINGCAST_EVENT_LOOP`).

`auto` (the default) runs on uvloop when it is installed (a dependency) and the
loop does not carry the media clock (`RINGCAST_MEDIA_WORKERS` above 0: RTP in the
workers, which keep asyncio's loop); otherwise on asyncio's own loop. `uvloop`
asks for it whatever carries the media and falls back to asyncio, saying so in
the log, when it cannot be imported; `asyncio` never uses it.

uvloop does the loop's own work (the ready queue, timers, the selector, datagram
and stream transports) in C: with media workers the dialer spent ~12 % less CPU
per call at 300 CPS and retransmissions mostly went (bench/dialer_cps.py, issue 19).
With the media clock on the loop, 500 calls' RTP measured at the far end showed no
gain and, under load, no better frames (bench/concurrent_calls.py, inconclusive):
`auto` keeps asyncio there until a measurement on a quiet box says otherwise. Its
timers and `loop.time()` have millisecond resolution (frames are 20 ms).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

EventLoopChoice = Literal["auto", "asyncio", "uvloop"]
T = TypeVar("T")
log = logging.getLogger("ringcast")


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
