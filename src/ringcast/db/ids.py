"""Time-ordered UUIDs (RFC 9562 version 7) for rows made by the million.

A job id is a UUID like any other id here, but a version 7 one: its first 48
bits are the creation time in milliseconds, so ids sort in creation order and
a launch's million jobs are appended at the right edge of the primary-key
B-tree instead of landing at random places in it (random version 4 ids made a
SQLite launch 5-8x slower, bench/launch.py). A launch makes its ids inside its
`INSERT ... SELECT`: one `row_prefix()` (time, version, variant, 26 random
bits) for the statement, then per row its number (28 bits) and 20 random bits
(`db.dialect.row_uuid7`), so the ids of one launch increase with the row
number and never repeat.
"""

from __future__ import annotations

import secrets
import time
import uuid

__all__ = ["ROW_COUNTER_BITS", "launch_prefix", "row_prefix", "uuid7"]

ROW_COUNTER_BITS = 28
"""A statement numbers at most 2**28 rows (7 hex digits of the last group)."""


def _time_ms() -> int:
    return time.time_ns() // 1_000_000


def launch_prefix(now_ms: int | None = None) -> str:
    """The first three groups and the dash after them: `tttttttt-tttt-7rrr-`."""
    ms = _time_ms() if now_ms is None else now_ms
    high = f"{ms & 0xFFFF_FFFF_FFFF:012x}"
    return f"{high[:8]}-{high[8:]}-7{secrets.randbits(12):03x}-"


def row_prefix(now_ms: int | None = None) -> str:
    """`launch_prefix` and the fourth group (variant, 14 random bits) and its dash:
    the part of a statement's ids all its rows share (`tttttttt-tttt-7rrr-vrrr-`)."""
    return f"{launch_prefix(now_ms)}{0x8000 | secrets.randbits(14):04x}-"


def uuid7() -> str:
    """One version 7 UUID: the time in milliseconds, then 74 random bits."""
    value = (_time_ms() & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76 | secrets.randbits(12) << 64
    value |= 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))
