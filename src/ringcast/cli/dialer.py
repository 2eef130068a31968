"""`ringcast dialer`: the dialer loop alone, against RINGCAST_DATABASE_URL.

Run as many as you like on PostgreSQL (they share work through leases and
FOR UPDATE SKIP LOCKED); on SQLite run one (or use `ringcast serve`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ringcast.cli import banner
from ringcast.dialer.launcher import CallLauncher
from ringcast.dialer.process import ProcessState
from ringcast.dialer.supervisor import READY_LINE, SUPERVISOR_KEY
from ringcast.kit import event_loop
from ringcast.kit.fds import prepare_fds
from ringcast.telephony.media import priority as media_priority
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.sip.errors import SipConfigError

# Each call allocates thousands of short-lived objects: with the default 700 the young
# passes ran ~70 times a second at 300 CPS and promoted every call in flight to the old
# generation, whose full passes (each walks all of them) stand the loop still. 10,000
# lets most of a call's objects die young: 9,000 calls at 300 CPS spent 7.4 -> 4.4 s in
# the collector, full passes 27 -> 2 (bench/dialer_cps.py, loaded box; issue 19).
# 50,000 (and a middle pass every 20 young ones) again: a young pass scans what is still
# alive of what was allocated since the last one, so five times rarer is far less than
# five times the work, and fewer calls in flight are promoted to the middle generation,
# whose passes (each walks them all) were the longest: 6,000 calls at 300 CPS, 2 media
# workers, two runs each (load 4.6-7.6), collector CPU 1.33 / 1.29 -> 0.72 / 0.69 s,
# passes 82+7 -> 13+0, the longest 0.64 / 0.23 -> 0.38 / 0.12 s of wall time.
GC_THRESHOLDS = (50_000, 20, 10)


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


def publish_metrics(launcher: CallLauncher, data_dir: Path) -> asyncio.Task[None] | None:
    """Hand the media clocks' figures (the dialer's, its media workers') to the API's
    /metrics (see dialer/metrics.py)."""
    clock = getattr(launcher, "clock", None)
    if not isinstance(clock, MediaClock):
        return None  # scripted callees: no media clock
    from ringcast.dialer.metrics import FILE_NAME, registry_for, write_forever

    trunks = launcher if hasattr(launcher, "trunk_metrics") else None
    guard = getattr(launcher, "guard", None)
    workers = getattr(launcher, "workers", None)  # the media workers' clocks, if any
    registry = registry_for(clock, trunks, guard, workers)  # type: ignore[arg-type]
    return asyncio.create_task(write_forever(registry, data_dir / FILE_NAME))


def dialer(
    simulate: Annotated[
        bool, typer.Option(help="Scripted callees instead of SIP calls (demos, load tests)")
    ] = False,
    tick_ms: Annotated[
        int | None,
        typer.Option(help="Loop period in milliseconds [default: RINGCAST_DIALER_TICK_MS]"),
    ] = None,
    lease_s: Annotated[
        float | None,
        typer.Option(
            help="Lease length; renewed while a call runs [default: RINGCAST_DIALER_LEASE_S]"
        ),
    ] = None,
    supervised: Annotated[
        bool, typer.Option(hidden=True, help="Run as `ringcast serve`'s child")
    ] = False,
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
    banner.quiet_libraries(settings.log_level)
    # before any thread starts: the descriptor table grown once (kit/fds.py), the
    # priority inherited by the threads; the media workers read it too
    prepare_fds(settings.dialer_max_calls * 3 + 256)
    os.environ["RINGCAST_MEDIA_PRIORITY"] = settings.media_priority
    os.environ["RINGCAST_EVENT_LOOP"] = settings.event_loop  # the media workers' too
    media_priority.apply(settings.media_priority, carries_clock=settings.media_workers == 0)

    async def main() -> None:
        settings.ensure_data_dir()
        url = settings.resolved_database_url()
        await upgrade_async(url)
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        state = WorkerState(settings, sessions, LocalStorage(settings.data_dir / "files"))
        lease = lease_s or settings.dialer_lease_s
        config = DialerConfig(
            tick_s=(tick_ms or settings.dialer_tick_ms) / 1000,
            lease_s=lease,
            renew_every_s=max(1.0, lease / 4),
        )
        launcher = build_launcher(state, simulate)
        try:
            await start_launcher(launcher)
        except (SipConfigError, OSError) as exc:  # a bad TLS certificate, a port taken
            await engine.dispose()
            typer.echo(f"error: cannot open the SIP address: {exc}", err=True)
            raise typer.Exit(2) from exc
        metrics = publish_metrics(launcher, settings.data_dir)
        # what start-up made (modules, mappers, the trunks' agents) lives for good: keep
        # it out of the collector's full passes, which walk every tracked object while
        # the loop (SIP, RTP, pacing) stands still (as `ringcast serve` does, api/app.py)
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        runner = DialerRunner(sessions, launcher, config, delivery_config(settings))
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner.start()
        logging.getLogger("ringcast.dialer").info(
            "dialer event loop: %s", type(loop).__module__.split(".")[0]
        )
        if supervised:
            await _stop_when_parent_goes(stop)
            typer.echo(READY_LINE)  # the supervisor's cue: this child is running
        typer.echo(f"dialer {runner.dialer.config.owner} running (Ctrl-C to stop)")
        await stop.wait()
        if metrics is not None:
            metrics.cancel()
        await runner.stop()
        close = getattr(launcher, "close", None)
        if close is not None:
            await close()
        await engine.dispose()

    # the media clock on this loop unless media workers carry it (kit/event_loop.py)
    event_loop.run(main(), settings.event_loop, carries_media=settings.media_workers == 0)


async def _stop_when_parent_goes(stop: asyncio.Event) -> None:
    """`ringcast serve` holds our stdin open: end of file means it died (kill -9)
    without stopping us, so we stop as we would on SIGTERM."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def watch() -> None:
        while await reader.read(4096):
            pass
        logging.getLogger("ringcast.dialer").warning("parent process gone: stopping")
        stop.set()

    _watchers.add(task := asyncio.create_task(watch()))
    task.add_done_callback(_watchers.discard)


_watchers: set[asyncio.Task[None]] = set()


def serve_hooks(enabled: bool) -> tuple[list[Any], list[Any]]:
    """`create_app` hooks for `ringcast serve`: the dialer in a supervised child
    process (dialer/supervisor.py), its state in `state.extras["dialer"]` for
    /health, /metrics and the dashboard. Empty with --no-dialer."""
    if not enabled:
        return [], []
    from ringcast.dialer.supervisor import DialerSupervisor, dialer_command

    supervisor = DialerSupervisor(dialer_command())

    def start(state: Any) -> None:
        state.extras[SUPERVISOR_KEY] = supervisor
        supervisor.start()

    async def stop(_state: Any) -> None:
        await supervisor.stop()

    return [start], [stop]
