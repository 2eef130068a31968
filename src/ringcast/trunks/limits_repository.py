"""A trunk's CPS and channel budget shared by every dialer process (PostgreSQL).

Mechanism (README "Trunk limits across dialers"): one `trunk_budgets` row per trunk
holds the next free start slot of the trunk's CPS schedule (a virtual schedule, the
GCRA form of a token bucket: slots exactly 1/cps apart) in the database's own clock
(`clock_timestamp()`, so dialers on hosts with different clocks agree), and one
`trunk_channel_leases` row per (trunk, dialer process) the channels that process
holds, valid until `expires_s`. `take` runs in one short transaction: lock the
trunk's budget row (`SELECT … FOR UPDATE`, bounded by `lock_timeout`), count the
other processes' live channels, grant up to `want` starts that fit in the channels
left and in the slots up to `now + horizon`, move the schedule past them and write
this process's channels. The row lock serialises grants for one trunk and nothing
else; no lock is held between transactions, so a dialer that dies holds nothing but
its lease row, which expires. Any failure (lock timeout, database down) grants
nothing: a limit is never exceeded because the database was slow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ringcast.db.dialect import insert_ignoring, upsert
from ringcast.trunks.models import TrunkBudget, TrunkChannelLease

LOCK_TIMEOUT_MS = 250
LEASE_TTL_S = 15.0
_NOW = func.extract("epoch", func.clock_timestamp())


@dataclass(frozen=True, slots=True)
class Grant:
    """`slots` start instants (database epoch seconds) granted at database time `now_s`."""

    slots: tuple[float, ...]
    now_s: float


class SharedTrunkLimits:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], owner: str) -> None:
        self.sessions = sessions
        self.owner = owner
        self._known: set[str] = set()

    async def take(
        self,
        trunk_id: str,
        *,
        want: int,
        active: int,
        max_channels: int,
        cps: float,
        horizon_s: float,
    ) -> Grant:
        """Grant up to `want` starts; this process then holds `active` + granted channels."""
        try:
            async with self.sessions.begin() as s:
                await self._ensure(s, trunk_id)
                await s.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'"))
                row = (
                    await s.execute(
                        select(TrunkBudget.next_slot_s, _NOW)
                        .where(TrunkBudget.trunk_id == trunk_id)
                        .with_for_update()
                    )
                ).one()
                next_slot, now = float(row[0]), float(row[1])
                others = await self._others(s, trunk_id, now)
                interval = 1.0 / cps
                first = max(next_slot, now)
                fit = 0
                if first <= now + horizon_s + 1e-9:
                    fit = 1 + math.floor((now + horizon_s - first + 1e-9) / interval)
                n = max(0, min(want, max_channels - others - active, fit))
                if n:
                    await s.execute(
                        update(TrunkBudget)
                        .where(TrunkBudget.trunk_id == trunk_id)
                        .values(next_slot_s=first + n * interval)
                    )
                await self._hold(s, trunk_id, active + n, now)
                return Grant(tuple(first + i * interval for i in range(n)), now)
        except DBAPIError:
            return Grant((), 0.0)

    async def give_back(self, trunk_id: str, unused: tuple[float, ...], cps: float) -> None:
        """Return the tail of a grant nobody booked after it (else those slots stay unused:
        fewer calls, never more)."""
        if not unused:
            return
        end = unused[-1] + 1.0 / cps
        async with self.sessions.begin() as s:
            await s.execute(
                update(TrunkBudget)
                .where(
                    TrunkBudget.trunk_id == trunk_id,
                    func.abs(TrunkBudget.next_slot_s - end) < 1e-4,
                )
                .values(next_slot_s=unused[0])
            )

    async def hold(self, trunk_id: str, active: int) -> None:
        """Write the channels this process holds now (calls ended since the last grant)."""
        async with self.sessions.begin() as s:
            now = float((await s.execute(select(_NOW))).scalar_one())
            await self._hold(s, trunk_id, active, now)

    async def _ensure(self, s: AsyncSession, trunk_id: str) -> None:
        if trunk_id in self._known:
            return
        await s.execute(
            insert_ignoring(TrunkBudget, "postgresql", conflict=["trunk_id"]).values(
                trunk_id=trunk_id, next_slot_s=0.0
            )
        )
        self._known.add(trunk_id)

    async def _others(self, s: AsyncSession, trunk_id: str, now: float) -> int:
        total = await s.execute(
            select(func.coalesce(func.sum(TrunkChannelLease.in_use), 0)).where(
                TrunkChannelLease.trunk_id == trunk_id,
                TrunkChannelLease.owner != self.owner,
                TrunkChannelLease.expires_s > now,
            )
        )
        return int(total.scalar_one())

    async def _hold(self, s: AsyncSession, trunk_id: str, in_use: int, now: float) -> None:
        stmt = upsert(
            TrunkChannelLease,
            "postgresql",
            conflict=["trunk_id", "owner"],
            update=lambda ex: {"in_use": ex.in_use, "expires_s": ex.expires_s},
        ).values(trunk_id=trunk_id, owner=self.owner, in_use=in_use, expires_s=now + LEASE_TTL_S)
        await s.execute(stmt)
