"""The dialer process's media metrics, handed to the API's `/metrics` through a file.

The media clock lives in the dialer process (a supervised child of `ringcast
serve`, or `ringcast dialer` alone); `/metrics` is served by the API process.
The dialer renders its own registry every `WRITE_EVERY_S` into
`<data_dir>/dialer-metrics.prom` (written to a temporary name, then renamed:
a reader never sees half a file), and the API appends that file to its own
exposition while it is fresh (`FRESH_S`); a stale file (the dialer is gone)
is left out rather than reported as live figures. Rendering reads counters
the clock already keeps: nothing is added to the 20 ms tick.

With several dialer processes on one data directory the file holds the last
writer's figures; each process's clock is its own, so read them per host.
With media workers (RINGCAST_MEDIA_WORKERS) the calls' clocks tick in the workers:
`ringcast_media_clock_*` is then their sum (and the dialer's own, idle, clock), as
each worker reported it in the last second, dead workers' last figures included;
`ringcast_media_worker_*` shows each worker by pid and the restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from ringcast.dialer.launcher import CallResult
from ringcast.telephony.amd.silero_pool import POOL as SILERO_POOL
from ringcast.telephony.amd.silero_pool import SileroPool
from ringcast.telephony.media import priority as media_priority
from ringcast.telephony.media.clock import LATE_BUCKETS_MS, MediaClock
from ringcast.telephony.media.workers import MediaWorkers, add_stats
from ringcast.telephony.overload import OverloadGuard

log = logging.getLogger("ringcast.dialer")

FILE_NAME: Final = "dialer-metrics.prom"
WRITE_EVERY_S: Final = 5.0
FRESH_S: Final = 30.0


class MediaClockCollector(Collector):
    """`ringcast_media_clock_late_seconds` and friends, read from a clock's stats (and
    the media workers', added up)."""

    def __init__(self, clock: MediaClock, workers: MediaWorkers | None = None) -> None:
        self.clock = clock
        self.workers = workers

    def collect(self) -> Iterator[HistogramMetricFamily | CounterMetricFamily | GaugeMetricFamily]:
        stats = self.clock.stats
        workers = self.workers
        if workers is not None:
            stats = workers.clock_stats()
            add_stats(stats, self.clock.stats)
        buckets: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip(LATE_BUCKETS_MS, stats.late_buckets, strict=False):
            running += count
            buckets.append((repr(bound / 1000), running))
        buckets.append(("+Inf", running + stats.late_buckets[-1]))
        late = HistogramMetricFamily(
            "ringcast_media_clock_late_seconds",
            "How late each 20 ms media tick fired (every live call's frame waits on it)",
        )
        late.add_metric([], buckets, stats.late_sum_ms / 1000)
        yield late
        skipped = CounterMetricFamily(
            "ringcast_media_clock_skipped_ticks",
            "Media ticks skipped because the event loop was blocked for a whole period or more",
        )
        skipped.add_metric([], stats.skipped_ticks)
        yield skipped
        streams = GaugeMetricFamily(
            "ringcast_media_streams", "RTP streams the media clock is sending right now"
        )
        streams.add_metric([], self.clock.clients + (workers.streams if workers else 0))
        yield streams
        if workers is not None:
            yield from _worker_metrics(workers)


def _worker_metrics(workers: MediaWorkers) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    alive = GaugeMetricFamily(
        "ringcast_media_workers", "Media worker processes running (RINGCAST_MEDIA_WORKERS)"
    )
    alive.add_metric([], workers.alive)
    yield alive
    restarts = CounterMetricFamily(
        "ringcast_media_worker_restarts", "Media workers started in place of one that died"
    )
    restarts.add_metric([], workers.restarts)
    yield restarts
    streams = GaugeMetricFamily(
        "ringcast_media_worker_streams", "RTP streams each media worker carries", labels=["pid"]
    )
    ticks = CounterMetricFamily(
        "ringcast_media_worker_ticks", "Media clock ticks of each media worker", labels=["pid"]
    )
    for worker in workers.workers:
        if worker.alive:
            streams.add_metric([str(worker.proc.pid)], len(worker.streams))
            ticks.add_metric([str(worker.proc.pid)], worker.clock.ticks)
    yield streams
    yield ticks


