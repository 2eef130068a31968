"""Bad input found by the fuzzer (tests/api/test_openapi_fuzz.py): each is a
400 in the envelope on both databases, never a 500, and nothing is stored."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from ringcast.api.route import domain_router
from support import wav_bytes


def assert_400(r: httpx.Response, code: str) -> dict:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == code and body["statusCode"] == 400
    return body


async def test_nul_in_json_body_is_400_and_stores_nothing(api):
    h = api.acme.headers()
    r = await api.client.post("/api/audience", json={"name": "a\x00"}, headers=h)
    assert "name" in assert_400(r, "VALIDATION_FAILED")["fieldErrors"]
    listed = await api.client.get("/api/audience", headers=h)
    assert listed.json()["meta"]["total"] == 0


@pytest.mark.parametrize(
    "url", ["/api/contact/%00", "/api/contact?search=a%00b", "/api/dnc?sortBy=%00"]
)
async def test_nul_in_url_is_400(api, url: str):
    r = await api.client.get(url, headers=api.acme.headers())
    assert_400(r, "INVALID_CHARACTER")


async def test_nul_in_form_field_is_400(api):
    r = await api.client.post(
        "/api/audio-management/upload",
        files={"file": ("a.wav", wav_bytes(0.2), "audio/wav")},
        data={"title": "a\x00"},
        headers=api.acme.headers(),
    )
    assert "title" in assert_400(r, "VALIDATION_FAILED")["fieldErrors"]


async def test_timestamp_that_overflows_utc_is_400(api):
    r = await api.client.post(
        "/api/auth/api-keys",
        json={
            "name": "k",
            "prefix": "test_",
            "role": "agent",
            "expiresAt": "0001-01-01T00:00:00+00:01",
        },
        headers=api.acme.headers(),
    )
    assert "expiresAt" in assert_400(r, "VALIDATION_FAILED")["fieldErrors"]


async def test_nul_refused_by_the_database_is_400_other_errors_stay_500(api):
    router = domain_router("/api/db-refuses", "test")

    @router.get("/{kind}")
    async def refuse(kind: str) -> None:
        text = 'invalid byte sequence for encoding "UTF8": 0x00' if kind == "nul" else "boom"
        raise DBAPIError("INSERT ...", {}, Exception(text))

    api.app.include_router(router)
    h = api.acme.headers()
    assert_400(await api.client.get("/api/db-refuses/nul", headers=h), "INVALID_CHARACTER")
    other = await api.client.get("/api/db-refuses/other", headers=h)
    assert other.status_code == 500 and other.json()["code"] == "INTERNAL_ERROR"
