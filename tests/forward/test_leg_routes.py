"""Where the SIP launcher sends a Forward leg (dialer/leg_routes.py): the node's trunkId
or the call's trunk, each through the dialer's gate of that trunk (inbound calls'
forwards too), a `sip:` URI to an agent of its own, or refused (nothing dialled)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ringcast.dialer.clock import SystemClock
from ringcast.dialer.launcher import TrunkInfo
from ringcast.dialer.loop import Dialer, _TrunkState
from ringcast.dialer.pacing import SmoothBucket
from ringcast.dialer.sip_launcher import SipLauncher, _Line
from ringcast.telephony.channel import ForwardRequest
from ringcast.telephony.sip import TrunkConfig
from ringcast.telephony.sip.forward import ForwardingSipChannel, LegRoute
from ringcast.telephony.sip.targets import NOT_ALLOWED, parse_target
from telephony.sip.test_resolver import FakeDns

ORG, AGENT, DID = "org-1", "+33612999999", "+33987654320"


def _info(trunk_id: str, host: str, channels: int = 1) -> TrunkInfo:
    return TrunkInfo(trunk_id, host, 5060, "udp", None, None, None, channels, 50, ("PCMU",))


def _setup(**launcher: Any) -> tuple[SipLauncher, Dialer, dict[str, _Line]]:
    sip = SipLauncher(None, None, local_host="127.0.0.50", **launcher)  # type: ignore[arg-type]
    dialer = Dialer(None, sip, SystemClock())  # type: ignore[arg-type]
    lines = {}
    for trunk_id, host in (("carrier", "127.0.0.51"), ("agents", "127.0.0.52")):
        info = _info(trunk_id, host)
        ua = SimpleNamespace(config=TrunkConfig(host=host))  # a stand-in: nothing is sent
        line = _Line(info, ORG, ua.config, ua, None)  # type: ignore[arg-type]
        sip.lines[trunk_id] = lines[trunk_id] = line
        dialer._trunks[trunk_id] = _TrunkState(info, SmoothBucket(50))
    return sip, dialer, lines


async def test_an_inbound_calls_forward_takes_a_channel_of_its_trunk() -> None:
    sip, dialer, lines = _setup()
    # the channel the launcher makes for a call that came in on the carrier trunk
    call = SimpleNamespace(listener=None)
    channel, _ = sip._inbound_channel(lines["carrier"].ua, call)  # type: ignore[arg-type]
    assert isinstance(channel, ForwardingSipChannel)
    route = await channel._route(ForwardRequest(AGENT, DID))
    assert isinstance(route, LegRoute) and route.ua is lines["carrier"].ua
    assert route.trunk == "carrier" and route.gate is not None
    trunk = dialer._trunks["carrier"]
    trunk.active = 1  # its one channel is busy: the leg waits, then gets none
    assert await route.gate(0.2) is None
    trunk.active = 0
    release = await route.gate(0.2)
    assert release is not None and trunk.active == 1
    release()
    assert trunk.active == 0


async def test_the_nodes_trunk_id_carries_the_leg_and_paces_it() -> None:
    sip, dialer, lines = _setup()
    router = sip.routes.router(ORG, lines["carrier"])
    route = await router(ForwardRequest(AGENT, DID, trunk_id="agents"))
    assert isinstance(route, LegRoute)
    assert route.ua is lines["agents"].ua and route.trunk == "agents"
    assert route.gate is not None
    release = await route.gate(0.2)
    assert release is not None
    assert dialer._trunks["agents"].active == 1 and dialer._trunks["carrier"].active == 0
    release()
    assert await router(ForwardRequest(AGENT, DID, trunk_id="gone")) == "trunk_not_found"
    # another organization's trunk is no trunk of this call's
    lines["agents"].organization_id = "org-2"
    assert await router(ForwardRequest(AGENT, DID, trunk_id="agents")) == "trunk_not_found"


async def test_a_sip_uri_goes_to_its_host_only_when_allowed() -> None:
    sip, _, lines = _setup(forward_sip_hosts="*.pbx.example.com, 127.0.0.59")
    router = sip.routes.router(ORG, lines["carrier"])
    try:
        # a {{variable}} may name any host at run time: refused, nothing dialled
        assert await router(ForwardRequest("sip:agent@203.0.113.9", DID)) == NOT_ALLOWED
        assert sip.endpoint is None and not sip.uri_agents
        route = await router(ForwardRequest("sip:agent@127.0.0.59:5090;transport=tcp", DID))
        assert isinstance(route, LegRoute) and route.trunk is None
        assert route.to == "sip:agent@127.0.0.59:5090;transport=tcp"
        cfg = route.ua.config
        assert (cfg.host, cfg.port, cfg.transport, cfg.register) == (
            "127.0.0.59",
            5090,
            "tcp",
            False,
        )
        assert sip.endpoint is not None
        assert set(sip.uri_agents) == sip.endpoint.outbound_only  # takes no new request
        # on a trunk's host: that trunk's channels (the URI is reached directly all the same)
        on_trunk = await router(ForwardRequest("sip:agent@127.0.0.52:5099", DID))
        assert isinstance(on_trunk, LegRoute) and on_trunk.ua.config.port == 5099
        assert on_trunk.ua is not lines["agents"].ua and on_trunk.gate is not None
    finally:
        sip.lines.clear()  # the fake trunks' lines have nothing to close
        await sip.close()


async def test_a_uri_with_a_port_is_not_looked_up_in_srv(monkeypatch: Any) -> None:
    """RFC 3263 §4.2: `sip:agent@pbx.example.com:5070` is the name's A record on 5070;
    without a port the domain's SRV record says where (as for a trunk)."""
    dns = FakeDns(
        {"_sip._udp.pbx.example.com": [(10, 10, 5080, "other.pbx.example.com")]},
        {"pbx.example.com": ["127.0.0.59"], "other.pbx.example.com": ["127.0.0.58"]},
    )
    monkeypatch.setattr("ringcast.telephony.sip.ua.Resolver", dns.resolver)
    sip, _, lines = _setup(forward_sip_hosts="pbx.example.com")
    router = sip.routes.router(ORG, lines["carrier"])
    try:
        given = await router(ForwardRequest("sip:agent@pbx.example.com:5070", DID))
        assert isinstance(given, LegRoute) and given.ua.trunk_address == ("127.0.0.59", 5070)
        assert "_sip._udp.pbx.example.com" not in dns.asked
        found = await router(ForwardRequest("sip:agent@pbx.example.com", DID))
        assert isinstance(found, LegRoute) and found.ua.trunk_address == ("127.0.0.58", 5080)
        assert found.ua is not given.ua and len(sip.uri_agents) == 2
    finally:
        sip.lines.clear()
        await sip.close()


