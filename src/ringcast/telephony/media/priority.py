"""CPU priority for the processes that carry live media (`RINGCAST_MEDIA_PRIORITY`).

A media clock that gets the CPU late sends late audio or none: beside
`stress-ng --cpu 2` on a 2-core box the demo's calls sent 60-88 % of their frames
(the clock catches up 200 ms, older due audio is dropped). The kernel gives a
process its share by its priority, so the operator may raise it, as Asterisk's
`-p` and FreeSWITCH's `-rp` do:

- `normal` (the default): nothing changes.
- `high`: the process's nice value becomes MEDIA_NICE (-10): about nine times
  the CPU share of a nice-0 process that competes for the same core, and it
  wakes ahead of them.
- `realtime`: the media clocks run under SCHED_RR at RT_PRIORITY (10), ahead of
  every ordinary process. With media workers (`RINGCAST_MEDIA_WORKERS`) only the
  workers (RTP and the clock) take it and the dialer (SIP, flows, AMD) is `high`;
  without workers the dialer's one loop carries media, so it takes it itself.
  Linux keeps 5 % of each second for ordinary processes
  (`/proc/sys/kernel/sched_rt_runtime_us`), so a runaway loop cannot lock the box
  out, but it can take most of a core: prefer it with media workers.

Both need the right (root, CAP_SYS_NICE, or `LimitNICE=`/`LimitRTPRIO=` in a
systemd unit). Without it the process runs at the priority it has, says so once
in the log, and /metrics shows what it got (`ringcast_media_priority`).

Threads: on Linux both attributes belong to the thread that sets them and are
inherited by the threads it creates. So the process applies its priority before
it starts any thread, and the threads that do non-media work (the off-loop pool,
kit/offload.py) go back to SCHED_OTHER (`ordinary_thread`) before lowering
their nice value.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Literal, get_args

log = logging.getLogger("ringcast.media")

MediaPriority = Literal["normal", "high", "realtime"]
LEVELS: tuple[MediaPriority, ...] = get_args(MediaPriority)
MEDIA_NICE = -10
RT_PRIORITY = 10


@dataclass(frozen=True)
class Applied:
    wanted: MediaPriority
    got: MediaPriority
    reason: str | None = None  # why `got` is below `wanted`


APPLIED = Applied("normal", "normal")
"""What this process asked for and got (read by /metrics)."""


def _realtime() -> str | None:
    """SCHED_RR for this thread (and the threads it makes); why not, or None."""
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(RT_PRIORITY))
    except (OSError, AttributeError) as exc:  # AttributeError: not Linux
        return f"SCHED_RR {RT_PRIORITY}: {exc}"
    return None


def _high() -> str | None:
    """Nice MEDIA_NICE for this thread unless it is already higher; why not, or None."""
    try:
        if os.getpriority(os.PRIO_PROCESS, 0) > MEDIA_NICE:
            os.setpriority(os.PRIO_PROCESS, 0, MEDIA_NICE)
    except OSError as exc:
        return f"nice {MEDIA_NICE}: {exc}"
    return None


def apply(wanted: MediaPriority, *, carries_clock: bool = True) -> Applied:
    """Raise this process to `wanted` as far as allowed (call it before any thread
    starts). `carries_clock` False (a dialer whose media workers run the clocks)
    caps `realtime` at `high` here: the workers take `realtime`."""
    global APPLIED
    target: MediaPriority = "high" if wanted == "realtime" and not carries_clock else wanted
    reasons: list[str] = []
    got: MediaPriority = "normal"
    if target == "realtime":
        why = _realtime()
        if why is None:
            got = "realtime"
        else:
            reasons.append(why)
    if target in ("high", "realtime") and got == "normal":
        why = _high()
        if why is None:
            got = "high"
        else:
            reasons.append(why)
    APPLIED = Applied(wanted, got, "; ".join(reasons) or None)
    if reasons:
        log.warning(
            "media priority %s wanted, running at %s (%s): give the process the right "
            "(CAP_SYS_NICE, or LimitNICE=/LimitRTPRIO= in its systemd unit) or set "
            "RINGCAST_MEDIA_PRIORITY=normal",
            wanted,
            got,
            APPLIED.reason,
        )
    elif wanted != "normal":
        log.info("media priority: %s (%s)", got, "SCHED_RR" if got == "realtime" else "nice")
    return APPLIED
