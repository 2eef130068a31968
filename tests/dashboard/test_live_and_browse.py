"""The execution page's event stream, export and relaunch buttons, the call
page, and the browsing pages (contacts, audiences, audio, flows)."""

from __future__ import annotations

import csv
import io
import json

import httpx

from calls.export_kit import MENU_GRAPH, run_menu_campaign
from dashboard.dashboard_kit import parse, sign_in
from dialer.dialer_kit import clock_now, dialer, scripted, tick
from programs.campaign_kit import phone
from ringcast.calls.exports.jobs import jobs_for
from ringcast.dashboard import flowgraph
from served_kit import seed_program, serve


async def _finished_campaign(api) -> str:
    eid = await run_menu_campaign(api)
    clock = clock_now()
    await tick(dialer(api, scripted(), clock), clock, 1)  # closes the execution
    return eid


async def test_execution_page_streams_updates_and_draws_the_flow(api):
    eid = await _finished_campaign(api)
    await sign_in(api.client, api.acme.agent_key)
    page = await api.client.get(f"/dashboard/executions/{eid}")
    assert page.status_code == 200
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert 'data-live="/dashboard/executions/' in page.text and "EventSource" in page.text
    if flowgraph.available():
        assert page.text.count('class="node"') == len(MENU_GRAPH["nodes"])
        assert "ran 3 times" in page.text  # the dial node, three calls
    assert "<svg" in page.text and "Calls per minute" in page.text
    async with api.client.stream("GET", f"/dashboard/executions/{eid}/live") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        body = (await stream.aread()).decode()
    events = [block for block in body.split("\n\n") if block.startswith("event:")]
    assert events[0].startswith("event: update") and events[-1].startswith("event: done")
    html = json.loads(events[0].split("data: ", 1)[1])["html"]
    assert 'data-k="completed"' in html and 'id="in-flight"' in html
    other = await api.client.get("/dashboard/executions/nope/live")
    assert other.status_code == 404


async def test_export_button_downloads_the_keys_pressed(api):
    eid = await _finished_campaign(api)
    await sign_in(api.client, api.acme.agent_key)  # reading results is not a write
    form = parse(await api.client.get(f"/dashboard/executions/{eid}")).form("/dashboard/exports")
    started = await api.client.post("/dashboard/exports", data=form.fields)
    assert started.status_code == 303, started.text
    status_page = started.headers["location"]
    await jobs_for(api.app.state.ringcast).wait(status_page.rsplit("/", 1)[1])
    done = parse(await api.client.get(status_page))
    [download] = [link for link in done.links if link.endswith("/download")]
    file = await api.client.get(download)
    assert file.status_code == 200
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert {r["phone"]: r["key:menu"] for r in rows}[phone(0)] == "1"


async def test_relaunch_button_and_call_page(api):
    eid = await _finished_campaign(api)
    await sign_in(api.client, api.acme.manager_key)
    page = parse(await api.client.get(f"/dashboard/executions/{eid}"))
    form = page.form("/dashboard/relaunches")
    r = await api.client.post("/dashboard/relaunches", data=form.fields)
    assert r.status_code == 303 and r.headers["location"] != f"/dashboard/executions/{eid}"
    again = parse(await api.client.get(r.headers["location"]))
    assert again.counters()["total"] == 1  # only the busy contact
    call = next(link for link in page.links if link.startswith("/dashboard/calls/"))
    report = await api.client.get(call)
    assert report.status_code == 200 and "AMD verdict" in report.text
    assert "dial started" in report.text and "Attempt 1" in report.text
    assert (await api.client.get("/dashboard/calls/999999")).status_code == 404


async def test_browse_pages(api):
    await run_menu_campaign(api)
    await sign_in(api.client, api.acme.agent_key)
    contacts = parse(await api.client.get("/dashboard/contacts", params={"q": "Ann1"}))
    assert phone(1) in contacts.text and phone(2) not in contacts.text
    audiences = parse(await api.client.get("/dashboard/audiences"))
    [audience] = [link for link in audiences.links if link.startswith("/dashboard/audiences/")]
    members = parse(await api.client.get(audience))
    assert phone(0) in members.text
    flows = parse(await api.client.get("/dashboard/flows"))
    [flow] = [link for link in flows.links if link.startswith("/dashboard/flows/")]
    drawn = await api.client.get(flow)
    assert drawn.status_code == 200 and "menu" in drawn.text
    if flowgraph.available():
        assert drawn.text.count('class="node"') == len(MENU_GRAPH["nodes"])
    assert (await api.client.get("/dashboard/audio")).status_code == 200
    assert (await api.client.get("/dashboard/audio/nope/listen")).status_code == 404
    assert (await api.client.get("/dashboard/contacts?page=x")).status_code == 400


def test_overview_pushes_its_live_executions(tmp_path):
    with serve(tmp_path / "data") as served:
        program_id = seed_program(served, contacts=3, calls_per_second=0.2)
        with httpx.Client(base_url=served.url, timeout=30) as browser:
            signed = browser.post("/dashboard/login", data={"key": served.key})
            assert signed.status_code == 303, signed.text
            overview = browser.get("/dashboard")
            assert 'data-live="/dashboard/live"' in overview.text
            assert "http-equiv" not in overview.text and "location.reload" not in overview.text
            with served.client() as api:
                assert api.post(f"/api/programs/{program_id}/launch").status_code == 201
            with browser.stream("GET", "/dashboard/live") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.iter_lines()
                event = next(line for line in lines if line.startswith("event:"))
                data = next(lines)
            program_page = browser.get(f"/dashboard/programs/{program_id}")
            assert f'data-live="/dashboard/programs/{program_id}/live?page=1"' in program_page.text
            with browser.stream("GET", f"/dashboard/programs/{program_id}/live") as stream:
                lines = stream.iter_lines()
                assert next(line for line in lines if line.startswith("event:")) == "event: update"
                assert "/dashboard/executions/" in next(lines)
        assert event == "event: update"
        assert "reminders" in json.loads(data.removeprefix("data: "))["html"]


async def test_number_speaker_preview_reads_a_number_as_a_call_would(api):
    import wave

    await sign_in(api.client, api.acme.agent_key)
    form = await api.client.get("/dashboard/audio", params={"number": "1523", "language": "fr"})
    assert form.status_code == 200 and 'id="spoken"' in form.text
    lengths = {}
    for number, language, mode in (("1523", "fr", "full"), ("1523", "ar", "full"),
                                   ("1523", "en", "digits"), ("7", "fr", "full")):  # fmt: skip
        r = await api.client.get(
            "/dashboard/speak", params={"number": number, "language": language, "mode": mode}
        )
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        with wave.open(io.BytesIO(r.content)) as w:
            assert (w.getframerate(), w.getnchannels()) == (8000, 1)
            lengths[(number, language, mode)] = w.getnframes()
    # "mille cinq cent vingt-trois" is several words, "sept" one: real speech, not a stub
    assert lengths[("1523", "fr", "full")] > 2 * lengths[("7", "fr", "full")] > 0
    for bad in (
        {"number": "12x"},
        {"number": "5", "language": "xx"},
        {"number": "5", "mode": "odd"},
    ):
        assert (await api.client.get("/dashboard/speak", params=bad)).status_code == 400
