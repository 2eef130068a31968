"""Engine and session factory."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ringcast.db import json_codec
from ringcast.db.dialect import configure_engine, is_sqlite


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # JSON columns: json.dumps/json.loads' text and values, without their per-call set-up
    codec = {"json_serializer": json_codec.dumps, "json_deserializer": json_codec.loads}
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **codec)
    else:
        engine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, **codec
        )
    configure_engine(engine)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
