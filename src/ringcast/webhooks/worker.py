"""The delivery worker: claims due deliveries, POSTs them signed, records the result.

Theory of operation. `run_once(now)` claims up to `batch` due deliveries in
one short transaction; the claim counts the attempt and leases the row by
moving `next_attempt_at` past `lease_s` (longer than an attempt can last), so
another worker — another dialer process — skips it while it is being sent,
and takes it again only if this one died. The claimed deliveries are POSTed
concurrently, each cut off after `timeout_s`; the results are stored in one
transaction: 2xx → delivered; otherwise pending again after the backoff
(`backoff.py`), or failed once `max_attempts` were made. Redirects are not
followed (a 3xx is a failure). Delivery is at least once: a worker that dies
between the POST and storing its result lets the row be sent again, with
the same `Ringcast-Delivery` id and event `id` (receivers dedupe on those).
Unless `allow_private_networks`, the client connects only to public addresses
(`netguard.py`): a host resolving to a loopback, private, link-local, ...
address makes the attempt fail with a `refused: …` error, retried like any.
The endpoint's secret is stored sealed: `secrets` opens it just before
signing; one it cannot open (another RINGCAST_SECRET_KEY) fails the attempt
with a `secret: …` error, retried like any, and nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ringcast import __version__
from ringcast.db.base import utcnow
from ringcast.kit.secret_box import SecretBox, SecretBoxError, open_with
from ringcast.webhooks import signing
from ringcast.webhooks.backoff import retry_delay_s
from ringcast.webhooks.netguard import (
    BlockedAddressError,
    GuardedBackend,
    GuardedTransport,
    Resolver,
    system_resolve,
)
from ringcast.webhooks.repository import ClaimedDelivery, DeliveryRepository, DeliveryResult

log = logging.getLogger("ringcast.webhooks")

DEFAULT_BACKOFF_S = (10.0, 30.0, 120.0, 600.0, 3600.0, 10800.0, 21600.0, 43200.0)


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    backoff_s: tuple[float, ...] = DEFAULT_BACKOFF_S
    jitter: float = 0.2
    max_attempts: int = 10
    timeout_s: float = 10.0
    poll_s: float = 1.0
    batch: int = 50
    retention_days: float = 30.0  # delivered and failed deliveries are kept this long
    prune_every_s: float = 3600.0
    allow_private_networks: bool = False  # RINGCAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS
    secrets: SecretBox | None = None  # opens sealed endpoint secrets (Settings.secret_box)

    @property
    def lease_s(self) -> float:
        return self.timeout_s + 30.0


@dataclass(frozen=True, slots=True)
class _Sent:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DeliveryWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        config: DeliveryConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
        resolve: Resolver = system_resolve,
    ) -> None:
        """`transport` replaces the guarded one (and so the guard); `resolve`
        replaces the system resolver behind the guard."""
        self.sessions = sessions
        self.config = config or DeliveryConfig()
        self.rng = rng or random.Random()
        self.client = httpx.AsyncClient(
            transport=transport
            or GuardedTransport(GuardedBackend(self.config.allow_private_networks, resolve)),
            follow_redirects=False,
            timeout=self.config.timeout_s,
            headers={"User-Agent": f"ringcast-webhooks/{__version__}"},
        )
        self.sent = 0
        self._last_prune: datetime | None = None

    async def run_once(self, now: datetime | None = None) -> int:
        """Send what is due at `now`; returns how many attempts were made."""
        now = now or utcnow()
        await self._maybe_prune(now)
        lease_until = now + timedelta(seconds=self.config.lease_s)
        async with self.sessions.begin() as s:
            claimed = await DeliveryRepository(s).claim(
                now, lease_until, self.config.batch, self.config.max_attempts
            )
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._attempt(d) for d in claimed))
        results = [self._result(d, sent, now) for d, sent in zip(claimed, outcomes, strict=True)]
        async with self.sessions.begin() as s:
            stored = await DeliveryRepository(s).record(results)
        if stored != len(results):
            log.warning("%d delivery results were stale (lease expired)", len(results) - stored)
        self.sent += len(claimed)
        return len(claimed)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except Exception:  # a database blip must not end the worker
                log.exception("webhook delivery round failed")
                busy = 0
            if busy >= self.config.batch:
                continue  # a backlog: no pause between full batches
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.poll_s)

    async def _maybe_prune(self, now: datetime) -> None:
        last = self._last_prune
        if last is not None and (now - last).total_seconds() < self.config.prune_every_s:
            return
        self._last_prune = now
        before = now - timedelta(days=self.config.retention_days)
        async with self.sessions.begin() as s:
            pruned = await DeliveryRepository(s).prune(before)
        if pruned:
            log.info("forgot %d webhook deliveries older than %s", pruned, before)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _attempt(self, delivery: ClaimedDelivery) -> _Sent:
        """One delivery, isolated: whatever it raises is its own failed attempt."""
        try:
            return await self._send(delivery)
        except Exception as exc:
            log.exception("webhook delivery %s failed unexpectedly", delivery.id)
            return _Sent(None, f"unexpected {type(exc).__name__}: {exc}"[:500])

    async def _send(self, delivery: ClaimedDelivery) -> _Sent:
        try:
            secret = open_with(self.config.secrets, delivery.secret)
        except SecretBoxError as exc:
            log.error("webhook delivery %s not sent: %s", delivery.id, exc)
            return _Sent(None, f"secret: {exc}"[:500])
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "Ringcast-Event": delivery.event_type,
            "Ringcast-Delivery": delivery.id,
            "Ringcast-Signature": signing.header(secret, int(time.time()), body),
        }
        try:
            async with asyncio.timeout(self.config.timeout_s):
                # the status is all we need: the response body is not read
                async with self.client.stream(
                    "POST", delivery.url, content=body, headers=headers
                ) as response:
                    status = response.status_code
        except TimeoutError:
            return _Sent(None, f"timed out after {self.config.timeout_s:g} s")
        except BlockedAddressError as exc:
            return _Sent(None, str(exc)[:500])
        except httpx.HTTPError as exc:
            return _Sent(None, f"{type(exc).__name__}: {exc}"[:500])
        return _Sent(status, None if 200 <= status < 300 else f"HTTP {status}")

    def _result(self, delivery: ClaimedDelivery, sent: _Sent, now: datetime) -> DeliveryResult:
        if sent.ok:
            status, next_at = "delivered", None
        elif delivery.attempt >= self.config.max_attempts:
            status, next_at = "failed", None
        else:
            delay = retry_delay_s(
                delivery.attempt, self.config.backoff_s, self.config.jitter, self.rng
            )
            status, next_at = "pending", now + timedelta(seconds=delay)
        return DeliveryResult(
            delivery.id, delivery.attempt, status, now, next_at, sent.status_code, sent.error
        )


class DeliveryRunner:
    """A `DeliveryWorker` in a task of the current event loop (the dialer process)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], config: DeliveryConfig | None = None
    ) -> None:
        self.worker = DeliveryWorker(sessions, config)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.worker.run_forever(self._stop))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        await self.worker.aclose()
