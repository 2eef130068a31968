"""A small, bounded thread pool for heavy request work (big JSON bodies, body
scans, checking a batch of rows, CSV parsing), so the event loop that answers
`/health` and other requests never waits on one request's CPU work.

Threads share the GIL, so pure-Python work here still takes turns with the
loop (every few milliseconds) instead of freezing it; C work that holds the
GIL (a JSON parse) is kept short by the limits in `kit/json_body.py`.

Live calls come first: the pool's threads run at a lower CPU priority
(`HEAVY_WORK_NICE`; on Linux a thread's nice value is its own), so on a busy
host the dialer process's media clock wins the CPU over a big upload's parsing.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

WORKERS = 2
HEAVY_WORK_NICE = 10


def ordinary_thread() -> None:
    """Put this thread back under the ordinary scheduler if it inherited SCHED_RR
    (a thread for non-media work in a media process: telephony/media/priority.py)."""
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: not Linux
        if os.sched_getscheduler(0) != os.SCHED_OTHER:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def lower_priority() -> None:
    """Lower this thread's (or process's) CPU priority by HEAVY_WORK_NICE, if allowed
    (under the ordinary scheduler first, if it inherited a media thread's SCHED_RR)."""
    ordinary_thread()
    with contextlib.suppress(OSError):
        os.nice(HEAVY_WORK_NICE)


_pool = ThreadPoolExecutor(
    max_workers=WORKERS, thread_name_prefix="ringcast-heavy", initializer=lower_priority
)


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `fn` in the bounded pool, with the caller's context variables."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_pool, call)
