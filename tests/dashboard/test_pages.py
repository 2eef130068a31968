"""The pages show the real numbers of a program run by the simulated dialer,
and only to its own organization."""

from __future__ import annotations

from typing import Any

from dashboard.dashboard_kit import client_for, parse, sign_in
from dialer.dialer_kit import BUSY, NO_ANSWER, clock_now, dialer, execution, launch, scripted, tick
from programs.campaign_kit import phone
from ringcast.telephony.simulated import CalleeScript

MACHINE = CalleeScript(answer="machine", ring_ms=0, amd_ms=0, speech_ms=0, hangup_after_ms=None)
AMD_GRAPH: dict[str, Any] = {
    "startNodeId": "dial-1",
    "nodes": [
        {
            "id": "dial-1",
            "type": "dial",
            "config": {"timeout": 30000, "enableAMD": True},
            "outputs": {"onAnswer": "bye", "onVoicemail": "vm", "default": "bye"},
        },
        {"id": "vm", "type": "hangup", "config": {"reason": "voicemail"}, "outputs": {}},
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}


async def _run_campaign(api: Any) -> tuple[str, str]:
    """6 contacts: 3 people, a machine, a busy line, one that never answers; one dialer pass."""
    flow = await api.client.post(
        "/api/flows", json={"name": "amd", "graph": AMD_GRAPH}, headers=api.acme.headers()
    )
    assert flow.status_code == 201, flow.text
    _, eid = await launch(
        api, contacts=6, callsPerSecond=100, name="spring reminders", flowId=flow.json()["id"]
    )
    clock = clock_now()
    d = dialer(api, scripted({phone(3): MACHINE, phone(4): BUSY, phone(5): NO_ANSWER}), clock)
    await tick(d, clock)
    r = await api.client.get(f"/api/program-executions/{eid}", headers=api.acme.headers())
    return r.json()["programId"], eid


async def test_execution_page_shows_the_dialer_numbers(api):
    program_id, eid = await _run_campaign(api)
    api_view = await execution(api, eid)
    await sign_in(api.client, api.acme.agent_key)
    r = await api.client.get(f"/dashboard/executions/{eid}")
    assert r.status_code == 200, r.text
    page = parse(r)
    assert page.counters() == {
        "total": 6,
        "completed": api_view["contactsCompleted"],
        "in-progress": api_view["contactsInProgress"],
        "pending": api_view["contactsPending"],
        "failed": api_view["contactsFailed"],
        "human": 3,
        "machine": 1,
        "no-answer": 1,
        "busy": 1,
        "call-failed": 0,
    }
    assert api_view["contactsCompleted"] == 3 and api_view["contactsFailed"] == 3  # voicemail fails
    assert float(page.value("data-k", "cpm")) == 6 / 5  # 6 calls in the last 5 minutes
    assert page.value("data-outcome", "completed") == "3"
    assert page.value("data-outcome", "voicemail") == "1"
    assert page.value("data-outcome", "busy") == "1"
    assert page.value("data-outcome", "no_answer") == "1"
    assert page.value("data-answered-by", "human") == "3"
    assert page.value("data-answered-by", "machine") == "1"
    attempts = page.rows["attempts"][1:]  # after the header
    assert sorted(row[1] for row in attempts) == [phone(i) for i in range(6)]
    by_phone = {row[1]: row for row in attempts}
    assert by_phone[phone(3)][3:5] == ["voicemail", "machine"]
    assert by_phone[phone(4)][3:5] == ["busy", "—"]
    assert by_phone[phone(0)][3:5] == ["completed", "human"]
    # each row links to its JSON call report, which is the API's
    reports = [link for link in page.links if link.startswith("/dashboard/call-report/")]
    assert len(reports) == 6
    report = await api.client.get(reports[0])
    assert report.status_code == 200
    job_id = reports[0].rsplit("/", 1)[1]
    via_api = await api.client.get(f"/api/call-report/{job_id}", headers=api.acme.headers())
    assert report.json() == via_api.json()
    # an agent sees the buttons, disabled
    buttons = [b for f in page.forms for b in f.buttons if f.action.startswith("/dashboard/exec")]
    assert buttons and all("disabled" in b for b in buttons)
    assert f"/dashboard/programs/{program_id}" in page.links


async def test_overview_program_list_and_program_page(api):
    program_id, eid = await _run_campaign(api)
    await sign_in(api.client, api.acme.manager_key)
    overview = parse(await api.client.get("/dashboard"))
    assert "spring reminders" in overview.text
    assert overview.counters()["completed"] == 3 and overview.counters()["human"] == 3
    assert f"/dashboard/executions/{eid}" in overview.links
    programs = parse(await api.client.get("/dashboard/programs"))
    assert f"/dashboard/programs/{program_id}" in programs.links
    program = parse(await api.client.get(f"/dashboard/programs/{program_id}"))
    assert f"/dashboard/executions/{eid}" in program.links
    [header, row] = [r for r in program.rows[""] if r]
    assert header[5:] == ["Total", "Completed", "Failed", "Pending", "Human", "Machine"]
    assert row[5:] == ["6", "3", "3", "0", "3", "1"]
    # the next pass sees nothing left and completes it: off the overview
    clock = clock_now()
    d = dialer(api, scripted(), clock)
    await tick(d, clock, 1)
    assert (await execution(api, eid))["status"] == "completed"
    overview = parse(await api.client.get("/dashboard"))
    assert "No execution is scheduled, running or paused" in overview.text


async def test_another_organization_gets_404s(api):
    program_id, eid = await _run_campaign(api)
    report = next(
        link
        for link in parse(await _as(api, api.acme.admin_key, f"/dashboard/executions/{eid}")).links
        if link.startswith("/dashboard/call-report/")
    )
    async with client_for(api) as globex:
        await sign_in(globex, api.globex.admin_key)
        for url in [
            f"/dashboard/executions/{eid}",
            f"/dashboard/programs/{program_id}",
            report,
        ]:
            r = await globex.get(url)
            assert r.status_code == 404, url
            assert r.headers["content-type"].startswith("text/html")
            assert "Not Found" in parse(r).text
        overview = parse(await globex.get("/dashboard"))
        assert "spring reminders" not in overview.text
        programs = parse(await globex.get("/dashboard/programs"))
        assert "spring reminders" not in programs.text


async def _as(api: Any, key: str, url: str) -> Any:
    async with client_for(api) as browser:
        await sign_in(browser, key)
        return await browser.get(url)


async def test_bad_addresses_are_html_errors_not_500s(api):
    await sign_in(api.client, api.acme.admin_key)
    cases = {
        "/dashboard/executions/does-not-exist": 404,
        "/dashboard/programs/does-not-exist": 404,
        "/dashboard/call-report/abc": 404,
        "/dashboard/call-report/%C2%B2": 404,  # a digit to str.isdigit, not to int()
        "/dashboard/dnc?page=%C2%B2": 400,
        "/dashboard/call-report/99999999999999999999999": 404,
        "/dashboard/executions/%00": 400,
        "/dashboard/executions/" + "x" * 5000: 404,
        "/dashboard/programs/%C3%A9%F0%9F%93%9E": 404,
        "/dashboard/programs?page=abc": 400,
        "/dashboard/programs?page=0": 400,
        "/dashboard/dnc?page=99999999999": 400,
        "/dashboard/dnc?page=%00": 400,
        "/dashboard/nowhere": 404,
        "/dashboard/executions/x/pause": 404,  # a GET on a form's address
    }
    for url, status in cases.items():
        r = await api.client.get(url)
        assert r.status_code == status, (url, r.status_code, r.text[:300])
        page = parse(r)
        assert "Traceback" not in r.text
        assert str(status) in page.text
    assert (await api.client.get("/dashboard/")).headers["location"] == "/dashboard"
    assert (await api.client.head("/dashboard/nowhere")).status_code == 404
    css = await api.client.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