class TrunkCollector(Collector):
    """Each trunk's status as this dialer process sees it, and its inbound calls.

    `source` is the SIP launcher (anything with `trunk_metrics()`)."""

    STATUSES = ("up", "down", "unregistered")

    def __init__(self, source: TrunkMetricsSource) -> None:
        self.source = source

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        statuses, active, refused = self.source.trunk_metrics()
        status = GaugeMetricFamily(
            "ringcast_trunk_status",
            "1 for the trunk's current status (up, down, unregistered) as the dialer sees it",
            labels=["trunk", "status"],
        )
        for trunk, current in statuses.items():
            for name in self.STATUSES:
                status.add_metric([trunk, name], 1.0 if current == name else 0.0)
        yield status
        inbound = GaugeMetricFamily(
            "ringcast_inbound_calls", "Inbound calls in progress per trunk", labels=["trunk"]
        )
        for trunk, n in active.items():
            inbound.add_metric([trunk], n)
        yield inbound
        refused_total = CounterMetricFamily(
            "ringcast_inbound_refused",
            "Inbound calls refused, by SIP status (404 no DID or flow, 486 over the cap)",
            labels=["status"],
        )
        for code, n in refused.items():
            refused_total.add_metric([str(code)], n)
        yield refused_total


MEDIA_REASONS: Final = ("no_media", "media_timeout", "session_expired")


class CallTally:
    """The calls this dialer process finished, by direction and outcome; apart, those
    that ended for want of media or of a session refresh (`MEDIA_REASONS`)."""

    def __init__(self) -> None:
        self.outcomes: dict[tuple[str, str], int] = {}
        self.media: dict[tuple[str, str], int] = {}

    def add(self, direction: str, result: CallResult) -> None:
        key = (direction, result.outcome)
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        if result.outcome_reason in MEDIA_REASONS:
            media = (direction, result.outcome_reason)
            self.media[media] = self.media.get(media, 0) + 1


class CallCollector(Collector):
    """`ringcast_calls` (direction, outcome) and `ringcast_calls_without_media`."""

    def __init__(self, tally: CallTally) -> None:
        self.tally = tally

    def collect(self) -> Iterator[CounterMetricFamily]:
        calls = CounterMetricFamily(
            "ringcast_calls",
            "Calls finished by this dialer process, by direction (outbound, inbound) and outcome",
            labels=["direction", "outcome"],
        )
        for (direction, outcome), n in sorted(self.tally.outcomes.items()):
            calls.add_metric([direction, outcome], n)
        yield calls
        media = CounterMetricFamily(
            "ringcast_calls_without_media",
            "Answered calls failed for their media: no_media (not one RTP packet), "
            "media_timeout, session_expired (no session refresh, RFC 4028)",
            labels=["direction", "reason"],
        )
        for (direction, reason), n in sorted(self.tally.media.items()):
            media.add_metric([direction, reason], n)
        yield media


class OverloadCollector(Collector):
    """Overload control's state (telephony/overload.py): calls carried against the cap,
    whether the process is full and why, the media clock's recent lateness, 503s."""

    REASONS = ("max_calls", "media_clock_late")

    def __init__(self, guard: OverloadGuard) -> None:
        self.guard = guard

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        guard = self.guard
        calls = GaugeMetricFamily(
            "ringcast_dialer_calls", "Calls this dialer process carries (inbound and outbound)"
        )
        calls.add_metric([], guard.active)
        yield calls
        cap = GaugeMetricFamily(
            "ringcast_dialer_max_calls",
            "The process's call cap (RINGCAST_DIALER_MAX_CALLS; 0: none)",
        )
        cap.add_metric([], guard.config.max_calls or 0)
        yield cap
        reason = guard.reason()
        full = GaugeMetricFamily(
            "ringcast_dialer_overloaded",
            "1 while the process is full (no new call starts; inbound INVITEs get 503), by reason",
            labels=["reason"],
        )
        for name in self.REASONS:
            full.add_metric([name], 1.0 if reason == name else 0.0)
        yield full
        late = GaugeMetricFamily(
            "ringcast_media_clock_recent_late_seconds",
            "The media clock's lateness averaged over about the last second",
        )
        late.add_metric([], guard.late_ms() / 1000)
        yield late
        refused = CounterMetricFamily(
            "ringcast_overload_refused", "Inbound INVITEs answered 503 because the process was full"
        )
        refused.add_metric([], guard.refused)
        yield refused


