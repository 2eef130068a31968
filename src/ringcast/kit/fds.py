"""File descriptors for a process that opens two sockets per call.

Every call opens an RTP and an RTCP socket. Linux grows a process's descriptor
table by doubling it (64, 128, 256...) when a new descriptor passes its end, and
when the table is shared by several threads (asyncio's executor, aiosqlite's
connection threads) it waits for an RCU grace period before freeing the old one
(`expand_fdtable`, fs/file.c). On a box whose cores are busy that wait took
1.3-3.8 s, and it happens on the event loop in the middle of `socket()`: beside
`stress-ng --cpu 2`, every live call's RTP stopped for that long when the 23rd
call's sockets crossed the first 64 (bench/media_priority.py; the media clock
ran late by as much, whatever the process's priority).

So a media process, at its start, raises its soft RLIMIT_NOFILE towards the hard
one (a dialer with 1,000 calls needs over 2,000 descriptors; the common soft
default is 1,024) and grows its table once to the size it will need, while
nothing is waiting on it.
"""

from __future__ import annotations

import contextlib
import os
import resource

DEFAULT_FDS = 4096


def prepare_fds(needed: int = DEFAULT_FDS) -> int:
    """Raise the soft descriptor limit to `needed` (as far as the hard limit allows)
    and grow the descriptor table to hold that many; returns the table size reached."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
    size = want if soft == resource.RLIM_INFINITY else min(want, soft)
    if size < 1:
        return 0
    with contextlib.suppress(OSError):
        os.fstat(size - 1)
        return size  # that descriptor is open: the table is that big already
    probe = os.open(os.devnull, os.O_RDONLY)
    try:
        if probe >= size - 1:
            return size
        high = os.dup2(probe, size - 1)  # the table grows to hold it: once, now
        os.close(high)
    except OSError:
        return 0
    finally:
        os.close(probe)
    return size
