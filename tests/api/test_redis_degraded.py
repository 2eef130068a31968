"""A Redis outage degrades rate limiting to per-process counters; never a 500."""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from ringcast.api.app import create_app
from ringcast.auth import service as auth_service
from ringcast.auth.schemas import ApiKeyCreate, Role
from ringcast.settings import Settings
from support import require_tool


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    require_tool("redis-server", "redis-cli")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        ping = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True)
        if ping.stdout.strip() == b"PONG":
            break
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        proc.kill()
        proc.wait()


async def test_redis_stopped_degrades_to_per_process_limits(
    settings: Settings, redis_server: tuple[str, subprocess.Popen[bytes]], caplog
):
    url, proc = redis_server
    settings.redis_url = SecretStr(url)
    settings.rate_limit_per_second, settings.rate_limit_burst = 5, 5
    app = create_app(settings, migrate=False)
    state = app.state.ringcast
    async with state.sessions.begin() as s:
        org = await auth_service.get_or_create_organization(s, "acme")
        _, key = await auth_service.create_key(
            s, org.id, ApiKeyCreate(name="k", prefix="t_", role=Role.admin)
        )
    headers = {"x-api-key": key}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/api/auth/api-keys", headers=headers)
        assert r.status_code == 200 and r.headers["x-ratelimit-remaining"] == "4"
        assert (await client.get("/health")).json() == {"status": "ok", "database": "ok"}

        proc.kill()  # Redis goes away
        proc.wait()
        with caplog.at_level(logging.ERROR, logger="ringcast.api"):
            codes = [
                (await client.get("/api/auth/api-keys", headers=headers)).status_code
                for _ in range(7)
            ]
        # per-process counters take over: the burst of 5 is allowed, then 429 — never a 500
        assert codes == [200] * 5 + [429] * 2
        said = [r for r in caplog.records if "rate limit store failed" in r.getMessage()]
        assert len(said) == 1  # said once, not per request
        health = await client.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "rateLimit": "degraded"}
        metrics = (await client.get("/metrics")).text
        assert "ringcast_rate_limit_degraded 1.0" in metrics
    await state.engine.dispose()
