"""Signing in with an API key, the session cookie, and losing it."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import pytest

from dashboard.conftest import CACHE_S, SECRET, SIGNIN_FAILURES
from dashboard.dashboard_kit import client_for, csrf, parse, sign_in
from ringcast.dashboard.session import COOKIE, MAX_AGE_S, Signer
from ringcast.dashboard.throttle import SignInThrottle


def _set_cookie(response) -> str:
    [header] = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    return header


async def test_no_session_redirects_to_the_login_form(api):
    r = await api.client.get("/dashboard")
    assert r.status_code == 303
    assert r.headers["location"] == "/dashboard/login?why=signin"
    login = await api.client.get(r.headers["location"])
    assert login.status_code == 200
    page = parse(login)
    assert "Sign in with an API key." in page.text
    assert page.form("/dashboard/login")
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]


async def test_good_key_signs_in_with_a_hardened_cookie(api):
    r = await api.client.post("/dashboard/login", data={"key": api.acme.manager_key})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    cookie = _set_cookie(r).lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/dashboard" in cookie
    assert "secure" not in cookie  # plain http
    assert api.acme.manager_key not in _set_cookie(r)  # the key itself never travels back
    overview = await api.client.get("/dashboard")
    assert overview.status_code == 200
    assert "manager" in parse(overview).text


async def test_cookie_is_secure_over_https(api):
    async with client_for(api, "https://ringcast.test") as browser:
        r = await browser.post("/dashboard/login", data={"key": api.acme.admin_key})
        assert r.status_code == 303
        assert "secure" in _set_cookie(r).lower()


async def test_bad_key_is_refused(api):
    admin = api.acme.admin_key
    wrong_last = admin[:-1] + ("x" if admin[-1] != "x" else "y")  # never the key itself
    for key in ["", "nope", wrong_last]:
        r = await api.client.post("/dashboard/login", data={"key": key})
        assert r.status_code == 401, key
        assert "set-cookie" not in r.headers
        assert "Invalid API key" in parse(r).text or "Missing API key" in parse(r).text
    assert (await api.client.get("/dashboard")).status_code == 303


async def test_revoked_key_cannot_sign_in(api):
    keys = await api.client.get("/api/auth/api-keys", headers=api.acme.headers())
    agent = next(k for k in keys.json()["apiKeys"] if k["role"] == "agent")
    r = await api.client.delete(f"/api/auth/api-keys/{agent['id']}", headers=api.acme.headers())
    assert r.status_code == 200
    r = await api.client.post("/dashboard/login", data={"key": api.acme.agent_key})
    assert r.status_code == 401
    assert "revoked" in parse(r).text


async def _sign_in_then_revoke_the_manager_key(api) -> None:
    await sign_in(api.client, api.acme.manager_key)
    assert (await api.client.get("/dashboard")).status_code == 200
    keys = await api.client.get("/api/auth/api-keys", headers=api.acme.headers())
    manager = next(k for k in keys.json()["apiKeys"] if k["role"] == "manager")
    r = await api.client.delete(f"/api/auth/api-keys/{manager['id']}", headers=api.acme.headers())
    assert r.status_code == 200


async def test_a_key_revoked_after_sign_in_loses_the_dashboard(api):
    await _sign_in_then_revoke_the_manager_key(api)
    await asyncio.sleep(CACHE_S * 1.5)  # the dashboard's key cache lives auth_cache_seconds
    r = await api.client.get("/dashboard")
    assert r.status_code == 303
    assert r.headers["location"] == "/dashboard/login?why=API_KEY_REVOKED"
    assert f"{COOKIE}=" in _set_cookie(r) and "max-age=0" in _set_cookie(r).lower()
    login = await api.client.get(r.headers["location"])
    assert "has been revoked" in parse(login).text


async def test_revoking_a_key_ends_its_sessions_at_once(api):
    """No wait for the key cache: the revocation ends the key's sessions on the server."""
    await _sign_in_then_revoke_the_manager_key(api)
    r = await api.client.get("/dashboard")
    assert r.status_code == 303
    assert r.headers["location"] == "/dashboard/login?why=API_KEY_REVOKED"


async def test_a_well_signed_cookie_naming_no_session_is_refused(api):
    """Signed with the server's secret but never issued at a sign-in (or issued
    before sessions were kept): no session row, no dashboard."""
    await sign_in(api.client, api.acme.admin_key)
    claims = Signer(SECRET.encode()).verify(api.client.cookies.get(COOKIE), time.time())
    assert claims is not None
    async with client_for(api) as browser:
        forged = Signer(SECRET.encode()).issue(claims.key_id, claims.organization_id, time.time())
        browser.cookies.set(COOKIE, forged, path="/dashboard")
        r = await browser.get("/dashboard")
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/login?why=signin"


