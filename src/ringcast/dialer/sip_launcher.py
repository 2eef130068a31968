"""The production `CallLauncher`: the flow runner on a real SIP call.

One `UserAgent` per trunk (started on first use, kept for the process), one
shared `MediaClock` for every call's RTP (the telephony engine's design), a
`ClipLibrary` preloaded once per execution with the audio and dictionaries
its pinned flow references, and recordings stored through the storage seam.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ringcast.audiofiles.library import ClipLibrary
from ringcast.calls.recordings import StoredRecordingSink
from ringcast.dialer.launcher import CallPlan, CallResult, TrunkInfo
from ringcast.dialer.process import ProcessState
from ringcast.flow.runner import FlowRunner
from ringcast.flow.timebase import RealTimebase
from ringcast.flow.validation import validate_graph
from ringcast.kit.secret_box import SecretBox, SecretBoxError, open_with
from ringcast.storage.base import Storage
from ringcast.telephony.amd.detector import AmdDetector
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.sip import TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import SipChannel, rtp_media
from ringcast.telephony.sip.channel_hooks import AmdFactory

log = logging.getLogger("ringcast.dialer")


class NoTrunkError(Exception):
    """A call with no trunk: none on its DID, no default trunk, none in settings."""


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
    ) -> None:
        """`secrets` opens the trunks' sealed passwords (Settings.secret_box)."""
        self.sessions = sessions
        self.secrets = secrets
        self.storage = storage
        self.library = ClipLibrary(storage)
        self.fallback_trunk = fallback_trunk
        self.amd_factory = amd_factory
        self.local_host = local_host
        self.clock = MediaClock()
        self._agents: dict[str, UserAgent] = {}
        self._agent_lock = asyncio.Lock()
        self._preloaded: set[str] = set()

    @classmethod
    def from_state(cls, state: ProcessState) -> SipLauncher:
        """The launcher `ringcast serve` and `ringcast dialer` use: AMD on."""
        host = state.settings.sip_local_host
        return cls(
            state.sessions,
            state.storage,
            amd_factory=AmdDetector,
            local_host=host,
            secrets=state.settings.secret_box(),
        )

    async def launch(self, plan: CallPlan) -> CallResult:
        try:
            ua = await self._agent(plan.trunk)
        except NoTrunkError as exc:
            return CallResult("failed", f"no_trunk: {exc}")
        except SecretBoxError as exc:
            log.error("trunk %s: %s", plan.trunk.id if plan.trunk else "-", exc)
            return CallResult("failed", f"trunk_password: {exc}")
        await self._preload(plan)
        channel = SipChannel(
            ua, rtp_media(self.clock, self.local_host), amd_factory=self.amd_factory
        )
        ctx = plan.run_context()
        runner = FlowRunner(
            self.library.resolve, StoredRecordingSink(self.storage, self.sessions, plan.job_id)
        )
        trace = await runner.run(plan.flow, ctx, channel, RealTimebase())
        return CallResult.from_trace(trace)

    async def close(self) -> None:
        for ua in self._agents.values():
            ua.close()
        self._agents.clear()
        self.clock.close()

    async def _agent(self, trunk: TrunkInfo | None) -> UserAgent:
        key = trunk.id if trunk is not None else "fallback"
        async with self._agent_lock:
            ua = self._agents.get(key)
            if ua is None:
                ua = await UserAgent.start(self._config(trunk))
                self._agents[key] = ua
            return ua

    def _config(self, trunk: TrunkInfo | None) -> TrunkConfig:
        if trunk is None:
            if self.fallback_trunk is None:
                raise NoTrunkError("configure a trunk (POST /api/trunks)")
            return self.fallback_trunk
        transport: Literal["udp", "tcp"] = "tcp" if trunk.transport == "tcp" else "udp"
        return TrunkConfig(
            host=trunk.host,
            port=trunk.port,
            transport=transport,
            username=trunk.username,
            password=None if trunk.password is None else open_with(self.secrets, trunk.password),
            from_domain=trunk.from_domain,
            local_host=self.local_host,
            codecs=tuple(c for c in trunk.codecs if c in ("PCMU", "PCMA")) or ("PCMU", "PCMA"),
            register=trunk.register,
        )

    async def _preload(self, plan: CallPlan) -> None:
        if plan.execution_id in self._preloaded:
            return
        refs = validate_graph(dict(plan.flow_graph))
        async with self.sessions() as session:
            await self.library.preload(
                session, plan.organization_id, refs.audio_refs, refs.dictionary_refs
            )
        self._preloaded.add(plan.execution_id)
