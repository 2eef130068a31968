"""db/dialect helpers that change how values reach the driver."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text

from ringcast.contacts.rows import merge_custom
from ringcast.db import json_codec
from ringcast.db.dialect import driver_constant, json_merge_patch, read_sessions, writing
from ringcast.db.engine import create_engine, create_sessionmaker


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


async def test_reads_only_sessions_read_a_snapshot_while_another_connection_writes(
    tmp_path,
) -> None:
    """A read through `read_sessions` begins deferred: it neither waits for a write
    transaction held open by another connection (BEGIN IMMEDIATE would, up to the busy
    timeout) nor sees its uncommitted rows."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/reads.db")
    sessions = create_sessionmaker(engine)
    async with writing(sessions) as s:
        await s.execute(text("CREATE TABLE t (k INTEGER)"))
        await s.execute(text("INSERT INTO t VALUES (1)"))
    reads = read_sessions(sessions)
    release = asyncio.Event()
    inserted = asyncio.Event()

    async def writer() -> None:
        async with writing(sessions) as s:
            await s.execute(text("INSERT INTO t VALUES (2)"))
            inserted.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await inserted.wait()
    async with reads() as s:  # the writer holds SQLite's write lock meanwhile
        seen = (await asyncio.wait_for(s.execute(text("SELECT count(*) FROM t")), 5)).scalar()
    release.set()
    await task
    async with reads() as s:
        after = (await s.execute(text("SELECT count(*) FROM t"))).scalar()
    await engine.dispose()
    assert (seen, after) == (1, 2)


async def test_writing_gives_one_write_transaction_at_a_time_its_turn(tmp_path) -> None:
    """Write transactions through `writing` on one SQLite engine take turns in the
    process: the second BEGIN IMMEDIATE is sent only after the first committed (not
    left to SQLite's busy handler, which polls with sleeps of up to 100 ms)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/turns.db")
    sessions = create_sessionmaker(engine)
    sent: list[str] = []
    event.listen(
        engine.sync_engine, "before_cursor_execute", lambda _c, _cur, sql, *_: sent.append(sql)
    )
    event.listen(engine.sync_engine, "commit", lambda _c: sent.append("COMMIT"))
    async with writing(sessions) as s:
        await s.execute(text("CREATE TABLE t (k INTEGER)"))

    async def write(k: int) -> None:
        async with writing(sessions) as s:
            await s.execute(text("INSERT INTO t VALUES (:k)"), {"k": k})
            await asyncio.sleep(0.05)  # the other transaction tries to begin meanwhile
            await s.execute(text("INSERT INTO t VALUES (:k)"), {"k": k})

    sent.clear()
    await asyncio.gather(write(1), write(2))
    await engine.dispose()
    kinds = [
        "BEGIN" if q.startswith("BEGIN") else "INSERT" if q.startswith("INSERT") else q
        for q in sent
    ]
    assert kinds == ["BEGIN", "INSERT", "INSERT", "COMMIT"] * 2, sent


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
_KEYS = st.sampled_from(["a", "b", "score", "é", "due_date", '"q"'])
_STORED = st.none() | st.dictionaries(_KEYS, _SCALARS.filter(lambda v: v is not None), max_size=4)
_SENT = st.none() | st.dictionaries(_KEYS, _SCALARS, max_size=4)


@settings(max_examples=300, deadline=None)
@given(stored=_STORED, sent=_SENT, null_column=st.booleans())
def test_json_merge_patch_is_merge_custom(stored, sent, null_column) -> None:
    """SQLite's merge inside the upsert stores what `merge_custom` would: same keys,
    values and order; 'null' when nothing is left. A stored SQL NULL or JSON null
    counts as no attributes."""
    from sqlalchemy import column
    from sqlalchemy.dialects import sqlite

    expr = json_merge_patch("sqlite", column("stored"), column("patch"))
    assert expr is not None
    sql = f"SELECT {expr.compile(dialect=sqlite.dialect())} FROM t"
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (stored TEXT, patch TEXT)")
    stored_text = None if null_column and stored is None else json_codec.dumps(stored)
    conn.execute("INSERT INTO t VALUES (?, ?)", (stored_text, json_codec.dumps(sent)))
    (merged,) = conn.execute(sql).fetchone()
    expected = merge_custom(stored, sent)
    if expected is None:
        assert merged == "null"
    else:
        assert list(json.loads(merged).items()) == list(expected.items())


def test_json_merge_patch_is_sqlite_only() -> None:
    from sqlalchemy import column

    assert json_merge_patch("postgresql", column("a"), column("b")) is None
