from __future__ import annotations

import asyncio
import sys
import time

from dashboard.dashboard_kit import sign_in
from ringcast.dialer.supervisor import SUPERVISOR_KEY, DialerSupervisor


async def test_health_reports_database(api):
    r = await api.client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


async def test_health_reports_a_dead_database(api):
    await api.app.state.ringcast.engine.dispose()
    from sqlalchemy.ext.asyncio import create_async_engine

    api.app.state.ringcast.engine = create_async_engine("sqlite+aiosqlite:////nonexistent/dir/x.db")
    r = await api.client.get("/health")
    assert r.status_code == 503
    assert r.json()["database"].startswith("error")


async def test_a_dialer_child_that_cannot_start_is_in_health_metrics_and_dashboard(api):
    """`ringcast serve` keeps its dialer supervisor in the app state: a child that
    keeps failing makes /health a 503 naming the error, never only a log line."""
    code = "print('RuntimeError: cannot bind SIP port 5060'); raise SystemExit(2)"
    supervisor = DialerSupervisor([sys.executable, "-c", code], backoff_s=(0.05,), max_failures=2)
    api.app.state.ringcast.extras[SUPERVISOR_KEY] = supervisor
    assert (await api.client.get("/health")).json()["dialer"]["state"] == "starting"
    supervisor.start()
    try:
        deadline = time.monotonic() + 20
        while (r := await api.client.get("/health")).json()["dialer"]["state"] != "failed":
            assert time.monotonic() < deadline, r.text
            await asyncio.sleep(0.05)
        assert r.status_code == 503 and r.json()["status"] == "degraded"
        dialer = r.json()["dialer"]
        assert (
            dialer["lastError"] == "exited with status 2: RuntimeError: cannot bind SIP port 5060"
        )
        assert dialer["restarts"] >= 1 and dialer["pid"] is None
        metrics = (await api.client.get("/metrics")).text
        assert 'ringcast_dialer_process_state{state="failed"} 1.0' in metrics
        assert 'ringcast_dialer_process_state{state="running"} 0.0' in metrics
        await sign_in(api.client, api.acme.admin_key)
        overview = (await api.client.get("/dashboard")).text
        assert "Dialer process:" in overview and "failed" in overview
        assert "cannot bind SIP port 5060" in overview
    finally:
        await supervisor.stop()


async def test_metrics_count_requests_by_route_and_status(api):
    await api.client.get("/api/auth/api-keys", headers=api.acme.headers())
    r = await api.client.get("/metrics")
    assert r.status_code == 200
    text = r.text
    assert (
        'ringcast_http_requests_total{method="GET",route="/api/auth/api-keys",status="200"}' in text
    )
    assert "ringcast_http_request_duration_seconds_bucket" in text


async def test_openapi_lists_every_route_with_security(api):
    spec = (await api.client.get("/openapi.json")).json()
    assert "/api/auth/api-keys" in spec["paths"]
    assert "/api/auth/api-keys/{key_id}" in spec["paths"]
    assert "APIKeyHeader" in spec["components"]["securitySchemes"]
    docs = await api.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_docs_are_served_without_a_cdn_and_root_goes_to_the_dashboard(api):
    for path in ("/docs", "/redoc"):
        page = await api.client.get(path)
        assert page.status_code == 200
        scripts = page.text.split('src="')[1:]
        assert scripts, page.text
        for tag in scripts:
            url = tag.split('"', 1)[0]
            assert url.startswith("/docs/static/"), url  # nothing from the internet
            asset = await api.client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 100_000
        assert "fonts.googleapis" not in page.text and "cdn.jsdelivr" not in page.text
    css = await api.client.get("/docs/static/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    root = await api.client.get("/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/dashboard"