def test_sip_targets_parse() -> None:
    t = parse_target("sips:alice@PBX.example.com")
    assert t is not None and (t.host, t.port, t.transport, t.default_port) == (
        "pbx.example.com", None, "tls", 5061)  # fmt: skip
    u = parse_target("sip:1001@10.0.0.5:5080;transport=TCP")
    assert u is not None and (u.user, u.port, u.transport) == ("1001", 5080, "tcp")
    for bad in ("sip:alice@host;transport=sctp", "sips:a@h;transport=udp", "sip:@host",
                "sip:alice@host:99999", "tel:+33612345678"):  # fmt: skip
        assert parse_target(bad) is None, bad


class _Up:
    status = "up"

    async def ready(self, wait_s: float) -> bool:
        return True


async def test_a_leg_on_the_calls_trunk_fails_over_along_its_group() -> None:
    sip, dialer, lines = _setup()
    lines["agents"].health = _Up()  # type: ignore[assignment]
    group = (lines["agents"].info,)
    router = sip.routes.router(ORG, lines["carrier"], group)  # type: ignore[arg-type]
    route = await router(ForwardRequest(AGENT, DID))
    assert isinstance(route, LegRoute) and route.failover is not None
    assert route.trunk == "carrier"
    # the carrier trunk failed (a 503): the group's next trunk, once it gave a channel
    assert await route.failover(503, "Service Unavailable") is lines["agents"].ua
    assert route.trunk == "agents" and dialer._trunks["agents"].active == 1
    assert await route.failover(503, "Service Unavailable") is None  # none left
    assert route.release is not None
    route.release()
    assert dialer._trunks["agents"].active == 0
    # with a trunkId the leg stays on it (no group walk)
    pinned = await router(ForwardRequest(AGENT, DID, trunk_id="agents"))
    assert isinstance(pinned, LegRoute) and pinned.failover is None


async def test_after_the_call_failed_over_its_legs_start_on_the_trunk_that_carries_it() -> None:
    sip, dialer, lines = _setup()
    router = sip.routes.router(ORG, lines["carrier"], carrier=lambda: (lines["agents"], ()))
    route = await router(ForwardRequest(AGENT, DID))
    assert isinstance(route, LegRoute) and route.ua is lines["agents"].ua
    assert route.trunk == "agents" and route.failover is None and route.gate is not None
    release = await route.gate(0.2)
    assert release is not None and dialer._trunks["agents"].active == 1
    release()


async def test_a_uri_allowed_by_a_trunk_is_refused_once_that_trunk_is_deleted(api: Any) -> None:
    """The policy is the database's at each forward, not the launcher's last sync: the
    cached URI agent made with the deleted trunk's settings is not used (it is gone)."""
    h = api.acme.headers()
    body = {"name": "pbx", "host": "127.0.0.53", "port": 5060, "optionsIntervalSec": 0}
    made = await api.client.post("/api/trunks", json=body, headers=h)
    assert made.status_code == 201, made.text
    trunk_id = made.json()["id"]
    state = api.app.state.ringcast
    sip = SipLauncher(state.sessions, state.storage, local_host="127.0.0.50", trunk_sync_s=3600)
    try:
        await sip.start()
        line = sip.lines[trunk_id]
        router = sip.routes.router(api.acme.organization_id, line)
        uri = "sip:agent@127.0.0.53:5099"
        route = await router(ForwardRequest(uri, DID))
        assert isinstance(route, LegRoute) and route.ua.config.port == 5099
        assert len(sip.uri_agents) == 1
        gone = await api.client.delete(f"/api/trunks/{trunk_id}", headers=h)
        assert gone.status_code == 204, gone.text
        assert await router(ForwardRequest(uri, DID)) == NOT_ALLOWED  # no sync in between
        assert not sip.uri_agents and sip.endpoint is not None
        assert set(sip.endpoint.agents) == set(sip.lines)  # its agents stopped too
        # and a trunkId naming the deleted trunk fails as an unknown one
        assert await router(ForwardRequest(AGENT, DID, trunk_id=trunk_id)) == "trunk_not_found"
    finally:
        await sip.close()
