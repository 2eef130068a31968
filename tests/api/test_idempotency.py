from __future__ import annotations


async def _count_keys(api) -> int:
    r = await api.client.get("/api/auth/api-keys", headers=api.acme.headers())
    return len(r.json()["apiKeys"])


async def test_replay_returns_first_response_and_does_nothing_again(api):
    h = {**api.acme.headers(), "Idempotency-Key": "create-ci-key"}
    before = await _count_keys(api)
    first = await api.client.post(
        "/api/auth/api-keys", json={"name": "ci", "prefix": "ci_"}, headers=h
    )
    second = await api.client.post(
        "/api/auth/api-keys", json={"name": "ci", "prefix": "ci_"}, headers=h
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert await _count_keys(api) == before + 1


async def test_same_key_other_body_is_409(api):
    h = {**api.acme.headers(), "Idempotency-Key": "k1"}
    await api.client.post("/api/auth/api-keys", json={"name": "a", "prefix": "a_"}, headers=h)
    r = await api.client.post("/api/auth/api-keys", json={"name": "b", "prefix": "a_"}, headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_keys_are_per_organization(api):
    body = {"name": "a", "prefix": "a_"}
    r1 = await api.client.post(
        "/api/auth/api-keys", json=body, headers={**api.acme.headers(), "Idempotency-Key": "same"}
    )
    r2 = await api.client.post(
        "/api/auth/api-keys", json=body, headers={**api.globex.headers(), "Idempotency-Key": "same"}
    )
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] != r2.json()["id"]


async def test_errors_are_replayed_too_but_not_500s(api):
    h = {**api.acme.headers(), "Idempotency-Key": "bad"}
    r1 = await api.client.post("/api/auth/api-keys", json={"prefix": "a_"}, headers=h)
    r2 = await api.client.post("/api/auth/api-keys", json={"prefix": "a_"}, headers=h)
    assert r1.status_code == r2.status_code == 400
    assert r2.headers.get("idempotent-replayed") == "true"


async def test_delete_is_idempotent(api):
    created = await api.client.post(
        "/api/auth/api-keys", json={"name": "d", "prefix": "d_"}, headers=api.acme.headers()
    )
    key_id = created.json()["id"]
    h = {**api.acme.headers(), "Idempotency-Key": "del-1"}
    r1 = await api.client.delete(f"/api/auth/api-keys/{key_id}", headers=h)
    r2 = await api.client.delete(f"/api/auth/api-keys/{key_id}", headers=h)
    assert r1.json() == r2.json()