def overload_state(exposition: bytes) -> dict[str, object] | None:
    """The overload figures of a dialer exposition (`read_fresh`), for /health: calls,
    maxCalls and overloaded (the reason, or None); None without them."""
    values: dict[str, float] = {}
    reason: str | None = None
    for line in exposition.decode(errors="replace").splitlines():
        name, _, value = line.partition(" ")
        if name in ("ringcast_dialer_calls", "ringcast_dialer_max_calls"):
            values[name] = float(value)
        elif name.startswith("ringcast_dialer_overloaded{") and float(value or 0) == 1.0:
            reason = name.split('"')[1]
    if "ringcast_dialer_calls" not in values:
        return None
    return {
        "calls": int(values["ringcast_dialer_calls"]),
        "maxCalls": int(values.get("ringcast_dialer_max_calls", 0)) or None,
        "overloaded": reason,
    }


class TrunkMetricsSource(Protocol):
    calls: CallTally

    def trunk_metrics(
        self,
    ) -> tuple[dict[str, str | None], dict[str, int], dict[int, int]]: ...


class AmdPoolCollector(Collector):
    """The AMD's Silero VAD models (telephony/amd/silero_pool.py): how many exist,
    how many are idle, and how many were built on the event loop (none ready)."""

    def __init__(self, pool: SileroPool) -> None:
        self.pool = pool

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        models = GaugeMetricFamily(
            "ringcast_amd_vad_models", "Silero VAD models in this process", labels=["state"]
        )
        idle = self.pool.idle
        models.add_metric(["idle"], idle)
        models.add_metric(["in_use"], max(0, self.pool.total - idle))
        yield models
        yield CounterMetricFamily(
            "ringcast_amd_vad_models_built_inline",
            "Silero VAD models built on the dialer's event loop because none was ready",
            value=self.pool.built_inline,
        )


class MediaPriorityCollector(Collector):
    """The CPU priority this dialer process asked for and got (telephony/media/priority.py)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        applied = media_priority.APPLIED
        family = GaugeMetricFamily(
            "ringcast_media_priority",
            "1 for the CPU priority the dialer process runs at (wanted: RINGCAST_MEDIA_PRIORITY)",
            labels=["wanted", "got"],
        )
        family.add_metric([applied.wanted, applied.got], 1)
        yield family


def registry_for(
    clock: MediaClock,
    trunks: TrunkMetricsSource | None = None,
    guard: OverloadGuard | None = None,
    workers: MediaWorkers | None = None,
) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MediaClockCollector(clock, workers))
    if trunks is not None:
        registry.register(TrunkCollector(trunks))
        registry.register(CallCollector(trunks.calls))
    if guard is not None:
        registry.register(OverloadCollector(guard))
    registry.register(AmdPoolCollector(SILERO_POOL))
    registry.register(MediaPriorityCollector())
    return registry


def write_once(registry: CollectorRegistry, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(generate_latest(registry))
    tmp.replace(path)


async def write_forever(registry: CollectorRegistry, path: Path) -> None:
    """Render `registry` into `path` every WRITE_EVERY_S until cancelled."""
    while True:
        try:
            await asyncio.to_thread(write_once, registry, path)
        except OSError as exc:  # a full disk must not stop the dialer
            log.warning("dialer metrics not written to %s: %s", path, exc)
        await asyncio.sleep(WRITE_EVERY_S)


def read_fresh(path: Path, now: float | None = None) -> bytes:
    """The dialer's exposition if it was written in the last FRESH_S, else nothing."""
    with contextlib.suppress(OSError):
        if (now or time.time()) - path.stat().st_mtime <= FRESH_S:
            return path.read_bytes()
    return b""
