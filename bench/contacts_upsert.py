"""Bulk upsert throughput through the HTTP API, against a raw executemany.

Creates an organization and a `score` number attribute on a fresh SQLite
file, then sends `--contacts` generated contacts (unique, valid E.164 phones,
six fields + one custom attribute) as 1000-row `POST /api/contact/upsert`
requests through httpx's in-process ASGI transport (the whole stack: gate,
JSON, validation, phone check, SELECT + INSERT … ON CONFLICT, commit). A
second pass sends the same rows again (all updates). The baseline inserts
the same rows (same time-ordered ids), already as tuples, into the same table
with the stdlib `sqlite3` `executemany`, one transaction per 1000 rows (same
WAL, synchronous and cache settings as the app's connections).
The phone-check cache is cleared before each API pass, so every number is
really validated.

    .venv/bin/python bench/contacts_upsert.py [--contacts 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from ringcast.api.app import create_app
from ringcast.auth import service
from ringcast.auth.schemas import ApiKeyCreate, Role
from ringcast.contacts.ids import ordered_ids
from ringcast.contacts.phones import phone_problem
from ringcast.db.dialect import SQLITE_CACHE_KIB
from ringcast.db.migrate import upgrade_async
from ringcast.settings import Settings

BATCH = 1000


def make_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    phones: set[str] = set()
    while len(phones) < n:
        phone = f"+2126{rng.randrange(10**8):08d}"
        if phone_problem(phone) is None:
            phones.add(phone)
    phone_problem.cache_clear()
    return [
        {
            "primaryPhone": phone,
            "firstName": f"First{i}",
            "lastName": f"Last{i}",
            "primaryEmail": f"user{i}@example.com",
            "city": "Casablanca",
            "gender": "female" if i % 2 else "male",
            "customAttributes": {"score": i % 100},
        }
        for i, phone in enumerate(sorted(phones))
    ]


async def api_pass(
    client: httpx.AsyncClient, rows: list[dict[str, Any]], key: str
) -> tuple[float, float]:
    """(wall s, CPU s of the whole process: server and in-process client)."""
    phone_problem.cache_clear()
    cpu = time.process_time()
    start = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        r = await client.post(
            "/api/contact/upsert", json={"data": rows[i : i + BATCH]}, headers={"x-api-key": key}
        )
        assert r.status_code == 200, r.text[:500]
        assert not r.json()["failed"], r.text[:500]
    return time.perf_counter() - start, time.process_time() - cpu


def raw_pass(db: Path, rows: list[dict[str, Any]], org_id: str) -> float:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    ids = ordered_ids(len(rows))  # the same time-ordered ids the API path uses
    tuples = [
        (
            ids[i],
            org_id,
            r["primaryPhone"],
            r["firstName"],
            r["lastName"],
            r["primaryEmail"],
            r["city"],
            r["gender"],
            json.dumps(r["customAttributes"]),
            now,
            now,
        )
        for i, r in enumerate(rows)
    ]
    sql = (
        "INSERT INTO contacts (id, organization_id, primary_phone, first_name, last_name, "
        "primary_email, city, gender, custom_attributes, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    start = time.perf_counter()
    for i in range(0, len(tuples), BATCH):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, tuples[i : i + BATCH])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


async def main(n: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.db"
    url = f"sqlite+aiosqlite:///{db}"
    await upgrade_async(url)
    settings = Settings(
        data_dir=tmp,
        database_url=SecretStr(url),
        rate_limit_per_second=10**6,
        rate_limit_burst=10**6,
    )
    app = create_app(settings, migrate=False)
    async with app.state.ringcast.sessions.begin() as s:
        org = await service.get_or_create_organization(s, "bench")
        raw_org = await service.get_or_create_organization(s, "raw")
        _, key = await service.create_key(
            s, org.id, ApiKeyCreate(name="b", prefix="bench_", role=Role.admin)
        )
        raw_org_id = raw_org.id
    rows = make_rows(n + BATCH)
    warmup, rows = rows[:BATCH], rows[BATCH:]
    # The client's 50k row dicts would not live in a real server process; keep
    # the garbage collector from re-scanning them on every collection.
    gc.freeze()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        r = await client.post(
            "/api/custom-attributes",
            json={"displayName": "Score", "type": "number"},
            headers={"x-api-key": key},
        )
        assert r.status_code == 201, r.text
        await api_pass(client, warmup, key)  # first-request costs: plan compiles, caches
        create_s, create_cpu = await api_pass(client, rows, key)
        update_s, update_cpu = await api_pass(client, rows, key)
    await app.state.ringcast.engine.dispose()
    raw_s = raw_pass(db, rows, raw_org_id)
    api_rate, upd_rate, raw_rate = n / create_s, n / update_s, n / raw_s
    print(f"contacts: {n:,} in {BATCH}-row requests (SQLite, in-process ASGI)")
    print(f"API upsert, all new:      {api_rate:10,.0f} contacts/s  ({create_s:.2f} s)")
    print(f"API upsert, all existing: {upd_rate:10,.0f} contacts/s  ({update_s:.2f} s)")
    # on a shared machine wall time includes waiting for a core; CPU time does not
    print(
        f"per CPU-second (client included): new {n / create_cpu:,.0f}/s, "
        f"existing {n / update_cpu:,.0f}/s"
    )
    print(f"raw sqlite3 executemany:  {raw_rate:10,.0f} contacts/s  ({raw_s:.2f} s)")
    print(f"ratio API/raw (new):      {api_rate / raw_rate:10.2f}")
    print(f"goal >= 20,000 contacts/s: {'met' if api_rate >= 20_000 else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    asyncio.run(main(parser.parse_args().contacts))
