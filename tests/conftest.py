"""Shared fixtures: a real database per test (SQLite and PostgreSQL), the app,
an HTTP client, and organizations with keys.

PostgreSQL comes from `RINGCAST_TEST_PG_URL` (scripts/test.sh starts a
throwaway cluster). Without it the PostgreSQL half is skipped locally and
fails under `CI=true`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.api.app import create_app
from ringcast.auth import service as auth_service
from ringcast.auth.schemas import ApiKeyCreate, Role
from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.db.migrate import upgrade
from ringcast.db.models import Base
from ringcast.dictionaries.repository import ensure_system_dictionaries
from ringcast.settings import Settings
from support import IN_CI

# a free SIP port for every dialer a test starts (the default 5060 is one per host)
os.environ.setdefault("RINGCAST_SIP_PORT", "0")

# RINGCAST_TEST_EVENT_LOOP=uvloop runs every async test on uvloop, the loop `ringcast
# dialer` runs on by default with media workers (RINGCAST_EVENT_LOOP, kit/event_loop.py):
# the SIP, RTP, dialer and media tests pass on both loops
if os.environ.get("RINGCAST_TEST_EVENT_LOOP") == "uvloop":
    import uvloop

    def pytest_asyncio_loop_factories(config: object, item: object) -> dict[str, object]:
        return {"uvloop": uvloop.new_event_loop}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    base = os.environ.get("RINGCAST_TEST_PG_URL")
    if not base:
        message = "RINGCAST_TEST_PG_URL is not set (scripts/test.sh starts PostgreSQL)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    name = f"ringcast_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def admin(sql: str) -> None:
        engine = create_engine(base)
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    async with create_sessionmaker(engine).begin() as s:
        await ensure_system_dictionaries(s)  # seeded by a migration, so restore it
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: SQLite (fresh file) or PostgreSQL (truncated)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ringcast.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    asyncio.run(_truncate_pg(url))
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,  # type: ignore[arg-type]
        rate_limit_per_second=1000,
        rate_limit_burst=1000,
    )


@pytest.fixture
async def session(db_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(db_url)
    async with create_sessionmaker(engine)() as s:
        yield s
    await engine.dispose()


@dataclass
class Tenant:
    organization_id: str
    admin_key: str
    manager_key: str
    agent_key: str

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"x-api-key": getattr(self, f"{role}_key")}


async def make_tenant(app_state_sessions: object, name: str) -> Tenant:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    assert isinstance(app_state_sessions, async_sessionmaker)
    async with app_state_sessions.begin() as s:
        org = await auth_service.get_or_create_organization(s, name)
        keys = {}
        for role in Role:
            _, secret = await auth_service.create_key(
                s, org.id, ApiKeyCreate(name=f"{role.value} key", prefix="test_", role=role)
            )
            keys[role.value] = secret
        return Tenant(org.id, keys["admin"], keys["manager"], keys["agent"])


@dataclass
class Api:
    client: httpx.AsyncClient
    acme: Tenant
    globex: Tenant
    app: object


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    """The app on an in-process transport, with two organizations."""
    app = create_app(settings, migrate=False)
    state = app.state.ringcast
    acme = await make_tenant(state.sessions, "acme")
    globex = await make_tenant(state.sessions, "globex")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ringcast.test") as client:
        yield Api(client, acme, globex, app)
    await state.engine.dispose()
