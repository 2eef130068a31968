"""A DID's trunk group as the dialer uses it: the failover order of one call.

Lower `priority` first; within one priority, a weighted random order (each trunk is
first with probability weight / sum of weights: Efraimidis-Spirakis keys
`u ** (1 / weight)`, largest first), so a priority's calls spread by weight and each
call still has the others of its priority to fail over to. A DID without a group is
a group of its one trunk (or of the organization's default trunk).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class GroupMember:
    trunk_id: str
    priority: int = 1
    weight: int = 1


def parse_group(
    trunk_id: str | None, stored: Sequence[Mapping[str, Any]] | None
) -> tuple[GroupMember, ...]:
    """The DID's group as stored (`dids.trunk_group`), else its one trunk, else ()."""
    if stored:
        return tuple(
            GroupMember(str(m["trunkId"]), int(m.get("priority", 1)), int(m.get("weight", 1)))
            for m in stored
        )
    return (GroupMember(trunk_id),) if trunk_id else ()


def failover_order(members: Iterable[GroupMember], rng: random.Random) -> list[str]:
    keyed = [(m.priority, -(rng.random() ** (1.0 / m.weight)), m.trunk_id) for m in members]
    return [trunk_id for _, _, trunk_id in sorted(keyed)]
