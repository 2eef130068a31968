"""Which event loop a long-running process runs on (`RINGCAST_EVENT_LOOP`).

`auto` (the default) runs on uvloop when it is installed (it comes with
`uvicorn[standard]`, a dependency) and on asyncio's own loop otherwise; `uvloop`
asks for it and falls back to asyncio, saying so once in the log, when it cannot
be imported; `asyncio` never uses it. uvloop does the loop's own work (the ready
queue, timers, the selector, datagram and stream transports) in C: the dialer spent
2.34 -> 2.02 ms of CPU per call at 300 CPS with it (bench/dialer_cps.py, issue 19).
Its timers and `loop.time()` have millisecond resolution, fine for 20 ms frames.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

EventLoopChoice = Literal["auto", "asyncio", "uvloop"]
T = TypeVar("T")
log = logging.getLogger("ringcast")


def loop_factory(choice: EventLoopChoice) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's `new_event_loop` for `auto` and `uvloop` when it imports; None
    (asyncio's default loop) otherwise."""
    if choice == "asyncio":
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


def run(main: Coroutine[Any, Any, T], choice: EventLoopChoice) -> T:
    """`asyncio.run(main)` on the loop `choice` names."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)
