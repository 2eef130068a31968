"""The production `CallLauncher`: the flow runner on a real SIP call.

One `SipEndpoint` per process: UDP and TCP listeners on the fixed SIP address
(settings `sip_local_host` / `sip_port`, advertised as `sip_advertised_host`
behind NAT) and a TLS one on `sip_tls_port` when a certificate is set, opened by `start()` when the dialer process starts, with one
`UserAgent` per trunk of every organization on it (its registration and OPTIONS
keepalive running from then on, their status written to the trunk's row), re-read
every `sip_trunk_sync_s`. A call through a registering trunk first waits, bounded,
for the registration: a trunk that cannot register fails the call as
`trunk_unregistered`, never with the carrier's raw 403. One shared `MediaClock`
for every call's RTP (the telephony engine's design), AMD's VAD models reserved in
the background as calls start (telephony/amd/silero_pool.py), a `ClipLibrary` preloaded
once per execution with the audio and dictionaries its pinned flow references,
and recordings stored through the storage seam. Overload control
(telephony/overload.py): the process's calls, in and out, are counted against
`dialer_max_calls`, and with the media clock's lateness they decide `room()` (what
the dialer may claim) and the 503 a new INVITE gets while full. With
`media_workers` > 0 (RINGCAST_MEDIA_WORKERS) every call's RTP runs in media worker
processes instead of this loop (telephony/media/workers.py; docs/adr).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ringcast.audiofiles.library import ClipLibrary
from ringcast.calls.recordings import StoredRecordingSink
from ringcast.dialer.inbound import InboundCalls, InboundTrunk
from ringcast.dialer.launcher import CallPlan, CallResult, TrunkInfo
from ringcast.dialer.leg_routes import LegGates, LegRoutes
from ringcast.dialer.media_watch import MediaWatch
from ringcast.dialer.metrics import CallTally
from ringcast.dialer.process import ProcessState
from ringcast.dialer.store import trunk_info
from ringcast.flow.compiled import CompiledFlow
from ringcast.flow.nodes.dial import DialNode
from ringcast.flow.runner import FlowRunner
from ringcast.flow.timebase import RealTimebase
from ringcast.kit.secret_box import SecretBox, SecretBoxError, open_with
from ringcast.storage.base import Storage
from ringcast.telephony.amd.detector import AmdDetector
from ringcast.telephony.amd.silero_pool import POOL as SILERO_POOL
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.workers import MediaWorkers
from ringcast.telephony.overload import OverloadConfig, OverloadGuard
from ringcast.telephony.sip import SipConfigError, TrunkConfig, UserAgent
from ringcast.telephony.sip.call import SipCall
from ringcast.telephony.sip.channel import SipChannel
from ringcast.telephony.sip.channel_hooks import AmdFactory
from ringcast.telephony.sip.endpoint import EndpointConfig, SipEndpoint
from ringcast.telephony.sip.forward import ForwardingSipChannel
from ringcast.telephony.sip.health import TrunkHealth, TrunkStatus
from ringcast.telephony.sip.numbers import NumberFormat
from ringcast.telephony.sip.sdes import SRTP_MODES, SrtpMode
from ringcast.telephony.sip.transport import TlsClient
from ringcast.trunks.repository import TrunkRepository

log = logging.getLogger("ringcast.dialer")
UNREGISTER_WAIT_S = 3.0  # at shutdown, for each trunk's un-REGISTER (with its challenge)


def _uses_amd(flow: CompiledFlow) -> bool:
    return any(isinstance(n, DialNode) and n.config.enableAMD for n in flow.nodes.values())


class NoTrunkError(Exception):
    """A call with no trunk: none on its DID, no default trunk, none in settings."""


@dataclass(slots=True)
class _Line:
    """A trunk's agent on the endpoint and its health."""

    info: TrunkInfo | None
    organization_id: str | None
    config: TrunkConfig
    ua: UserAgent
    health: TrunkHealth


