from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ringcast.dialer.caller_id import CallerIdPool, PoolEntry

T0 = datetime(2026, 11, 27, tzinfo=UTC)


def test_never_used_first_then_oldest_use_then_rotation():
    pool = CallerIdPool(
        [
            PoolEntry("+33100000001", last_used_at=T0 + timedelta(minutes=5)),
            PoolEntry("+33100000002", last_used_at=None),
            PoolEntry("+33100000003", last_used_at=T0),
        ]
    )
    picks = [pool.pick(T0 + timedelta(hours=1)) for _ in range(6)]
    numbers = [p.number[-1] for p in picks if p is not None]
    assert numbers == ["2", "3", "1", "2", "3", "1"]


def test_empty_pool_picks_nothing():
    assert CallerIdPool([]).pick(T0) is None
