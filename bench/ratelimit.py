"""Cost of the request gate (API-key auth + rate limit) per request.

Same trivial handler mounted twice: `/bare` (outside /api: the gate only adds
a request id) and `/api/bare` (authenticated, rate-limited). Both are driven
in-process through httpx's ASGI transport, sequentially, on SQLite, so the
difference is the gate's own cost. Prints requests/s, µs/request and the ratio.

    .venv/bin/python bench/ratelimit.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import APIRouter

from ringcast.api.app import create_app
from ringcast.auth import service
from ringcast.auth.schemas import ApiKeyCreate, Role
from ringcast.db.migrate import upgrade_async
from ringcast.settings import Settings


async def main(n: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    await upgrade_async(url)
    settings = Settings(
        data_dir=tmp, database_url=url, rate_limit_per_second=10**6, rate_limit_burst=10**6
    )  # type: ignore[arg-type]
    app = create_app(settings, migrate=False)
    bare = APIRouter()

    @bare.get("/bare")
    @bare.get("/api/bare")
    async def handler() -> dict[str, bool]:
        return {"ok": True}

    app.include_router(bare)
    async with app.state.ringcast.sessions.begin() as s:
        org = await service.get_or_create_organization(s, "bench")
        _, key = await service.create_key(
            s, org.id, ApiKeyCreate(name="b", prefix="bench_", role=Role.admin)
        )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:

        async def run(path: str, headers: dict[str, str]) -> float:
            for _ in range(200):  # warm-up
                await client.get(path, headers=headers)
            start = time.perf_counter()
            for _ in range(n):
                r = await client.get(path, headers=headers)
                assert r.status_code == 200, r.text
            return (time.perf_counter() - start) / n

        bare_s = await run("/bare", {})
        gated_s = await run("/api/bare", {"x-api-key": key})
    await app.state.ringcast.engine.dispose()
    print(f"bare route:   {1 / bare_s:8.0f} req/s  {bare_s * 1e6:7.0f} µs/req")
    print(f"gated route:  {1 / gated_s:8.0f} req/s  {gated_s * 1e6:7.0f} µs/req")
    print(
        f"gate cost:    {(gated_s - bare_s) * 1e6:7.0f} µs/req   ratio gated/bare = {gated_s / bare_s:.2f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    asyncio.run(main(parser.parse_args().requests))
