"""`ringcast dialer`: the dialer loop alone, against RINGCAST_DATABASE_URL.

Run as many as you like on PostgreSQL (they share work through leases and
FOR UPDATE SKIP LOCKED); on SQLite run one (or use `ringcast serve`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated, Any

import typer

from ringcast.dialer.launcher import CallLauncher
from ringcast.dialer.process import ProcessState


def build_launcher(state: ProcessState, simulate: bool) -> CallLauncher:
    """The SIP launcher for real calls, or scripted callees (`--simulate`)."""
    if simulate:
        from ringcast.dialer.simulated_launcher import SimulatedLauncher

        return SimulatedLauncher()
    from ringcast.dialer.sip_launcher import SipLauncher

    launcher: CallLauncher = SipLauncher.from_state(state)
    return launcher


async def start_launcher(launcher: CallLauncher) -> None:
    """What a launcher runs from the process's start (the SIP address, trunk agents)."""
    start = getattr(launcher, "start", None)
    if start is not None:
        await start()


def dialer(
    simulate: Annotated[
        bool, typer.Option(help="Scripted callees instead of SIP calls (demos, load tests)")
    ] = False,
    tick_ms: Annotated[int, typer.Option(help="Loop period in milliseconds")] = 200,
    lease_s: Annotated[float, typer.Option(help="Lease length; renewed while a call runs")] = 60.0,
) -> None:
    """Run the dialer loop in this process until interrupted."""
    from ringcast.db.engine import create_engine, create_sessionmaker
    from ringcast.db.migrate import upgrade_async
    from ringcast.dialer.loop import DialerConfig
    from ringcast.dialer.process import WorkerState
    from ringcast.dialer.service import DialerRunner, delivery_config
    from ringcast.settings import get_settings
    from ringcast.storage.local import LocalStorage

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    async def main() -> None:
        settings.ensure_data_dir()
        url = settings.resolved_database_url()
        await upgrade_async(url)
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        state = WorkerState(settings, sessions, LocalStorage(settings.data_dir / "files"))
        config = DialerConfig(
            tick_s=tick_ms / 1000, lease_s=lease_s, renew_every_s=max(1.0, lease_s / 4)
        )
        launcher = build_launcher(state, simulate)
        await start_launcher(launcher)
        runner = DialerRunner(sessions, launcher, config, delivery_config(settings))
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner.start()
        typer.echo(f"dialer {runner.dialer.config.owner} running (Ctrl-C to stop)")
        await stop.wait()
        await runner.stop()
        close = getattr(launcher, "close", None)
        if close is not None:
            await close()
        await engine.dispose()

    asyncio.run(main())


def serve_hooks(enabled: bool) -> tuple[list[Any], list[Any]]:
    """`create_app` hooks for `ringcast serve --dialer` (empty with --no-dialer)."""
    if not enabled:
        return [], []
    from ringcast.dialer.service import DialerHooks

    def factory(state: ProcessState) -> CallLauncher:
        return build_launcher(state, simulate=False)

    hooks = DialerHooks(factory)

    async def start(state: Any) -> None:
        try:
            hooks.start(state)
            assert hooks.runner is not None
            await start_launcher(hooks.runner.dialer.launcher)
        except Exception:  # the API must come up even if calls cannot be placed
            logging.getLogger("ringcast.dialer").exception("dialer not started")

    return [start], [hooks.stop]
