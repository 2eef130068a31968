"""The dashboard and the API docs in a real browser: Debian's Chromium driven by
Playwright (never a downloaded browser), against a real server in a thread whose
dialer calls simulated callees. Every request off 127.0.0.1 is refused, so the
pages must work offline. Screenshots go to $RINGCAST_TEST_ARTIFACTS (or the
test's tmp dir)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ringcast.calls.live import NODE_STALLED_AFTER_S
from ringcast.dialer.launcher import CallPlan, CallResult
from ringcast.flow.trace import PathEntry
from served_kit import MENU_GRAPH, Served, phone, pressing, seed_program, serve
from support import require_tool, wav_bytes

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    require_tool("chromium", "dot")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(accept_downloads=True)
        # offline: anything not on loopback is refused
        context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*"), lambda route: route.abort())
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    scripts = {phone(0): pressing("1"), phone(1): pressing("2")}
    with serve(tmp_path / "data", lambda n: scripts.get(n, pressing())) as s:
        yield s


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("RINGCAST_TEST_ARTIFACTS") or tmp_path) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _sign_in(page: Any, served: Served) -> None:
    page.goto(f"{served.url}/dashboard/login")
    page.fill("input[name=key]", served.key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.url}/dashboard")


def _open_launched(page: Any, served: Served, contacts: int, calls_per_second: float) -> None:
    """Sign in, launch a program of the menu flow, open its execution's page."""
    program_id = seed_program(served, contacts=contacts, calls_per_second=calls_per_second)
    _sign_in(page, served)
    with served.client() as c:
        launched = c.post(f"/api/programs/{program_id}/launch")
        assert launched.status_code == 201, launched.text
        execution_id = launched.json()["executionId"]
    page.goto(f"{served.url}/dashboard/executions/{execution_id}")


def test_docs_render_their_operations_offline(served, browser_page, tmp_path):
    page = browser_page
    page.goto(f"{served.url}/docs")
    page.wait_for_selector(".opblock", state="attached")
    assert page.locator(".opblock").count() > 50
    assert page.locator(".opblock-summary-path", has_text="/api/exports").count() >= 1
    _shot(page, "docs", tmp_path)
    page.goto(f"{served.url}/redoc")
    page.wait_for_selector("[data-section-id]", state="attached")
    page.goto(f"{served.url}/")
    assert page.url.startswith(f"{served.url}/dashboard")


def test_execution_page_updates_live_and_exports_the_keys(served, browser_page, tmp_path):
    page = browser_page
    _open_launched(page, served, contacts=8, calls_per_second=1)
    page.evaluate("window.__sameDocument = true")
    first = page.inner_text('[data-k="completed"]')
    # counts move without a reload: the marker set on this document survives
    page.wait_for_function(
        "(first) => document.querySelector('[data-k=\"completed\"]').textContent.trim() !== first",
        arg=first,
    )
    assert page.evaluate("window.__sameDocument === true")
    assert int(page.get_attribute("#live", "data-updates") or 0) >= 1
    page.wait_for_function(
        "() => document.querySelector('[data-k=\"completed\"]').textContent.trim() === '8'",
        timeout=60_000,
    )
    assert page.evaluate("window.__sameDocument === true")
    assert page.locator("#flow-graph svg g.node").count() == len(MENU_GRAPH["nodes"])
    # the menu's key-press tallies: one pressed 1, one pressed 2, six let it time out
    page.wait_for_function(
        "() => document.querySelector('#node-menu').textContent.includes('timeout: 6')"
    )
    menu = page.text_content("#node-menu") or ""
    assert "pressed 1: 1" in menu and "pressed 2: 1" in menu, menu
    _shot(page, "execution", tmp_path)

    page.click("#export-button")
    page.wait_for_selector("#download", timeout=60_000)
    with page.expect_download() as info:
        page.click("#download")
    target = tmp_path / "export.csv"
    info.value.save_as(str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    keys = {r["phone"]: r["key:menu"] for r in rows}
    assert len(rows) == 8 and keys[phone(0)] == "1" and keys[phone(1)] == "2"


def test_an_audio_element_loads_a_prompt(served, browser_page, tmp_path):
    page = browser_page
    with served.client() as c:
        r = c.post(
            "/api/audio-management/upload",
            files={"file": ("hello.wav", wav_bytes(1.5), "audio/wav")},
            data={"title": "Greeting"},
        )
        assert r.status_code == 201, r.text
    _sign_in(page, served)
    page.goto(f"{served.url}/dashboard/audio")
    duration = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const audio = document.querySelector("audio");
            audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
            audio.addEventListener("error", () => reject(new Error("audio error")));
            audio.load();
        })"""
    )
    assert 1.3 < duration < 1.7
    _shot(page, "audio", tmp_path)


class HangingLauncher:
    """Calls that enter the flow's nodes, as the runner reports them, then hang:
    the first one entered the menu long ago (a stalled call), the others just now."""

    def __init__(self) -> None:
        self.release = threading.Event()

    async def launch(self, plan: CallPlan) -> CallResult:
        assert plan.on_node is not None
        hung = plan.to_number == phone(0)
        ago = timedelta(seconds=NODE_STALLED_AFTER_S + 100 if hung else 0)
        plan.on_node(PathEntry("dial", "dial", "Call", datetime.now(UTC) - ago))
        plan.on_node(PathEntry("menu", "dtmf", "Confirm?", datetime.now(UTC) - ago))
        while not self.release.is_set():
            await asyncio.sleep(0.05)
        return CallResult("completed", "completed", dialed_at=plan.start_at)


@pytest.fixture
def hanging(tmp_path: Path) -> Iterator[tuple[Served, HangingLauncher]]:
    launcher = HangingLauncher()
    with serve(tmp_path / "data", launcher=launcher) as s:
        try:
            yield s, launcher
        finally:
            launcher.release.set()


def test_calls_in_flight_show_their_node_and_the_stalled_ones(hanging, browser_page, tmp_path):
    served, _ = hanging
    page = browser_page
    _open_launched(page, served, contacts=3, calls_per_second=10)
    # the rows arrive over the live stream, no reload
    page.wait_for_selector('#in-flight tr[data-node="menu"].stalled', timeout=60_000)
    page.wait_for_function(
        "() => document.querySelectorAll('#in-flight tr[data-node=\"menu\"]').length === 3"
    )
    stalled = page.locator("#in-flight tr.stalled")
    assert stalled.count() == 1
    assert phone(0) in stalled.inner_text() and "stalled" in stalled.inner_text()
    age = stalled.locator("td.node-age").inner_text()
    assert int(age.removesuffix(" s")) >= NODE_STALLED_AFTER_S + 100
    assert "1 stalled" in page.inner_text(".stalled-count")
    _shot(page, "in-flight", tmp_path)
