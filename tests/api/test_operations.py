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


async def test_metrics_carry_the_dialer_media_clock_while_fresh(api):
    """The media clock runs in the dialer process; its figures reach /metrics through
    the file it renders (dialer/metrics.py), and only while that file is fresh."""
    import asyncio
    import os
    import time

    from prometheus_client.parser import text_string_to_metric_families

    from ringcast.dialer.metrics import FILE_NAME, FRESH_S, registry_for, write_once
    from ringcast.telephony.media.clock import MediaClock

    class Client:
        def tick(self, frames: int) -> None:
            pass

        def housekeep(self, now: float) -> None:
            pass

    clock = MediaClock()
    client = Client()
    clock.register(client)
    await asyncio.sleep(0.05)
    time.sleep(0.25)  # a blocked loop: one tick ~250 ms late
    await asyncio.sleep(0.05)
    clock.unregister(client)
    path = api.app.state.ringcast.settings.data_dir / FILE_NAME
    write_once(registry_for(clock), path)

    text = (await api.client.get("/metrics")).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    late = families["ringcast_media_clock_late_seconds"]
    counts = {s.labels.get("le"): s.value for s in late.samples if s.name.endswith("_bucket")}
    assert counts["+Inf"] == clock.stats.ticks
    assert counts["+Inf"] - counts["0.2"] >= 1  # the late tick is in the 200-500 ms bucket
    assert "ringcast_http_requests" in families  # the API's own metrics are still there

    stale = time.time() - FRESH_S - 5
    os.utime(path, (stale, stale))  # the dialer stopped writing: its figures are not live
    assert "ringcast_media_clock" not in (await api.client.get("/metrics")).text


async def test_health_and_metrics_show_the_dialer_full(api):
    """Overload control's state comes from the dialer's file: calls against the cap and
    why it is full; being full is not unhealthy (the calls it carries are fine)."""
    from ringcast.dialer.metrics import FILE_NAME, registry_for, write_once
    from ringcast.telephony.media.clock import MediaClock
    from ringcast.telephony.overload import OverloadConfig, OverloadGuard

    clock = MediaClock()
    guard = OverloadGuard(OverloadConfig(max_calls=1), clock)
    guard.enter()
    write_once(
        registry_for(clock, None, guard), api.app.state.ringcast.settings.data_dir / FILE_NAME
    )
    health = await api.client.get("/health")
    assert health.status_code == 200
    assert health.json()["dialerLoad"] == {"calls": 1, "maxCalls": 1, "overloaded": "max_calls"}
    text = (await api.client.get("/metrics")).text
    assert 'ringcast_dialer_overloaded{reason="max_calls"} 1.0' in text
