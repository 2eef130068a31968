"""Time-ordered UUIDs (RFC 9562 version 7) for rows made by the million.

A job id is a UUID like any other id here, but a version 7 one: its first 48
bits are the creation time in milliseconds, so ids sort in creation order and
a launch's million jobs are appended at the right edge of the primary-key
B-tree instead of landing at random places in it (random version 4 ids made a
SQLite launch 5-8x slower, bench/launch.py). A launch makes its ids inside its
`INSERT ... SELECT`: one `launch_prefix()` (time, version, 12 random bits) for
the statement, then per row a counter (row number, 30 bits) and 32 random bits
(`db.dialect.numbered_uuid7`), so the ids of one launch increase with the row
number and never repeat.
"""

from __future__ import annotations

import secrets
import time
import uuid

__all__ = ["ROW_COUNTER_BITS", "launch_prefix", "uuid7"]

ROW_COUNTER_BITS = 30
"""A launch numbers at most 2**30 rows (the counter's room in the variant field)."""


def _time_ms() -> int:
    return time.time_ns() // 1_000_000


def launch_prefix(now_ms: int | None = None) -> str:
    """The first three groups and the dash after them: `tttttttt-tttt-7rrr-`."""
    ms = _time_ms() if now_ms is None else now_ms
    high = f"{ms & 0xFFFF_FFFF_FFFF:012x}"
    return f"{high[:8]}-{high[8:]}-7{secrets.randbits(12):03x}-"


def uuid7() -> str:
    """One version 7 UUID: the time in milliseconds, then 74 random bits."""
    value = (_time_ms() & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76 | secrets.randbits(12) << 64
    value |= 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))
