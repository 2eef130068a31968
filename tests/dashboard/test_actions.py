"""Pause / Resume / Cancel through the execution page's forms."""

from __future__ import annotations

from typing import Any

from dashboard.dashboard_kit import client_for, parse, sign_in
from dialer.dialer_kit import execution, launch
from ringcast.dashboard.session import COOKIE


async def _forms(client: Any, eid: str) -> dict[str, dict[str, str]]:
    r = await client.get(f"/dashboard/executions/{eid}")
    assert r.status_code == 200, r.text
    prefix = f"/dashboard/executions/{eid}/"
    return {
        f.action.removeprefix(prefix): f.fields
        for f in parse(r).forms
        if f.action.startswith(prefix)
    }


async def test_pause_resume_cancel_change_the_execution(api):
    _, eid = await launch(api, contacts=3)
    await sign_in(api.client, api.acme.manager_key)
    forms = await _forms(api.client, eid)
    assert set(forms) == {"pause", "cancel"}

    r = await api.client.post(f"/dashboard/executions/{eid}/pause", data=forms["pause"])
    assert r.status_code == 303 and r.headers["location"] == f"/dashboard/executions/{eid}"
    e = await execution(api, eid)
    assert (e["status"], e["effectiveStatus"]) == ("paused", "paused_manual")
    forms = await _forms(api.client, eid)
    assert set(forms) == {"resume", "cancel"}
    assert "paused manual" in parse(await api.client.get(f"/dashboard/executions/{eid}")).text

    r = await api.client.post(f"/dashboard/executions/{eid}/resume", data=forms["resume"])
    assert r.status_code == 303
    assert (await execution(api, eid))["status"] == "running"

    forms = await _forms(api.client, eid)
    r = await api.client.post(f"/dashboard/executions/{eid}/cancel", data=forms["cancel"])
    assert r.status_code == 303
    e = await execution(api, eid)
    assert (e["status"], e["contactsPending"], e["contactsFailed"]) == ("cancelled", 0, 3)
    assert await _forms(api.client, eid) == {}  # nothing left to do

    # a stale form for a finished execution: the API's 409, as a page
    r = await api.client.post(f"/dashboard/executions/{eid}/pause", data=forms["cancel"])
    assert r.status_code == 409
    assert "Execution is cancelled" in parse(r).text


async def test_missing_or_wrong_csrf_is_403_and_changes_nothing(api):
    _, eid = await launch(api, contacts=2)
    await sign_in(api.client, api.acme.admin_key)
    for data in [{}, {"csrf": ""}, {"csrf": "x" * 43}]:
        r = await api.client.post(f"/dashboard/executions/{eid}/pause", data=data)
        assert r.status_code == 403, data
        assert "Reload the page" in parse(r).text
    async with client_for(api) as other:  # a token from another session of the same key
        await sign_in(other, api.acme.admin_key)
        stolen = (await _forms(other, eid))["pause"]
    r = await api.client.post(f"/dashboard/executions/{eid}/pause", data=stolen)
    assert r.status_code == 403
    assert (await execution(api, eid))["status"] == "running"


async def test_agent_key_cannot_pause(api):
    _, eid = await launch(api, contacts=2)
    await sign_in(api.client, api.acme.agent_key)
    forms = await _forms(api.client, eid)
    for action in ("pause", "cancel"):
        r = await api.client.post(f"/dashboard/executions/{eid}/{action}", data=forms[action])
        assert r.status_code == 403
        assert "read-only" in parse(r).text
    assert (await execution(api, eid))["status"] == "running"


async def test_other_organization_cannot_act_on_it(api):
    _, eid = await launch(api, contacts=2)
    async with client_for(api) as globex:
        await sign_in(globex, api.globex.admin_key)
        r = await globex.get("/dashboard/dnc")
        token = parse(r).form("/dashboard/logout").fields["csrf"]
        r = await globex.post(f"/dashboard/executions/{eid}/cancel", data={"csrf": token})
        assert r.status_code == 404
    assert (await execution(api, eid))["status"] == "running"


async def test_bad_posts(api):
    _, eid = await launch(api, contacts=1)
    await sign_in(api.client, api.acme.admin_key)
    forms = await _forms(api.client, eid)
    url = f"/dashboard/executions/{eid}/pause"
    r = await api.client.post(f"/dashboard/executions/{eid}/explode", data=forms["pause"])
    assert r.status_code == 404
    r = await api.client.post(url, data=forms["pause"], headers={"origin": "https://evil.test"})
    assert r.status_code == 403
    r = await api.client.post(url, json=forms["pause"])
    assert r.status_code == 400
    r = await api.client.post(url, content=b"csrf=" + b"a" * 20000, headers=_urlencoded())
    assert r.status_code == 413
    r = await api.client.post(url, content=b"csrf=%ff%fe", headers=_urlencoded())
    assert r.status_code == 400
    assert (await execution(api, eid))["status"] == "running"
    # no session at all: back to the login form
    async with client_for(api) as stranger:
        r = await stranger.post(url, data=forms["pause"])
        assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login")
    assert (await execution(api, eid))["status"] == "running"


def _urlencoded() -> dict[str, str]:
    return {"content-type": "application/x-www-form-urlencoded"}


async def test_after_logout_the_old_cookie_and_csrf_token_open_nothing(api):
    """Logout ends the session on the server: a browser that kept the cookie (or a
    thief who copied it) is sent to the sign-in page, and its form changes nothing."""
    _, eid = await launch(api, contacts=2)
    await sign_in(api.client, api.acme.manager_key)
    forms = await _forms(api.client, eid)
    r = await api.client.post(f"/dashboard/executions/{eid}/pause", data=forms["pause"])
    assert r.status_code == 303
    resume = (await _forms(api.client, eid))["resume"]
    old_cookie = api.client.cookies.get(COOKIE, path="/dashboard")
    r = await api.client.post("/dashboard/logout", data={"csrf": resume["csrf"]})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    async with client_for(api) as kept:
        kept.cookies.set(COOKIE, old_cookie, path="/dashboard")
        r = await kept.get("/dashboard")
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/login?why=signin"
        r = await kept.post(f"/dashboard/executions/{eid}/resume", data=resume)
        assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login")
    assert (await execution(api, eid))["status"] == "paused"