class SipLauncher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        storage: Storage,
        *,
        fallback_trunk: TrunkConfig | None = None,
        amd_factory: AmdFactory | None = None,
        local_host: str = "127.0.0.1",
        secrets: SecretBox | None = None,
        endpoint: EndpointConfig | None = None,
        register_wait_s: float = 5.0,
        trunk_sync_s: float = 10.0,
        media_timeout_s: float | None = 30.0,
        media_hold_timeout_s: float = 600.0,
        overload: OverloadConfig | None = None,
        media_workers: int = 0,
        forward_sip_hosts: str = "",
    ) -> None:
        """`secrets` opens the trunks' sealed passwords (Settings.secret_box);
        `endpoint` is the SIP address (default: `local_host`, a free port)."""
        self.sessions = sessions
        self.secrets = secrets
        self.storage = storage
        self.library = ClipLibrary(storage)
        self.fallback_trunk = fallback_trunk
        self.amd_factory = amd_factory
        self.local_host = local_host
        self.endpoint_config = endpoint or EndpointConfig(host=local_host, port=0)
        self.register_wait_s = register_wait_s
        self.trunk_sync_s = trunk_sync_s
        self.media_timeout_ms = None if media_timeout_s is None else int(media_timeout_s * 1000)
        self.media_hold_timeout_ms = int(media_hold_timeout_s * 1000)
        self.clock = MediaClock()
        self.guard = OverloadGuard(overload, self.clock)
        self.media_workers = media_workers
        self.workers: MediaWorkers | None = None  # started by `start()` when media_workers
        self.endpoint: SipEndpoint | None = None
        self.lines: dict[str, _Line] = {}
        self.uri_agents: dict[str, UserAgent] = {}  # Forward legs to sip: URIs (leg_routes.py)
        self.forward_sip_hosts = forward_sip_hosts  # the admin's hosts for sip: targets
        self.routes = LegRoutes(self)
        self._lock = asyncio.Lock()
        self._preloads: dict[str, asyncio.Task[None]] = {}  # one clip load per execution
        self._sync_task: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[None]] = set()
        self.calls = CallTally()  # finished calls, for /metrics
        self._amd_calls = 0  # outbound calls in flight whose flow runs AMD
        self.inbound = InboundCalls(
            sessions,
            storage,
            self.library,
            self._inbound_channel,
            self._preload,
            self.calls,
            self.guard,
        )

    @classmethod
    def from_state(cls, state: ProcessState) -> SipLauncher:
        """The launcher `ringcast serve` and `ringcast dialer` use: AMD on."""
        s = state.settings
        return cls(
            state.sessions,
            state.storage,
            amd_factory=AmdDetector,
            local_host=s.sip_local_host,
            secrets=s.secret_box(),
            endpoint=EndpointConfig(
                host=s.sip_local_host,
                port=s.sip_port,
                advertised_host=s.sip_advertised_host,
                advertised_port=s.sip_advertised_port,
                unknown_source=s.sip_unknown_source,
                tls=s.sip_tls_server(),
            ),
            register_wait_s=s.sip_register_wait_s,
            trunk_sync_s=s.sip_trunk_sync_s,
            media_timeout_s=s.media_timeout_s,
            media_hold_timeout_s=s.media_hold_timeout_s,
            overload=OverloadConfig(
                max_calls=s.dialer_max_calls or None,
                max_late_ms=s.media_overload_late_ms or None,
                retry_after_s=s.sip_retry_after_s,
            ),
            media_workers=s.media_workers,
            forward_sip_hosts=s.forward_sip_hosts,
        )

    # ---- process lifecycle ---------------------------------------------------------
    async def start(self) -> None:
        """Open the SIP address and start every trunk's agent (the dialer's start)."""
        if self.media_workers > 0 and self.workers is None:
            self.workers = await MediaWorkers.start(self.media_workers)
            self.guard.lateness = self.workers.late_ms
            log.info("media in %d worker processes", self.media_workers)
        await self._open()
        await self.sync_trunks()
        self._sync_task = asyncio.create_task(self._sync_forever())

    async def close(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
            self._sync_task = None
        lines = list(self.lines.values())
        for line in lines:
            line.health.close()
        # every trunk's binding removed before the listeners close: the registrar's
        # challenge to the Expires: 0 must still reach its agent (a stale contact else)
        await asyncio.gather(*(line.ua.unregister(UNREGISTER_WAIT_S) for line in lines))
        for key in list(self.lines):
            self._stop_line(key)
        for key in list(self.uri_agents):
            if self.endpoint is not None:
                self.endpoint.remove(key)
        self.uri_agents.clear()
        await self.inbound.close()
        if self.endpoint is not None:
            self.endpoint.close()
            self.endpoint = None
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        if self.workers is not None:
            await self.workers.close()
            self.workers = None
        self.clock.close()

    async def _open(self) -> SipEndpoint:
        if self.endpoint is None:
            self.endpoint = await SipEndpoint.open(self.endpoint_config, self.guard)
            host, port = self.endpoint.advertised
            log.info("SIP listening on %s:%s (UDP, TCP), advertised as %s:%s",
                     self.endpoint_config.host, self.endpoint.local_port, host, port)  # fmt: skip
            tls_port = self.endpoint.tls_port
            if tls_port is not None:
                log.info("SIP TLS listening on %s:%s", self.endpoint_config.host, tls_port)
            else:
                log.info("SIP TLS: outbound only (no RINGCAST_SIP_TLS_CERT_FILE)")
        return self.endpoint

    async def _sync_forever(self) -> None:
        while True:
            await asyncio.sleep(self.trunk_sync_s)
            try:
                await self.sync_trunks()
            except Exception:  # a database hiccup: try again next time
                log.exception("trunk sync failed")

    async def sync_trunks(self) -> None:
        """Start the agents of new or changed trunks, stop those of deleted ones."""
        async with self.sessions() as session:
            rows = await TrunkRepository(session).everything()
        infos = {t.id: (trunk_info(t), t.organization_id) for t in rows}
        async with self._lock:
            for key in [k for k in self.lines if k != "fallback" and k not in infos]:
                self._stop_line(key)
            for info, organization_id in infos.values():
                try:
                    await self._line_for(info, organization_id)
                except (SecretBoxError, OSError) as exc:
                    log.error("trunk %s: %s", info.id, exc)
                except SipConfigError as exc:  # e.g. a transport this stack does not have
                    log.error("trunk %s: %s", info.id, exc)
                    self._status_changed(info.id, "down", f"trunk_config: {exc}"[:200])

    # ---- calls ---------------------------------------------------------------------
    def set_leg_gates(self, gates: LegGates) -> None:
        """The dialer's trunk gates for Forward legs (`LegGates`, dialer/leg_routes.py)."""
        self.routes.gates = gates

    def room(self) -> int | None:
        """How many more calls this process may start now (overload control: 0 while
        full; None: no cap). The dialer claims no more than this."""
        return self.guard.room()

    async def launch(self, plan: CallPlan) -> CallResult:
        self.guard.enter()
        amd = self.amd_factory is not None and _uses_amd(plan.flow)
        if amd:
            # its VAD model built in a background thread before the INVITE, never
            # on this loop at the 200 OK (telephony/amd/silero_pool.py)
            self._amd_calls += 1
        try:
            if amd:
                await asyncio.wrap_future(SILERO_POOL.reserve(self._amd_calls))
            result = await self._launch(plan)
        finally:
            self.guard.leave()
            if amd:
                self._amd_calls -= 1
        self.calls.add("outbound", result)
        return result

    async def _launch(self, plan: CallPlan) -> CallResult:
        try:
            async with self._lock:
                line = await self._line(plan.trunk, plan.organization_id)
        except NoTrunkError as exc:
            return CallResult("failed", f"no_trunk: {exc}")
        except SecretBoxError as exc:
            log.error("trunk %s: %s", plan.trunk.id if plan.trunk else "-", exc)
            return CallResult("failed", f"trunk_password: {exc}")
        except SipConfigError as exc:  # e.g. a transport this stack does not have
            log.error("trunk %s: %s", plan.trunk.id if plan.trunk else "-", exc)
            return CallResult("failed", f"trunk_config: {exc}")
        if not await line.health.ready(self.register_wait_s):
            reason = line.health.last_error or "registration pending"
            return CallResult("failed", f"trunk_unregistered: {reason}"[:200])
        await self._preload(plan.execution_id, plan.organization_id, plan.flow)
        watch = self._media_watch(line)
        failover = _Failover(self, plan, line)
        channel = ForwardingSipChannel(
            line.ua,
            watch.opener,
            amd_factory=self.amd_factory,
            media_timeout_ms=self.media_timeout_ms,
            trunk=plan.trunk.id if plan.trunk else "fallback",
            router=self.routes.router(
                plan.organization_id, line, plan.failover, plan.leg_gate, failover.now
            ),
            failover=failover.next_agent if plan.failover else None,
            before_invite=failover.pace if plan.pace is not None else None,
        )
        ctx = plan.run_context()
        runner = FlowRunner(
            self.library.resolve,
            StoredRecordingSink(self.storage, self.sessions, plan.job_id),
            on_node=plan.on_node,
        )
        trace = await runner.run(plan.flow, ctx, channel, RealTimebase())
        await watch.settle()
        result = watch.verdict(CallResult.from_trace(trace))
        result.trunk_id, result.trunks_tried = failover.carrier, failover.tried
        return result

    def trunk_down(self, trunk_id: str) -> bool:
        """Whether the trunk's OPTIONS keepalive (or registration) finds it down."""
        line = self.lines.get(trunk_id)
        return line is not None and line.health.status == "down"

    def _media_watch(self, line: _Line) -> MediaWatch:
        """The call's media as its trunk wants it (see dialer/media_watch.py)."""
        info = line.info
        strict = None
        if info is not None and info.strict_media_source:
            strict = line.ua.config.allowed_peers | {line.ua.config.host}
        return MediaWatch(
            self.clock,
            self.local_host,
            self.endpoint_config.advertised_host,
            latching=info.symmetric_rtp if info is not None else True,
            strict_hosts=strict,
            hold_timeout_ms=self.media_hold_timeout_ms,
            workers=self.workers,
        )

    def _inbound_channel(self, ua: UserAgent, call: SipCall) -> tuple[SipChannel, MediaWatch]:
        line = next((ln for ln in self.lines.values() if ln.ua is ua), None)
        watch = (
            self._media_watch(line)
            if line is not None
            else MediaWatch(self.clock, self.local_host, workers=self.workers)
        )
        channel = ForwardingSipChannel.inbound(
            ua,
            call,
            watch.opener,
            media_timeout_ms=self.media_timeout_ms,
            trunk=line.info.id if line is not None and line.info is not None else None,
            # its forwards take the trunk's channels and pacing as outbound calls do
            router=self.routes.router(line.organization_id, line) if line is not None else None,
        )
        return channel, watch

    async def _line(self, trunk: TrunkInfo | None, organization_id: str | None) -> _Line:
        if trunk is not None:
            return await self._line_for(trunk, organization_id)
        if self.fallback_trunk is None:
            raise NoTrunkError("configure a trunk (POST /api/trunks)")
        line = self.lines.get("fallback")
        if line is None:
            line = await self._start_line("fallback", None, None, self.fallback_trunk)
        return line

    async def _line_for(self, info: TrunkInfo, organization_id: str | None) -> _Line:
        """The trunk's running line; (re)started when its settings changed."""
        line = self.lines.get(info.id)
        if line is not None and line.info == info:
            return line
        config = self._config(info)  # before any socket: a bad password fails here
        if line is not None and line.config == config and line.info is not None:
            line.info = info  # e.g. channels or cps changed: nothing SIP to redo
            if line.health.options_interval_s == info.options_interval_s:
                return line
        return await self._start_line(info.id, info, organization_id, config)

    async def _start_line(
        self,
        key: str,
        info: TrunkInfo | None,
        organization_id: str | None,
        config: TrunkConfig,
    ) -> _Line:
        self._stop_line(key)
        endpoint = await self._open()
        ua = await endpoint.add(key, config)
        if info is not None and organization_id is not None:
            trunk = InboundTrunk(info.id, organization_id, info.max_inbound_calls, info.tech_prefix)
            ua.on_invite = partial(self.inbound.accept, trunk, ua)
        interval = info.options_interval_s if info is not None else 0
        health = TrunkHealth(ua, interval, partial(self._status_changed, key))
        health.start()
        line = _Line(info, organization_id, config, ua, health)
        self.lines[key] = line
        return line

    def _stop_line(self, key: str) -> None:
        line = self.lines.pop(key, None)
        if line is not None:
            line.health.close()
            line.ua.hangup_all()
            if self.endpoint is not None:
                self.endpoint.remove(key)
        # the sip: URI agents made with this trunk's settings (leg_routes.py) go with it
        for uri_key in [k for k in self.uri_agents if k.rsplit(":", 1)[1] == key]:
            self.uri_agents.pop(uri_key).hangup_all()
            if self.endpoint is not None:
                self.endpoint.remove(uri_key)

    def trunk_metrics(self) -> tuple[dict[str, str | None], dict[str, int], dict[int, int]]:
        """For /metrics (dialer/metrics.py): status per trunk, inbound calls, refusals."""
        statuses: dict[str, str | None] = {
            k: ln.health.status for k, ln in self.lines.items() if k != "fallback"
        }
        refused = dict(self.inbound.refused)
        if self.guard.refused:
            refused[503] = self.guard.refused
        return statuses, dict(self.inbound.active), refused

    def _status_changed(self, key: str, status: TrunkStatus, error: str | None) -> None:
        if key == "fallback":
            return

        async def write() -> None:
            try:
                async with self.sessions.begin() as session:
                    await TrunkRepository(session).set_status(key, status, error, datetime.now(UTC))
            except Exception:
                log.exception("trunk %s: status not stored", key)

        task = asyncio.get_running_loop().create_task(write())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    def _config(self, trunk: TrunkInfo | None) -> TrunkConfig:
        if trunk is None:
            if self.fallback_trunk is None:
                raise NoTrunkError("configure a trunk (POST /api/trunks)")
            return self.fallback_trunk
        return TrunkConfig(
            host=trunk.host,
            port=trunk.port,
            transport=trunk.transport,  # an unknown one raises SipConfigError
            tls=self._tls(trunk) if trunk.transport == "tls" else None,
            username=trunk.username,
            password=None if trunk.password is None else open_with(self.secrets, trunk.password),
            from_domain=trunk.from_domain,
            local_host=self.local_host,
            codecs=tuple(c for c in trunk.codecs if c in ("PCMU", "PCMA")) or ("PCMU", "PCMA"),
            register=trunk.register,
            register_expires_s=trunk.register_expires_s,
            number_format=_number_format(trunk.number_format),
            tech_prefix=trunk.tech_prefix or "",
            asserted_identity=trunk.asserted_identity,
            privacy=trunk.privacy,
            from_user=trunk.from_user,
            offer_100rel=trunk.offer_100rel,
            max_redirects=trunk.max_redirects,
            max_retry_after_s=trunk.max_retry_after_s,
            inbound_digest=trunk.inbound_digest,
            srtp=_srtp_mode(trunk.srtp),  # with a transport it cannot use: SipConfigError
            srtp_over_insecure_signaling=trunk.srtp_over_insecure_signaling,
        )

    def _tls(self, trunk: TrunkInfo) -> TlsClient:
        key = trunk.tls_client_key
        return TlsClient(
            ca_pem=trunk.tls_ca_bundle,
            server_name=trunk.tls_server_name or trunk.host,
            cert_pem=trunk.tls_client_cert,
            key_pem=None if key is None else open_with(self.secrets, key),
        )

    async def _preload(self, execution_id: str, organization_id: str, flow: CompiledFlow) -> None:
        """The execution's clips, loaded once: the calls that start while the first
        load runs wait for that same load (one database session, not one per call: at
        300 CPS a launch's first second opened hundreds, each waiting for SQLite's
        write lock); a load that failed is tried again by the next call."""
        task = self._preloads.get(execution_id)
        if task is None:
            task = asyncio.create_task(self._load_clips(organization_id, flow))
            self._preloads[execution_id] = task
            task.add_done_callback(partial(self._preload_done, execution_id))
        await asyncio.shield(task)

    async def _load_clips(self, organization_id: str, flow: CompiledFlow) -> None:
        async with self.sessions() as session:
            await self.library.preload(
                session, organization_id, flow.audio_ids, flow.dictionary_ids
            )

    def _preload_done(self, execution_id: str, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is not None:
            self._preloads.pop(execution_id, None)


class _Failover:
    """A call's walk down its trunk group (`SipChannel`'s failover hook): the next
    trunk that is not down and ready (registered); the trunks tried, in order, and the
    one carrying it. Each INVITE first waits for its trunk's channel and start slot
    (`CallPlan.pace`, the trunk's limits)."""

    def __init__(self, launcher: SipLauncher, plan: CallPlan, line: _Line) -> None:
        self.launcher = launcher
        self.plan = plan
        self.left = list(plan.failover)
        first = plan.trunk.id if plan.trunk is not None else None
        self.carrier: str | None = first
        self.tried: list[str] = [first] if first else []
        self.line = line  # the trunk's line carrying the call

    def now(self) -> tuple[_Line, tuple[TrunkInfo, ...]]:
        """The line carrying the call and the group's trunks not tried yet."""
        return self.line, tuple(self.left)

    async def next_agent(self, status: int | None, reason: str) -> UserAgent | None:
        launcher = self.launcher
        while self.left:
            info = self.left.pop(0)
            try:
                async with launcher._lock:
                    line = await launcher._line_for(info, self.plan.organization_id)
            except (SecretBoxError, SipConfigError, OSError) as exc:
                log.error("trunk %s: %s", info.id, exc)
                continue
            if line.health.status == "down" or not await line.health.ready(
                launcher.register_wait_s
            ):
                continue
            log.info("call %s: %s %s on trunk %s, next trunk %s",
                     self.plan.call_id, status, reason, self.carrier, info.id)  # fmt: skip
            self.carrier, self.line = info.id, line
            self.tried.append(info.id)
            return line.ua
        return None

    async def pace(self, ua: UserAgent) -> bool:
        if self.plan.pace is None or self.carrier is None:
            return True
        return await self.plan.pace(self.carrier)


def _srtp_mode(value: str) -> SrtpMode:
    for mode in SRTP_MODES:
        if value == mode:
            return mode
    raise SipConfigError(f"unknown srtp mode {value!r}")  # never a silent "off"


def _number_format(value: str) -> NumberFormat:
    return (
        "national" if value == "national" else "e164_no_plus" if value == "e164_no_plus" else "e164"
    )