async def test_failed_sign_ins_are_throttled_per_client_address(api):
    wrong = api.acme.admin_key[:-1] + ("x" if not api.acme.admin_key.endswith("x") else "y")
    for _ in range(SIGNIN_FAILURES):
        r = await api.client.post("/dashboard/login", data={"key": wrong})
        assert r.status_code == 401
    r = await api.client.post("/dashboard/login", data={"key": wrong})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert "Too many failed sign-ins" in parse(r).text
    # even the right key waits: the guesser learns nothing more from this address
    r = await api.client.post("/dashboard/login", data={"key": api.acme.admin_key})
    assert r.status_code == 429 and "set-cookie" not in r.headers
    # another address is not held back
    other = httpx.ASGITransport(app=api.app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=other, base_url="http://ringcast.test") as browser:
        await sign_in(browser, api.acme.admin_key)


def test_throttle_window_slides_and_memory_is_bounded():
    throttle = SignInThrottle(max_failures=2, window_s=60.0, max_addresses=3)
    throttle.failed("a", 0.0)
    assert throttle.retry_after_s("a", 1.0) == 0
    throttle.failed("a", 10.0)
    assert throttle.retry_after_s("a", 11.0) == 49
    assert throttle.retry_after_s("a", 60.5) == 0  # the first failure left the window
    for address in ("b", "c", "d", "e"):
        throttle.failed(address, 61.0)
        throttle.failed(address, 61.0)
    assert throttle.retry_after_s("e", 62.0) == 59
    assert throttle.retry_after_s("b", 62.0) == 0  # forgotten: only 3 addresses are kept


def _tampered(token: str, **changes: object) -> str:
    payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{forged}.{signature}"


async def test_tampered_or_foreign_cookies_are_refused(api):
    await sign_in(api.client, api.acme.agent_key)
    token = api.client.cookies.get(COOKIE, path="/dashboard")
    assert token
    # the globex admin key's id, signed by nobody
    async with client_for(api) as other:
        await sign_in(other, api.globex.admin_key)
        globex_token = other.cookies.get(COOKIE, path="/dashboard")
    assert globex_token
    globex_claims = Signer(SECRET.encode()).verify(globex_token, time.time())
    assert globex_claims is not None
    forgeries = [
        _tampered(token, k=globex_claims.key_id, o=globex_claims.organization_id),
        _tampered(token, t=int(time.time())),  # a longer life
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        token.split(".")[0],
        Signer(b"another secret, not the server's").issue(
            globex_claims.key_id, globex_claims.organization_id, time.time()
        ),
        Signer(SECRET.encode()).issue(  # well signed, but past its age
            globex_claims.key_id, globex_claims.organization_id, time.time() - MAX_AGE_S - 1
        ),
        "garbage",
        "",
    ]
    for forged in forgeries:
        async with client_for(api) as browser:
            browser.cookies.set(COOKIE, forged, path="/dashboard")
            r = await browser.get("/dashboard")
            assert r.status_code == 303, forged
            assert r.headers["location"].startswith("/dashboard/login")


async def test_the_session_cookie_does_not_open_the_api(api):
    await sign_in(api.client, api.acme.admin_key)
    r = await api.client.get("/api/programs")
    assert r.status_code == 401
    assert r.json()["code"] == "API_KEY_MISSING"


async def test_logout_needs_csrf_then_ends_the_session(api):
    await sign_in(api.client, api.acme.admin_key)
    token = await csrf(api.client)
    r = await api.client.post("/dashboard/logout", data={})
    assert r.status_code == 403
    assert (await api.client.get("/dashboard")).status_code == 200
    r = await api.client.post("/dashboard/logout", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    assert (await api.client.get("/dashboard")).status_code == 303


async def test_csrf_token_is_tied_to_its_session(api):
    await sign_in(api.client, api.acme.admin_key)
    mine = await csrf(api.client)
    async with client_for(api) as other:
        await sign_in(other, api.acme.admin_key)  # same key, another session
        r = await other.post("/dashboard/logout", data={"csrf": mine})
        assert r.status_code == 403
        assert "did not come from your session" in parse(r).text


def test_signer_round_trip_and_limits():
    signer = Signer(b"k" * 32)
    token = signer.issue("key-1", "org-1", 1000.0)
    claims = signer.verify(token, 1000.0 + MAX_AGE_S - 1)
    assert claims is not None and (claims.key_id, claims.organization_id) == ("key-1", "org-1")
    assert signer.verify(token, 1000.0 + MAX_AGE_S) is None
    assert signer.verify(token, 999.0) is None  # issued in the future
    assert signer.csrf_ok(claims, signer.csrf(claims))
    assert not signer.csrf_ok(claims, None)
    other = signer.verify(signer.issue("key-1", "org-1", 1000.0), 1000.0)
    assert other is not None
    assert not signer.csrf_ok(claims, signer.csrf(other))  # another session's token


def test_short_configured_secret_is_refused():
    with pytest.raises(ValueError, match="at least 32"):
        Signer.from_setting("short")
    assert Signer.from_setting(None) is not None


async def test_dashboard_is_not_in_the_openapi_document(api):
    spec = (await api.client.get("/openapi.json")).json()
    assert not [p for p in spec["paths"] if p.startswith("/dashboard")]
