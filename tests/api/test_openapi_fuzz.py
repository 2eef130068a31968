"""Fuzz every operation in `/openapi.json` with schemathesis, in process, on SQLite.

The contract: whatever a client sends, the API answers a success or a 4xx in
the error envelope, never a 500, and the response matches the schema the
document declares for that status. Schemathesis generates valid and invalid
requests (positive and negative modes) from the spec itself, so the spec must
describe every route: `test_spec_lists_every_api_route` guards that.

SQLite only (a fresh migrated file): the PostgreSQL half of the suite covers
dialect behaviour; fuzzing twice would double CI time for little. Bounded for
CI: a few examples per operation, derandomized so a run repeats exactly.
Nothing is excluded: the streaming endpoints are fuzzed too (their ids mostly
miss, and the seeded ones stream real files).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from programs.campaign_kit import seed_campaign
from ringcast.api.app import api_routers, create_app
from ringcast.auth import service as auth_service
from ringcast.auth.schemas import ApiKeyCreate, Role
from ringcast.contacts.import_jobs import jobs_for
from ringcast.settings import Settings
from support import wav_bytes

ENVELOPE_KEYS = {"statusCode", "code", "error", "message", "timestamp", "path"}
# per operation; raise it for a deep local run: RINGCAST_FUZZ_EXAMPLES=500
MAX_EXAMPLES = int(os.environ.get("RINGCAST_FUZZ_EXAMPLES", "15"))


@dataclass
class _Tenant:
    organization_id: str
    key: str

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"x-api-key": self.key}


async def _post(client: httpx.AsyncClient, url: str, h: dict[str, str], **kw: Any) -> Any:
    r = await client.post(url, headers=h, **kw)
    assert r.status_code in (200, 201, 202), (url, r.text)
    return r.json()


async def _seed(settings: Settings) -> tuple[str, dict[str, str]]:
    """An organization with an admin key and one of each resource, made through the API.

    Fuzzed requests aimed at these ids get past the 404 into the services. A
    separate app instance does it so the fuzzed app's connection pool only
    ever sees schemathesis's event loop.
    """
    app = create_app(settings, migrate=False)
    state = app.state.ringcast
    try:
        async with state.sessions.begin() as s:
            org = await auth_service.get_or_create_organization(s, "fuzz")
            _, key = await auth_service.create_key(
                s, org.id, ApiKeyCreate(name="fuzz admin", prefix="test_", role=Role.admin)
            )
        tenant = _Tenant(org.id, key)
        h = tenant.headers()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seed") as client:
            c = await seed_campaign(SimpleNamespace(client=client, acme=tenant, app=app), 2, 2)
            dids = (await client.get("/api/dids", headers=h)).json()["data"]
            program = await _post(client, "/api/programs", h, json=c.program())
            launched = await _post(client, f"/api/programs/{program['id']}/launch", h)
            call = await _post(
                client,
                "/api/call-requests",
                h,
                json={"contactId": c.contact_ids[1], "flowId": c.flow_id, "fromNumber": c.dids[1]},
            )
            trunk = await _post(
                client, "/api/trunks", h, json={"name": "main", "host": "sip.example.net"}
            )
            dnc = await _post(client, "/api/dnc", h, json={"phone": "+33612345678"})
            attribute = await _post(
                client, "/api/custom-attributes", h, json={"displayName": "Score", "type": "number"}
            )
            audio = await _post(
                client,
                "/api/audio-management/upload",
                h,
                files={"file": ("hello.wav", wav_bytes(0.5), "audio/wav")},
                data={"title": "Hello"},
            )
            dictionary = await _post(
                client, "/api/dictionaries", h, json={"name": "Digits", "language": "fr"}
            )
            await _post(
                client,
                f"/api/dictionaries/{dictionary['id']}/entries",
                h,
                files={"file": ("1.wav", wav_bytes(0.25), "audio/wav")},
                data={"key": "1"},
            )
            imported = await _post(
                client,
                "/api/contact/import",
                h,
                files={"file": ("p.csv", b"primaryPhone\n+33699999999\nbad\n", "text/csv")},
            )
            # the import runs as a task: let it end before this app's engine closes
            await jobs_for(state).wait(imported["id"])
            status = await client.get(f"/api/contact/import/{imported['id']}", headers=h)
            assert status.json()["status"] == "completed", status.text
    finally:
        await state.engine.dispose()
    return key, {
        "contact_id": c.contact_ids[0],
        "audience_id": c.audience_id,
        "flow_id": c.flow_id,
        "version": "1",
        "did_id": dids[0]["id"],
        "program_id": program["id"],
        "execution_id": launched["executionId"],
        "job_id": call["jobId"],
        "trunk_id": trunk["id"],
        "entry_id": dnc["id"],
        "attribute_id": attribute["id"],
        "audio_id": audio["id"],
        "dictionary_id": dictionary["id"],
        "key": "1",
        "import_id": imported["id"],
    }


@dataclass
class Fuzzed:
    app: FastAPI
    headers: dict[str, str]
    seeds: dict[str, str]  # path parameter name → an id that exists


@pytest.fixture(scope="module")
def fuzzed(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Fuzzed:
    base = tmp_path_factory.mktemp("fuzz")
    path = base / "ringcast.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(
        data_dir=base / "data",
        database_url=f"sqlite+aiosqlite:///{path}",
        rate_limit_per_second=100_000,
        rate_limit_burst=100_000,
    )
    key, seeds = asyncio.run(_seed(settings))
    return Fuzzed(create_app(settings, migrate=False), {"x-api-key": key}, seeds)


def _load_schema() -> Any:
    """The document the app serves at /openapi.json, read at collection time.

    It does not depend on the database, so a throwaway app (whose engine never
    connects) gives it; the cases then run against the `fuzzed` app.
    (`schemathesis.pytest.from_fixture` would avoid this, but breaks on pytest 9.)
    """
    data_dir = Path(tempfile.mkdtemp(prefix="ringcast-spec-"))
    try:
        settings = Settings(
            data_dir=data_dir,
            database_url=f"sqlite+aiosqlite:///{data_dir}/unused.db",
        )
        return schemathesis.openapi.from_dict(create_app(settings, migrate=False).openapi())
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


schema = _load_schema()


def _aim(case: schemathesis.Case[Any], seeds: dict[str, str]) -> None:
    """Point half the cases that take ids at the seeded resources.

    Not DELETEs: they would remove the resources for the operations after.
    Which half is fixed by the case's content, so a run repeats.
    """
    if case.method == "DELETE" or not case.path_parameters:
        return
    if zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % 2:
        return
    for name in case.path_parameters:
        if name in seeds:
            case.path_parameters[name] = seeds[name]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_500(case: schemathesis.Case[Any], fuzzed: Fuzzed) -> None:
    _aim(case, fuzzed.seeds)
    response = case.call(app=fuzzed.app, headers=fuzzed.headers)
    checks = [status_code_conformance, response_schema_conformance, not_a_server_error]
    case.validate_response(response, checks=checks, headers=fuzzed.headers)
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict), response.text
        assert body.keys() >= ENVELOPE_KEYS, response.text
        assert body["statusCode"] == response.status_code
        assert "Traceback" not in response.text


async def _served_spec(app: FastAPI) -> Any:
    # /openapi.json never touches the database, so another event loop is fine here
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ringcast.test") as client:
        r = await client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_spec_lists_every_api_route(fuzzed: Fuzzed) -> None:
    spec = asyncio.run(_served_spec(fuzzed.app))
    assert spec == schema.raw_schema  # what was fuzzed is what is served
    assert spec["components"]["securitySchemes"]
    routes = [r for router in api_routers() for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 50
    for route in routes:
        for method in route.methods or set():
            operation = spec["paths"].get(route.path, {}).get(method.lower())
            assert operation is not None, f"{method} {route.path} missing from /openapi.json"
            assert operation.get("security"), f"{method} {route.path} has no security"
            assert any(code.startswith("2") for code in operation["responses"])
            assert "422" not in operation["responses"]  # validation errors are 400s
            assert operation["responses"]["400"]["content"]["application/json"]["schema"]
            if route.body_field is not None:
                assert "requestBody" in operation, f"{method} {route.path} has no body schema"
