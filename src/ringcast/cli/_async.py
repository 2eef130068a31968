"""Run a coroutine against the configured store from a CLI command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.db.migrate import upgrade_async
from ringcast.settings import get_settings

T = TypeVar("T")


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrate, open one session, run `work`, commit (one unit of work)."""

    async def main() -> T:
        settings = get_settings()
        settings.ensure_data_dir()
        url = settings.resolved_database_url()
        await upgrade_async(url)
        engine = create_engine(url)
        try:
            async with create_sessionmaker(engine).begin() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())
