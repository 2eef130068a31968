"""Caller-id rotation: least recently used number of the pool first.

The pool is seeded from the DIDs' `last_used_at` (never-used numbers first,
then oldest use) and then rotates by a use counter, so picks made at the same
instant still rotate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ringcast.dialer.trunk_group import GroupMember


@dataclass(slots=True)
class PoolEntry:
    number: str
    trunk_id: str | None = None
    last_used_at: datetime | None = None
    group: tuple[GroupMember, ...] = ()  # the DID's trunk group (dialer/trunk_group.py)


class CallerIdPool:
    def __init__(self, entries: Iterable[PoolEntry]) -> None:
        floor = datetime.min.replace(tzinfo=UTC)
        ordered = sorted(
            enumerate(entries),
            key=lambda item: (item[1].last_used_at is not None, item[1].last_used_at or floor),
        )
        self._entries = [entry for _, entry in ordered]
        # position 0 is the least recently used; a pick moves it to the back
        self._uses = 0

    @property
    def entries(self) -> list[PoolEntry]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def pick(self, now: datetime) -> PoolEntry | None:
        if not self._entries:
            return None
        entry = self._entries.pop(0)
        entry.last_used_at = now
        self._entries.append(entry)
        self._uses += 1
        return entry
