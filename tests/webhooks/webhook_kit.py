"""A real HTTP receiver on 127.0.0.1 (asyncio streams, HTTP/1.1) and helpers.

The receiver checks `Ringcast-Signature` itself, from the documented formula
(not with ringcast's own code), answers with the next scripted status, and
keeps every request it got.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ringcast.webhooks.models import WebhookDelivery
from ringcast.webhooks.worker import DeliveryConfig, DeliveryWorker

FAST = DeliveryConfig(backoff_s=(10.0, 30.0, 120.0), jitter=0.0, max_attempts=3, timeout_s=2.0)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    secret: str = ""
    statuses: list[int] = field(default_factory=list)  # next responses; then 200
    delay_s: float = 0.0
    requests: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def verify(self, header: str, body: bytes) -> bool:
        parts = dict(p.split("=", 1) for p in header.split(","))
        expected = hmac.new(
            self.secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256
        ).hexdigest()
        fresh = abs(time.time() - int(parts["t"])) < 300
        return fresh and hmac.compare_digest(expected, parts["v1"])

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode()) not in ("\r\n", ""):
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            ok = self.verify(headers.get("ringcast-signature", "t=0,v1="), body)
            self.requests.append(Received(request_line.split()[1], headers, body, ok))
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            status = self.statuses.pop(0) if self.statuses else 200
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode()
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()


async def subscribe(api: Any, url: str, events: list[str], tenant: Any = None) -> dict[str, Any]:
    tenant = tenant or api.acme
    r = await api.client.post(
        "/api/webhooks", json={"url": url, "events": events}, headers=tenant.headers()
    )
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def worker(api: Any, config: DeliveryConfig = FAST, **kwargs: Any) -> DeliveryWorker:
    """A worker on the app's database, private networks allowed as the app's settings say,
    opening secrets with the app's key."""
    state = api.app.state.ringcast
    allow = state.settings.webhook_allow_private_networks
    config = replace(config, allow_private_networks=allow, secrets=state.settings.secret_box())
    return DeliveryWorker(state.sessions, config, **kwargs)


async def deliveries(api: Any) -> list[WebhookDelivery]:
    async with api.app.state.ringcast.sessions() as s:
        rows = await s.execute(
            select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        )
        return list(rows.scalars().all())


def now() -> datetime:
    return datetime.now(UTC)
