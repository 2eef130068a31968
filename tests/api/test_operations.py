from __future__ import annotations


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
