"""A real ringcast server in a thread (uvicorn on a free loopback port) with a
dialer whose callees are simulated, for the CLI and browser tests; and a small
campaign seeded over HTTP, as an operator would."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ringcast.api.app import create_app
from ringcast.auth import service as auth_service
from ringcast.auth.schemas import ApiKeyCreate, Role
from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.db.migrate import upgrade
from ringcast.dialer.launcher import CallLauncher
from ringcast.dialer.loop import DialerConfig
from ringcast.dialer.service import DialerHooks
from ringcast.dialer.simulated_launcher import INSTANT_HUMAN, SimulatedLauncher
from ringcast.settings import Settings
from ringcast.telephony.simulated import CalleeScript

MENU_GRAPH: dict[str, Any] = {
    "startNodeId": "dial",
    "nodes": [
        {
            "id": "dial",
            "type": "dial",
            "label": "Call",
            "config": {"enableAMD": True},
            "outputs": {"onAnswer": "menu", "onVoicemail": "bye", "default": "bye"},
        },
        {
            "id": "menu",
            "type": "dtmf",
            "label": "Confirm?",
            "config": {"variable": "choice", "timeout": 3000},
            "outputs": {"branches": {"1": "thanks"}, "onSuccess": "bye", "default": "bye"},
        },
        {
            "id": "thanks",
            "type": "hangup",
            "config": {"reason": "completed"},
            "outputs": {},
        },
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}


def pressing(*digits: str) -> CalleeScript:
    return CalleeScript(answer="human", ring_ms=0, amd_ms=0, speech_ms=0, digits=digits)


@dataclass
class Served:
    url: str
    key: str
    settings: Settings

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"x-api-key": self.key}, timeout=30)


async def _admin_key(settings: Settings) -> str:
    engine = create_engine(settings.resolved_database_url())
    async with create_sessionmaker(engine).begin() as s:
        org = await auth_service.get_or_create_organization(s, "acme")
        _, secret = await auth_service.create_key(
            s, org.id, ApiKeyCreate(name="ops", prefix="test_", role=Role.admin)
        )
    await engine.dispose()
    return secret


@contextmanager
def serve(
    data_dir: Path,
    script_for: Callable[[str], CalleeScript] | None = None,
    launcher: CallLauncher | None = None,
) -> Iterator[Served]:
    """`launcher` replaces the simulated callees (`script_for`)."""
    settings = Settings(data_dir=data_dir, rate_limit_per_second=1000, rate_limit_burst=1000)
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url())
    key = asyncio.run(_admin_key(settings))
    calls = launcher or SimulatedLauncher(script_for or (lambda _n: INSTANT_HUMAN))
    hooks = DialerHooks(lambda _state: calls, DialerConfig(tick_s=0.05))
    app = create_app(settings, on_startup=[hooks.start], on_shutdown=[hooks.stop])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="served-ringcast", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Served(f"http://127.0.0.1:{port}", key, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def phone(i: int) -> str:
    return f"+3361{i:07d}"


def seed_program(served: Served, contacts: int, calls_per_second: float) -> str:
    """Contacts, an audience, the menu flow, a DID and a program; returns its id."""
    with served.client() as c:
        rows = [
            {"primaryPhone": phone(i), "firstName": f"Ann{i}", "lastName": "Lee"}
            for i in range(contacts)
        ]
        assert c.post("/api/contact/upsert", json={"data": rows}).status_code == 200
        ids = [x["id"] for x in c.get("/api/contact", params={"limit": 100}).json()["data"]]
        audience = c.post("/api/audience", json={"name": "everyone"}).json()["id"]
        added = c.post(f"/api/audience/{audience}/add-contacts", json={"contacts": ids})
        assert added.status_code in (200, 201), added.text
        flow = c.post("/api/flows", json={"name": "menu", "graph": MENU_GRAPH})
        assert flow.status_code == 201, flow.text
        did = c.post("/api/dids", json={"number": "+33987654320", "country": "FR"})
        assert did.status_code == 201, did.text
        program = c.post(
            "/api/programs",
            json={
                "name": "reminders",
                "audienceId": audience,
                "flowId": flow.json()["id"],
                "didPool": ["+33987654320"],
                "callsPerSecond": calls_per_second,
                "retryStrategy": {"type": "none"},
            },
        )
        assert program.status_code == 201, program.text
        return str(program.json()["id"])
