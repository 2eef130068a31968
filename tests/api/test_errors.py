"""Every error answers in the contract's envelope."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from ringcast.api.route import domain_router
from ringcast.db import dialect

ENVELOPE_KEYS = {"statusCode", "code", "error", "message", "timestamp", "path"}


def assert_envelope(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body.keys() >= ENVELOPE_KEYS
    assert body["statusCode"] == status
    assert body["code"] == code
    assert "Traceback" not in r.text
    return body


async def test_unknown_route_is_404_envelope(api):
    r = await api.client.get("/api/nope", headers=api.acme.headers())
    body = assert_envelope(r, 404, "NOT_FOUND")
    assert body["path"] == "/api/nope"
    r = await api.client.get("/nope")
    assert_envelope(r, 404, "NOT_FOUND")


async def test_method_not_allowed(api):
    r = await api.client.put("/api/auth/api-keys", headers=api.acme.headers(), json={})
    assert_envelope(r, 405, "METHOD_NOT_ALLOWED")


async def test_malformed_json(api):
    r = await api.client.post(
        "/api/auth/api-keys",
        content=b'{"name": "x", ',
        headers={**api.acme.headers(), "content-type": "application/json"},
    )
    assert_envelope(r, 400, "MALFORMED_JSON")


async def test_wrong_content_type_is_415(api):
    r = await api.client.post(
        "/api/auth/api-keys",
        content=b"name=x",
        headers={**api.acme.headers(), "content-type": "application/x-www-form-urlencoded"},
    )
    assert_envelope(r, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_validation_errors_have_field_paths_and_details(api):
    r = await api.client.post(
        "/api/auth/api-keys",
        json={"prefix": "bad prefix", "role": "god", "extra": 1},
        headers=api.acme.headers(),
    )
    body = assert_envelope(r, 400, "VALIDATION_FAILED")
    assert body["error"] == "BAD_REQUEST"
    assert set(body["fieldErrors"]) == {"name", "prefix", "role", "extra"}
    assert body["fieldDetails"]["name"][0]["code"] == "missing"
    assert body["fieldDetails"]["extra"][0]["code"] == "extra_forbidden"
    assert body["fieldDetails"]["role"][0]["code"] == "enum"
    assert all(isinstance(m, str) for msgs in body["fieldErrors"].values() for m in msgs)


async def test_body_not_an_object(api):
    r = await api.client.post("/api/auth/api-keys", json=[1, 2], headers=api.acme.headers())
    assert_envelope(r, 400, "VALIDATION_FAILED")


async def test_oversized_body_is_413(api):
    api.app.state.ringcast.settings.max_upload_bytes = 1000
    r = await api.client.post(
        "/api/auth/api-keys",
        content=b"{" + b" " * 2000 + b"}",
        headers={**api.acme.headers(), "content-type": "application/json"},
    )
    assert_envelope(r, 413, "PAYLOAD_TOO_LARGE")


async def test_unexpected_exception_is_500_envelope_with_request_id(api):
    router = domain_router("/api/boom", "test")

    @router.get("")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    api.app.include_router(router)
    r = await api.client.get("/api/boom", headers=api.acme.headers())
    body = assert_envelope(r, 500, "INTERNAL_ERROR")
    assert body["requestId"]
    assert "secret internals" not in r.text


async def test_a_database_locked_past_its_timeout_is_503_busy_not_500(api, settings, monkeypatch):
    """Another connection holds SQLite's write lock (a dialer's long write, a backup)
    past the busy timeout: the request is told to retry, in the envelope, not a 500."""
    url = settings.database_url.get_secret_value()
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's own lock; PostgreSQL answers lock_timeout the same way")
    monkeypatch.setattr(dialect, "SQLITE_BUSY_TIMEOUT_MS", 200)
    await api.app.state.ringcast.engine.dispose()  # new connections take the short timeout
    warm = await api.client.get("/api/contact", headers=api.acme.headers())
    assert warm.status_code == 200  # acme's key is now cached: its requests reach the routes
    path = url.split(":///", 1)[1]
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        r = await api.client.get("/api/contact", headers=api.acme.headers())
        w = await api.client.post(
            "/api/contact", json={"primaryPhone": "+212612345699"}, headers=api.acme.headers()
        )
        g = await api.client.get("/api/contact", headers=api.globex.headers())  # the gate's lookup
    finally:
        blocker.rollback()
        blocker.close()
    for answer in (r, w, g):
        body = assert_envelope(answer, 503, "DATABASE_BUSY")
        assert answer.headers["Retry-After"] == "1"
        assert "requestId" not in body or body["requestId"]
    r = await api.client.get("/api/contact", headers=api.acme.headers())
    assert r.status_code == 200 and r.json()["data"] == []  # nothing half-written
