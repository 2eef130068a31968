"""db/dialect helpers that change how values reach the driver."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from ringcast.db.dialect import driver_constant
from ringcast.db.engine import create_engine


async def test_driver_constant_binds_what_the_driver_would(tmp_path) -> None:
    """A timestamp adapted once stores the very text the driver makes of it per row."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/adapt.db")
    stamps = [datetime(2026, 12, 4, 15, 0, 1, 250), datetime(2026, 12, 4, 15, 0, 2)]
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (k INTEGER, v TIMESTAMP)"))
        for k, stamp in enumerate(stamps):
            for value in (stamp, driver_constant("sqlite", stamp)):
                await conn.exec_driver_sql("INSERT INTO t (k, v) VALUES (?, ?)", [(k, value)])
        rows = (await conn.execute(text("SELECT k, v, typeof(v) FROM t ORDER BY rowid"))).all()
    await engine.dispose()
    assert [r[2] for r in rows] == ["text"] * 4
    assert rows[0][1] == rows[1][1] == "2026-12-04 15:00:01.000250"
    assert rows[2][1] == rows[3][1] == "2026-12-04 15:00:02"


def test_driver_constant_leaves_other_values_and_drivers_alone() -> None:
    stamp = datetime(2026, 12, 4, tzinfo=UTC)
    assert driver_constant("postgresql", stamp) is stamp
    for value in ("text", 1, 1.5, None, b"x"):
        assert driver_constant("sqlite", value) == value
