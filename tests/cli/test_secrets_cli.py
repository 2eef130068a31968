"""`ringcast secrets encrypt-existing` seals the values stored before sealing."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from typer.testing import CliRunner

from ringcast.auth.models import Organization
from ringcast.cli.main import app
from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.kit.secret_box import PREFIX
from ringcast.settings import Settings, get_settings
from ringcast.trunks.models import Trunk
from ringcast.webhooks.models import WebhookEndpoint


def trunk(org: str, name: str, password: str | None) -> Trunk:
    return Trunk(
        organization_id=org, name=name, host="sip.example.net", port=5060, transport="udp",
        password=password, max_channels=1, calls_per_second=1.0, codecs=["PCMU"],
        register=False, is_default=False,
    )  # fmt: skip


def endpoint(org: str, secret: str) -> WebhookEndpoint:
    return WebhookEndpoint(
        organization_id=org, url="https://hooks.example.com/", events=["*"], secret=secret,
        active=True,
    )  # fmt: skip


async def seed(url: str, already_sealed: str) -> None:
    engine = create_engine(url)
    async with create_sessionmaker(engine).begin() as s:
        org = Organization(name="acme")
        s.add(org)
        await s.flush()
        s.add_all([
            trunk(org.id, "old", "old-clear-pw"),
            trunk(org.id, "none", None),
            trunk(org.id, "new", already_sealed),
            endpoint(org.id, "whsec_old-clear-secret"),
        ])  # fmt: skip
    await engine.dispose()


async def stored(url: str) -> dict[str, str | None]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        trunks = await conn.execute(text("SELECT name, password FROM trunks"))
        secrets = await conn.execute(text("SELECT secret FROM webhook_endpoints"))
        found: dict[str, str | None] = {str(n): p for n, p in trunks.all()}
        found["webhook"] = secrets.scalar_one()
    await engine.dispose()
    return found


def test_encrypt_existing_seals_clear_values_once(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("RINGCAST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RINGCAST_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        box = Settings().secret_box()  # the key file the command will use
        already = box.seal("new-pw")
        asyncio.run(seed(db_url, already))
        runner = CliRunner()
        r = runner.invoke(app, ["secrets", "encrypt-existing"])
        assert r.exit_code == 0, r.output
        assert "sealed 1 trunk password(s) and 1 webhook secret(s) (2 in all)" in r.output
        after = asyncio.run(stored(db_url))
        assert after["none"] is None
        assert after["new"] == already  # not sealed twice
        for name, clear in (("old", "old-clear-pw"), ("webhook", "whsec_old-clear-secret")):
            value = after[name]
            assert value is not None and value.startswith(PREFIX) and clear not in value
            assert box.open(value) == clear
        r = runner.invoke(app, ["secrets", "encrypt-existing"])
        assert r.exit_code == 0 and "(0 in all)" in r.output, r.output
        assert asyncio.run(stored(db_url)) == after
    finally:
        get_settings.cache_clear()
