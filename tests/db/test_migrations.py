"""Migrations build the schema the models describe, from empty, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ringcast.db.engine import create_engine
from ringcast.db.models import Base


async def test_migrated_schema_matches_models(db_url):
    engine = create_engine(db_url)

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, Base.metadata)

    def tables(connection):
        return set(inspect(connection).get_table_names())

    async with engine.connect() as conn:
        assert (await conn.run_sync(tables)) >= {t.name for t in Base.metadata.sorted_tables}
        differences = await conn.run_sync(diff)
    await engine.dispose()
    assert differences == []


async def test_sqlite_pragmas(tmp_path):
    from sqlalchemy import text

    from ringcast.db.migrate import upgrade_async

    url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    await upgrade_async(url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        # a 1000-contact upsert dirties ~1000 pages: not a checkpoint per commit
        assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 10_000
    await engine.dispose()
