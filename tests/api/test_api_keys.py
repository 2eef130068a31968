from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ringcast.auth import secrets
from ringcast.auth.models import ApiKey


async def test_missing_key_is_401_missing(api):
    r = await api.client.get("/api/auth/api-keys")
    assert r.status_code == 401
    assert r.json()["code"] == "API_KEY_MISSING"
    assert "x-ratelimit-limit" not in r.headers


async def test_malformed_and_unknown_keys_are_401_invalid(api):
    for bad in ["abc", "test_" + "x" * 10, "test_" + "A" * 55, api.acme.admin_key[:-1] + "!"]:
        r = await api.client.get("/api/auth/api-keys", headers={"x-api-key": bad})
        assert r.status_code == 401, bad
        assert r.json()["code"] == "API_KEY_INVALID"


async def test_wrong_secret_with_real_lookup_id_is_invalid(api):
    key = api.acme.admin_key
    forged = key[:-5] + ("AAAAA" if not key.endswith("AAAAA") else "BBBBB")
    r = await api.client.get("/api/auth/api-keys", headers={"x-api-key": forged})
    assert r.json()["code"] == "API_KEY_INVALID"


async def test_bearer_and_case_insensitive_header(api):
    r = await api.client.get(
        "/api/auth/api-keys", headers={"Authorization": f"Bearer {api.acme.admin_key}"}
    )
    assert r.status_code == 200
    r = await api.client.get("/api/auth/api-keys", headers={"X-API-KEY": api.acme.admin_key})
    assert r.status_code == 200


async def test_create_list_revoke_flow(api):
    h = api.acme.headers()
    r = await api.client.post(
        "/api/auth/api-keys", json={"name": "ci", "prefix": "dev_", "role": "manager"}, headers=h
    )
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["secret"]
    assert secret.startswith("dev_")
    assert created["keyPrefix"] == "dev_" and created["role"] == "manager"
    assert created["isActive"] is True
    # the new key works, and records its use
    r = await api.client.get("/api/auth/api-keys", headers={"x-api-key": secret})
    assert r.status_code == 403  # manager cannot manage keys
    listed = (await api.client.get("/api/auth/api-keys", headers=h)).json()["apiKeys"]
    mine = next(k for k in listed if k["id"] == created["id"])
    assert "secret" not in mine
    assert mine["lastUsedAt"] is not None
    # revoke → 401 REVOKED
    r = await api.client.delete(f"/api/auth/api-keys/{created['id']}", headers=h)
    assert r.status_code == 200 and r.json()["isActive"] is False
    r = await api.client.get("/api/auth/api-keys", headers={"x-api-key": secret})
    assert r.status_code == 401 and r.json()["code"] == "API_KEY_REVOKED"


async def test_secret_is_stored_only_as_hash(api):
    h = api.acme.headers()
    r = await api.client.post(
        "/api/auth/api-keys", json={"name": "h", "prefix": "prod_"}, headers=h
    )
    secret = r.json()["secret"]
    tail = secret.removeprefix("prod_")
    assert len(tail) == secrets.LOOKUP_LEN + secrets.SECRET_LEN
    async with api.app.state.ringcast.sessions() as s:
        row = (await s.execute(select(ApiKey).where(ApiKey.id == r.json()["id"]))).scalar_one()
    stored = {str(getattr(row, c.key)) for c in ApiKey.__table__.columns}
    assert not any(tail[secrets.LOOKUP_LEN :] in value for value in stored)
    assert row.secret_hash == secrets.digest(secret)


async def test_expired_key_is_401_expired(api):
    lookup = secrets.parse(api.acme.manager_key)
    assert lookup is not None
    async with api.app.state.ringcast.sessions.begin() as s:
        row = (
            await s.execute(select(ApiKey).where(ApiKey.lookup_id == lookup.lookup_id))
        ).scalar_one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    r = await api.client.get("/api/auth/api-keys", headers=api.acme.headers("manager"))
    assert r.status_code == 401
    assert r.json()["code"] == "API_KEY_EXPIRED"
    # the others of the organization still work
    r = await api.client.get("/api/auth/api-keys", headers=api.acme.headers())
    assert r.status_code == 200


async def test_expires_at_must_be_future_and_zoned(api):
    h = api.acme.headers()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    r = await api.client.post(
        "/api/auth/api-keys", json={"name": "p", "prefix": "p_", "expiresAt": past}, headers=h
    )
    assert r.status_code == 400 and "expiresAt" in r.json()["fieldErrors"]
    r = await api.client.post(
        "/api/auth/api-keys",
        json={"name": "p", "prefix": "p_", "expiresAt": "2030-01-01T00:00:00"},
        headers=h,
    )
    assert r.status_code == 400
    assert "expiresAt" in r.json()["fieldErrors"]


async def test_roles(api):
    # agent is read-only: writes are 403, and key management is admin-only
    for role in ("agent", "manager"):
        r = await api.client.get("/api/auth/api-keys", headers=api.acme.headers(role))
        assert r.status_code == 403, role
        assert r.json()["code"] == "ROLE_FORBIDDEN"
    r = await api.client.post(
        "/api/auth/api-keys", json={"name": "x", "prefix": "x_"}, headers=api.acme.headers("agent")
    )
    assert r.status_code == 403


async def test_other_organizations_key_is_404(api):
    theirs = (await api.client.get("/api/auth/api-keys", headers=api.globex.headers())).json()
    their_id = theirs["apiKeys"][0]["id"]
    r = await api.client.delete(f"/api/auth/api-keys/{their_id}", headers=api.acme.headers())
    assert r.status_code == 404
    assert r.json()["code"] == "API_KEY_NOT_FOUND"
    mine = (await api.client.get("/api/auth/api-keys", headers=api.acme.headers())).json()
    assert their_id not in {k["id"] for k in mine["apiKeys"]}
