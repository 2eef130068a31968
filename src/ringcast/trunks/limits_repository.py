"""A trunk's CPS and channel budget shared by every dialer process (PostgreSQL).

Mechanism (README "Trunk limits across dialers"): one `trunk_budgets` row per trunk
holds the next free start slot of the trunk's CPS schedule (a virtual schedule, the
GCRA form of a token bucket: slots exactly 1/cps apart) in epoch seconds of the
dialers' own clocks (the hosts' system clock: exact between dialers of one host, as
good as NTP between hosts — a probe of the database's clock over a loaded connection
was worse, by half a round trip), and one
`trunk_channel_leases` row per (trunk, dialer process) the channels that process
holds, valid until `expires_s`. `take` runs in one short transaction: lock the
trunk's budget row (`SELECT … FOR UPDATE`, bounded by `lock_timeout`), count the
other processes' live channels, grant up to `want` starts that fit in the channels
left and in the slots up to `now + horizon`, move the schedule past them and write
this process's channels — one statement in its own transaction (`_TAKE`), so the
row lock lives for that statement only, never across a round trip or a late event
loop. The row lock serialises grants for one trunk and nothing else; no lock is held
between statements, so a dialer that dies holds nothing but
its lease row, which expires. Any failure (lock timeout, database down) grants
nothing: a limit is never exceeded because the database was slow.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import func, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from ringcast.db.dialect import insert_ignoring, upsert
from ringcast.trunks.models import TrunkBudget, TrunkChannelLease

LOCK_TIMEOUT_MS = 250
LEASE_TTL_S = 15.0

# lock the trunk's schedule, count the other processes' live channels, grant what fits,
# move the schedule, write our channels: one statement (PostgreSQL data-modifying CTEs)
_TAKE = text("""
WITH b AS (
    SELECT next_slot_s, CAST(:now AS float8) AS now
    FROM trunk_budgets WHERE trunk_id = :t FOR UPDATE
), o AS (
    SELECT coalesce(sum(l.in_use), 0) AS others
    FROM trunk_channel_leases l, b
    WHERE l.trunk_id = :t AND l.owner <> :me AND l.expires_s > b.now
), f AS (
    SELECT b.now, greatest(b.next_slot_s, b.now + :lead) AS first, o.others FROM b, o
), g AS (
    SELECT f.now, f.first, greatest(0, least(
        :want,  -- slots for calls that hold their channels (:new false): no channel bound
        CASE WHEN CAST(:new AS boolean) THEN :max - f.others - :active ELSE 2147483647 END,
        CASE WHEN f.first <= f.now + :lead + :horizon + 1e-9
             THEN 1 + floor((f.now + :lead + :horizon - f.first + 1e-9) / :interval)
             ELSE 0 END
    ))::int AS n FROM f
), u AS (
    UPDATE trunk_budgets SET next_slot_s = g.first + g.n * :interval
    FROM g WHERE trunk_budgets.trunk_id = :t AND g.n > 0
), h AS (
    INSERT INTO trunk_channel_leases (trunk_id, owner, in_use, expires_s)
    SELECT :t, :me, :active + CASE WHEN CAST(:new AS boolean) THEN g.n ELSE 0 END,
           g.now + :ttl
    FROM g
    ON CONFLICT (trunk_id, owner)
    DO UPDATE SET in_use = excluded.in_use, expires_s = excluded.expires_s
)
SELECT now, first, n FROM g
""")


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
        self._offset: tuple[float, float] | None = None  # (offset, measured at)

    async def take(
        self,
        trunk_id: str,
        *,
        want: int,
        active: int,
        max_channels: int,
        cps: float,
        horizon_s: float,
        now_s: float,
        lead_s: float = 0.0,
        new_channels: bool = True,
    ) -> Grant:
        """Grant up to `want` starts, none sooner than `lead_s` from now (the time a call
        needs to be ready for it) nor later than `lead_s + horizon_s`; this process holds
        `active` channels and, with `new_channels`, each start granted takes one more.
        `new_channels` False: starts for calls that hold their channels already (counted
        in `active`; a late call's new slot): slots only, and the row says `active`
        whether or not any was granted. One statement in its own transaction: the
        trunk's row is locked only while it runs, never across a round trip."""
        params = {
            "t": trunk_id,
            "me": self.owner,
            "want": want,
            "new": new_channels,
            "active": active,
            "max": max_channels,
            "interval": 1.0 / cps,
            "lead": lead_s,
            "horizon": horizon_s,
            "ttl": LEASE_TTL_S,
            "now": now_s,
        }
        try:
            async with self._autocommit() as conn:
                await self._ensure(conn, trunk_id)
                await conn.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT_MS}ms'"))
                try:
                    row = (await conn.execute(_TAKE, params)).one()
                finally:
                    await conn.execute(text("RESET lock_timeout"))
        except DBAPIError:
            return Grant((), 0.0)
        now, first, n = float(row[0]), float(row[1]), int(row[2])
        return Grant(tuple(first + i / cps for i in range(n)), now)

    @contextlib.asynccontextmanager
    async def _autocommit(self) -> AsyncIterator[AsyncConnection]:
        engine: AsyncEngine = self.sessions.kw["bind"]
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

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

    async def hold(self, trunk_id: str, active: int, now_s: float) -> None:
        """Write the channels this process holds now (calls ended since the last grant)."""
        async with self.sessions.begin() as s:
            await self._hold(s, trunk_id, active, now_s)

    async def _ensure(self, s: AsyncSession | AsyncConnection, trunk_id: str) -> None:
        if trunk_id in self._known:
            return
        await s.execute(
            insert_ignoring(TrunkBudget, "postgresql", conflict=["trunk_id"]).values(
                trunk_id=trunk_id, next_slot_s=0.0
            )
        )
        self._known.add(trunk_id)

    async def _hold(self, s: AsyncSession, trunk_id: str, in_use: int, now: float) -> None:
        stmt = upsert(
            TrunkChannelLease,
            "postgresql",
            conflict=["trunk_id", "owner"],
            update=lambda ex: {"in_use": ex.in_use, "expires_s": ex.expires_s},
        ).values(trunk_id=trunk_id, owner=self.owner, in_use=in_use, expires_s=now + LEASE_TTL_S)
        await s.execute(stmt)
