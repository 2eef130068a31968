"""Time-ordered contact ids (UUIDv7 layout, RFC 9562).

Bulk imports insert thousands of contacts per transaction; with random
UUIDv4 ids every insert lands at a random place in the primary-key B-tree,
with time-ordered ids they append. On SQLite that halves the cost of an
insert (≈ 20 → 9 µs/row of CPU, measured with the schema of `contacts`).
The ids of one call have the layout of a launch's job ids (`db/ids.py`): the
batch's prefix (time, version, variant and 26 random bits), then the id's
number in the batch and 20 random bits, so they also increase along the batch
(each insert goes to the right edge of the index, not somewhere among the
batch's own: ≈ 0.6 µs/row less on SQLite) and cost a third of 74 random bits
each. The ids are still 36-character UUID strings like every other id here.
"""

from __future__ import annotations

import os

from ringcast.db.ids import ROW_COUNTER_BITS, row_prefix

_COUNTERS = tuple(f"{i:07x}" for i in range(4096))
"""The row-number digits of a batch's first ids, formatted once."""


def ordered_ids(count: int) -> list[str]:
    """`count` increasing ids: 48-bit Unix ms timestamp, version 7, random bits.
    The 20 random bits of an id are 5 hex digits of one `os.urandom` text and
    its number comes from `_COUNTERS`: one concatenation per id (0.42 -> 0.16 µs)."""
    if count >= 1 << ROW_COUNTER_BITS:
        raise ValueError(f"at most {(1 << ROW_COUNTER_BITS) - 1} ids at once")
    prefix = row_prefix()
    noise = os.urandom((5 * count + 1) // 2).hex()
    counters = _COUNTERS[:count] if count <= len(_COUNTERS) else [f"{i:07x}" for i in range(count)]
    starts = range(0, 5 * count, 5)
    return [prefix + c + noise[j : j + 5] for c, j in zip(counters, starts, strict=True)]


def ordered_id() -> str:
    return ordered_ids(1)[0]
