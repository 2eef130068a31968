"""Running the dialer as a background service: alone (`ringcast dialer`, also
the child `ringcast serve` supervises: dialer/supervisor.py) or inside an app's
start-up / shutdown hooks (`ringcast demo`, tests).

    hooks = DialerHooks(launcher_factory)
    app = create_app(settings, on_startup=[hooks.start], on_shutdown=[hooks.stop])

`stop` stops claiming, lets the calls in progress finish (their leases keep
them safe if the process dies instead) and returns.

The webhook delivery worker (`webhooks/worker.py`) runs next to the loop, in
every dialer process; several share the outbox safely (leased claims).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ringcast.dialer.clock import SystemClock
from ringcast.dialer.launcher import CallLauncher
from ringcast.dialer.loop import Dialer, DialerConfig
from ringcast.dialer.process import ProcessState
from ringcast.dialer.store import DialerStore
from ringcast.settings import Settings
from ringcast.trunks.limits_repository import SharedTrunkLimits
from ringcast.webhooks.worker import DeliveryConfig, DeliveryRunner

log = logging.getLogger("ringcast.dialer")


def delivery_config(settings: Settings) -> DeliveryConfig:
    """The webhook worker's settings (RINGCAST_WEBHOOK_*)."""
    return DeliveryConfig(
        backoff_s=tuple(settings.webhook_backoff_s),
        jitter=settings.webhook_jitter,
        max_attempts=settings.webhook_max_attempts,
        timeout_s=settings.webhook_timeout_s,
        poll_s=settings.webhook_poll_s,
        retention_days=settings.webhook_retention_days,
        allow_private_networks=settings.webhook_allow_private_networks,
        secrets=settings.secret_box(),
    )


class DialerRunner:
    """One dialer loop in a task of the current event loop."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        launcher: CallLauncher,
        config: DialerConfig | None = None,
        webhooks: DeliveryConfig | None = None,
    ) -> None:
        config = config or DialerConfig()
        # PostgreSQL: trunk limits shared by every dialer process on the database
        shared = sessions.kw["bind"].dialect.name == "postgresql"
        limits = SharedTrunkLimits(sessions, config.owner) if shared else None
        self.dialer = Dialer(DialerStore(sessions), launcher, SystemClock(), config, limits)
        self.webhooks = DeliveryRunner(sessions, webhooks)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        log.info("dialer %s starting", self.dialer.config.owner)
        # What exists at start (modules, the app, settings, the AMD model's code) is
        # never garbage: frozen, full collections need not walk it again while calls
        # run (issue 21: gen-2 pauses of 130-190 ms on the media loop under load,
        # while collecting almost nothing).
        gc.freeze()
        self._task = asyncio.create_task(self.dialer.run_forever(self._stop))
        self.webhooks.start()

    async def stop(self, grace_s: float = 30.0) -> None:
        self._stop.set()
        try:
            await self._stop_dialer(grace_s)
        finally:
            # after the calls: their call.completed events are in the outbox,
            # sent by whichever dialer process runs next
            await self.webhooks.stop()
            d = self.dialer
            if d.limits is not None:
                log.info("shared trunk limits: %d calls took a later slot, %d grants refused",
                         d.late_starts, d.grants_refused)  # fmt: skip

    async def _stop_dialer(self, grace_s: float) -> None:
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, grace_s)
            except TimeoutError:
                log.warning("calls still running after %.0f s; their leases will expire", grace_s)
                self._task.cancel()

    async def wait(self) -> None:
        if self._task is not None:
            await self._task


class DialerHooks:
    """`create_app` start-up/shutdown hooks that run a dialer in the API process."""

    def __init__(
        self,
        launcher_factory: Callable[[ProcessState], CallLauncher],
        config: DialerConfig | None = None,
    ) -> None:
        self.launcher_factory = launcher_factory
        self.config = config
        self.runner: DialerRunner | None = None

    def start(self, state: ProcessState) -> None:
        self.runner = DialerRunner(
            state.sessions,
            self.launcher_factory(state),
            self.config,
            delivery_config(state.settings),
        )
        self.runner.start()

    async def stop(self, _state: Any) -> None:
        if self.runner is not None:
            await self.runner.stop()
            close = getattr(self.runner.dialer.launcher, "close", None)
            if close is not None:  # e.g. the SIP launcher's user agents and media clock
                await close()
