"""Where a Forward node's agent leg goes out (the SIP launcher's `LegRouter`s).

A number goes out on the node's `trunkId` when it names one (one of the call's
organization's trunks; else the leg fails `trunk_not_found`), otherwise on the
trunk the call itself went out on (an inbound call: the trunk it came in on),
failing over to the rest of the call's trunk group as the call would have
(`SipChannel`'s failover: 5xx, 408 before ringing, ...). A `sip:` / `sips:`
target is dialled straight to the URI's host (telephony/sip/targets.py: its
port, its `transport=`, TLS for `sips:`, RFC 3263 for a domain) by an agent that
only dials out, if the host is allowed: the host or fromDomain of one of the
organization's trunks, or in the deployment's `forward_sip_hosts`; else the leg
fails `forward_host_not_allowed` and nothing is sent. It takes the settings
(credentials, codecs, TLS trust) of the `trunkId`'s trunk, else of the trunk
whose host it is, else of the call's trunk. Every leg first takes a channel and
a start slot of the trunk it counts against (the dialer's `leg_gates`), numbers
and URIs alike: inbound calls' forwards too. The report's `legs[].trunk` is the
trunk that carried the leg (None for a URI: no trunk carried it).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ringcast.dialer.launcher import TrunkInfo
from ringcast.telephony.channel import ForwardRequest
from ringcast.telephony.sip import UserAgent
from ringcast.telephony.sip.channel import MediaOpener
from ringcast.telephony.sip.forward import LegGate, LegRelease, LegRoute, LegRouter
from ringcast.telephony.sip.targets import (
    NOT_ALLOWED,
    SipTarget,
    forward_hosts,
    host_allowed,
    parse_target,
)
from ringcast.telephony.sip.transport import TlsClient

if TYPE_CHECKING:
    from ringcast.dialer.sip_launcher import SipLauncher, _Line

log = logging.getLogger("ringcast.dialer")

LegGates = Callable[[str, str], LegGate | None]
"""(organization id, trunk id) → the gate of that trunk's channels and pacing (the dialer's)."""
FAILOVER_WAIT_S = 2.0  # a leg failing over waits at most this for the next trunk's channel


class LegRoutes:
    def __init__(self, launcher: SipLauncher) -> None:
        self.launcher = launcher
        self.gates: LegGates | None = None  # set by the dialer (Dialer.__init__)

    def router(
        self,
        organization_id: str | None,
        line: _Line,
        failover: tuple[TrunkInfo, ...] = (),
        gate: LegGate | None = None,
        carrier: Callable[[], tuple[_Line, tuple[TrunkInfo, ...]]] | None = None,
    ) -> LegRouter:
        """The router of one call on `line` (its group's next trunks: `failover`; `gate`:
        the call trunk's, when the caller has it already). `carrier`: the line that
        carries the call now and the group's trunks not tried yet, when the call itself
        may have failed over (the leg then starts where the call went out)."""

        async def route(request: ForwardRequest) -> LegRoute | str:
            now, rest, own_gate = line, failover, gate
            if carrier is not None:
                now, rest = carrier()
                own_gate = gate if now is line else None
            return await self._route(request, organization_id, now, rest, own_gate)

        return route

    def _media(self, line: _Line, host: str | None = None) -> MediaOpener:
        """A media watch of the leg's own (its trunk's settings; a URI's host as the only
        strict source): the call's watch keeps judging the call's stream alone."""
        watch = self.launcher._media_watch(line)
        if host is not None and watch.strict_hosts is not None:
            watch.strict_hosts = frozenset({host})
        return watch.opener

    def _gate(self, organization_id: str | None, trunk_id: str | None) -> LegGate | None:
        if self.gates is None or organization_id is None or trunk_id is None:
            return None
        return self.gates(organization_id, trunk_id)

    def _org_lines(self, organization_id: str | None) -> list[tuple[str, _Line]]:
        return [
            (key, ln)
            for key, ln in self.launcher.lines.items()
            if ln.info is not None and ln.organization_id == organization_id
        ]

    async def _route(
        self,
        request: ForwardRequest,
        organization_id: str | None,
        line: _Line,
        failover: tuple[TrunkInfo, ...],
        gate: LegGate | None,
    ) -> LegRoute | str:
        target = parse_target(request.to) if request.to.startswith("sip") else None
        if target is not None or request.trunk_id is not None:
            # the policy as the database has it now (a trunk made or deleted since the
            # last periodic sync): a URI agent allowed by a deleted trunk is not used
            own = await self._resynced(organization_id)
        else:
            own = dict(self._org_lines(organization_id))
        chosen: _Line | None = None
        if request.trunk_id is not None:
            chosen = own.get(request.trunk_id)
            if chosen is None:
                return "trunk_not_found"
        if target is not None:
            return await self._uri_route(target, organization_id, own, chosen, line)
        if chosen is None or chosen is line:  # the call's own trunk, its group after it
            trunk_id = line.info.id if line.info is not None else None
            leg = LegRoute(
                line.ua,
                request.to,
                trunk_id or "fallback",
                gate or self._gate(organization_id, trunk_id),
                open_media=self._media(line),
            )
            if failover:
                walk = _LegFailover(self, organization_id, list(failover), leg)
                leg.failover, leg.release = walk.next_agent, walk.release
            return leg
        assert chosen.info is not None
        gate = self._gate(organization_id, chosen.info.id)
        return LegRoute(chosen.ua, request.to, chosen.info.id, gate, open_media=self._media(chosen))

    def _allowed(self, target: SipTarget, own: dict[str, _Line]) -> bool:
        pairs = [(ln.info.host, ln.info.from_domain) for ln in own.values() if ln.info]
        return host_allowed(target.host, forward_hosts(pairs, self.launcher))

    async def _resynced(self, organization_id: str | None) -> dict[str, _Line]:
        try:
            await self.launcher.sync_trunks()
        except Exception as exc:  # the database: decide on what we know
            log.warning("trunk sync for a forward failed: %s", exc)
        return dict(self._org_lines(organization_id))

    async def _uri_route(
        self,
        target: SipTarget,
        organization_id: str | None,
        own: dict[str, _Line],
        chosen: _Line | None,
        line: _Line,
    ) -> LegRoute | str:
        if not self._allowed(target, own):
            log.warning("forward to %s refused: host not allowed", target.uri)
            return NOT_ALLOWED
        # the trunkId's settings, else those of the trunk whose host it is, else the call's
        template = chosen or next((ln for ln in own.values() if target.host in _names(ln)), line)
        ua = await self._uri_agent(target, template)
        trunk_id = template.info.id if template.info is not None else None
        gate = self._gate(organization_id, trunk_id)
        return LegRoute(ua, target.uri, None, gate, open_media=self._media(template, target.host))

    async def _uri_agent(self, target: SipTarget, template: _Line) -> UserAgent:
        base = template.config
        port = target.port or target.default_port
        tls = None
        if target.transport == "tls":
            trust = base.tls.ca_pem if base.tls is not None else None
            tls = TlsClient(ca_pem=trust, server_name=target.host)
        config = dataclasses.replace(
            base,
            host=target.host,
            port=port,
            transport=target.transport,
            tls=tls,
            register=False,
            allowed_peers=frozenset(),
            inbound_digest=False,
            tech_prefix="",
            srtp=base.srtp if target.transport == base.transport else "off",
            srv_lookup=target.port is None,  # a port given: A only (RFC 3263 §4.2)
        )
        owner = template.info.id if template.info is not None else "fallback"
        key = f"uri:{target.transport}:{target.host}:{target.port or 'srv'}:{owner}"
        launcher = self.launcher
        async with launcher._lock:
            ua = launcher.uri_agents.get(key)
            if ua is None or ua.config != config:
                endpoint = await launcher._open()
                ua = await endpoint.add(key, config, inbound=False)
                launcher.uri_agents[key] = ua
        return ua


def _names(line: _Line) -> set[str]:
    info = line.info
    assert info is not None
    return {n.lower() for n in (info.host, info.from_domain) if n}


class _LegFailover:
    """An agent leg's walk down the call's trunk group: the next trunk that is up and
    ready, once it has given the leg one of its channels and a start slot."""

    def __init__(
        self, routes: LegRoutes, organization_id: str | None, left: list[TrunkInfo], leg: LegRoute
    ) -> None:
        self.routes = routes
        self.leg = leg
        self.organization_id = organization_id
        self.left = left
        self.releases: list[LegRelease] = []

    async def next_agent(self, status: int | None, reason: str) -> UserAgent | None:
        launcher = self.routes.launcher
        while self.left:
            info = self.left.pop(0)
            try:
                async with launcher._lock:
                    line = await launcher._line_for(info, self.organization_id)
            except Exception as exc:  # its password, its transport: the next one
                log.error("trunk %s: %s", info.id, exc)
                continue
            if line.health.status == "down" or not await line.health.ready(
                launcher.register_wait_s
            ):
                continue
            gate = self.routes._gate(self.organization_id, info.id)
            if gate is not None:
                release = await gate(FAILOVER_WAIT_S)
                if release is None:
                    continue
                self.releases.append(release)
            log.info("forward leg: %s %s, next trunk %s", status, reason, info.id)
            self.leg.trunk = info.id
            return line.ua
        return None

    def release(self) -> None:
        for release in self.releases:
            release()
        self.releases.clear()
