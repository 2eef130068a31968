from __future__ import annotations

import os
import time

import pytest
from pydantic import SecretStr

from ringcast.api.app import create_app
from ringcast.api.ratelimit import RateLimiter, make_storage
from support import IN_CI


async def test_headers_on_every_authenticated_response(api):
    r = await api.client.get("/api/auth/api-keys", headers=api.acme.headers())
    assert r.status_code == 200
    assert int(r.headers["x-ratelimit-limit"]) == 1000
    assert int(r.headers["x-ratelimit-remaining"]) == 999
    assert int(r.headers["x-ratelimit-reset"]) >= int(time.time())
    r = await api.client.get("/api/nope", headers=api.acme.headers())
    assert r.status_code == 404 and "x-ratelimit-remaining" in r.headers


async def test_burst_then_429_with_retry_after(api):
    state = api.app.state.ringcast
    state.limiter.default_rate, state.limiter.default_burst = 10, 20
    h = api.acme.headers()
    statuses = [
        (await api.client.get("/api/auth/api-keys", headers=h)).status_code for _ in range(20)
    ]
    assert statuses == [200] * 20
    r = await api.client.get("/api/auth/api-keys", headers=h)
    assert r.status_code == 429
    assert r.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(r.headers["retry-after"]) <= 2
    assert r.headers["x-ratelimit-remaining"] == "0"
    # limits are per key: another key of the same organization is unaffected
    r = await api.client.get("/api/auth/api-keys", headers={"x-api-key": api.acme.admin_key})
    assert r.status_code == 429
    other = await api.client.get("/api/nope", headers=api.acme.headers("agent"))
    assert other.status_code == 404


async def test_per_key_override(api):
    api.app.state.ringcast.limiter.default_rate = 1000
    created = await api.client.post(
        "/api/auth/api-keys",
        json={"name": "slow", "prefix": "slow_", "rateLimitPerSecond": 1, "rateLimitBurst": 2},
        headers=api.acme.headers(),
    )
    slow = {"x-api-key": created.json()["secret"]}
    codes = [(await api.client.get("/api/nope", headers=slow)).status_code for _ in range(3)]
    assert codes == [404, 404, 429]


def test_item_allows_burst_and_sustains_rate():
    item = RateLimiter.item(10, 20)
    assert item.amount == 20 and item.get_expiry() == 2


@pytest.mark.skipif(
    not os.environ.get("RINGCAST_TEST_REDIS_URL") and not IN_CI,
    reason="needs Redis (scripts/test.sh starts one)",
)
async def test_redis_limit_holds_across_api_processes(settings):
    """Two app instances (as two API processes) share one Redis counter."""
    url = os.environ["RINGCAST_TEST_REDIS_URL"]
    settings.redis_url = SecretStr(url)
    settings.rate_limit_per_second, settings.rate_limit_burst = 2, 4
    apps = [create_app(settings, migrate=False) for _ in range(2)]
    key = f"key:shared-{time.time_ns()}"
    decisions = []
    for i in range(6):
        limiter = apps[i % 2].state.ringcast.limiter
        decisions.append((await limiter.hit(key)).allowed)
    assert decisions == [True, True, True, True, False, False]
    for app in apps:
        await app.state.ringcast.engine.dispose()
    assert make_storage(url) is not None
