"""Heavy request work runs off the event loop, at a lower CPU priority than live calls."""

from __future__ import annotations

import os
import sys

import pytest

from ringcast.kit.offload import HEAVY_WORK_NICE, off_loop


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)  # on Linux: the calling thread's nice


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
async def test_heavy_work_runs_below_the_loops_priority() -> None:
    loop_nice = _nice()
    worker_nice = await off_loop(_nice)
    assert worker_nice == min(19, loop_nice + HEAVY_WORK_NICE)
    assert _nice() == loop_nice  # the event loop's own thread keeps its priority
