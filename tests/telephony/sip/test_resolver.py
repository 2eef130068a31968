"""Trunk names: SRV first, then A, cached for their TTL, never resolved on a send."""

from __future__ import annotations

import asyncio

from ringcast.telephony.sip import TrunkConfig, UserAgent
from ringcast.telephony.sip.resolver import Naptr, Resolver, Srv


class FakeDns:
    def __init__(
        self,
        srv: dict[str, list[Srv]],
        a: dict[str, list[str]],
        naptr: dict[str, list[Naptr]] | None = None,
    ) -> None:
        self.srv_records, self.a_records, self.naptr_records = srv, a, naptr or {}
        self.asked: list[str] = []
        self.now = 0.0

    async def srv(self, name: str) -> tuple[list[Srv], int]:
        self.asked.append(name)
        return self.srv_records.get(name, []), 30

    async def a(self, name: str) -> tuple[list[str], int]:
        self.asked.append(name)
        return self.a_records.get(name, []), 30

    async def naptr(self, name: str) -> tuple[list[Naptr], int]:
        return self.naptr_records.get(name, []), 30

    def resolver(self) -> Resolver:
        return Resolver(self.srv, self.a, lambda: self.now, self.naptr)


async def test_srv_picks_lowest_priority_then_highest_weight_and_its_port() -> None:
    dns = FakeDns(
        {
            "_sip._udp.carrier.example": [
                (20, 0, 5080, "b.carrier.example"),
                (10, 10, 5070, "a.carrier.example"),
                (10, 50, 5072, "c.carrier.example"),
            ]
        },
        {"c.carrier.example": ["192.0.2.3"], "a.carrier.example": ["192.0.2.1"]},
    )
    assert await dns.resolver().resolve("carrier.example", 5060, "udp") == ("192.0.2.3", 5072)


async def test_without_srv_the_a_record_and_the_configured_port_cached_for_the_ttl() -> None:
    dns = FakeDns({}, {"sip.carrier.example": ["192.0.2.9"]})
    resolver = dns.resolver()
    assert await resolver.resolve("sip.carrier.example", 5061, "tcp") == ("192.0.2.9", 5061)
    await resolver.resolve("sip.carrier.example", 5061, "tcp")
    assert dns.asked == ["_sip._tcp.sip.carrier.example", "sip.carrier.example"]
    dns.now = 31  # the TTL ran out
    await resolver.resolve("sip.carrier.example", 5061, "tcp")
    assert len(dns.asked) == 4


async def test_ip_literals_are_not_looked_up() -> None:
    dns = FakeDns({}, {})
    assert await dns.resolver().resolve("192.0.2.5", 5060, "udp") == ("192.0.2.5", 5060)
    assert dns.asked == []


async def test_a_trunk_given_by_name_is_dialled_at_its_address() -> None:
    ua = await UserAgent.start(TrunkConfig(host="localhost", port=5099))
    try:
        call = ua.new_call("1000", "me")
        assert call.peer == ("127.0.0.1", 5099)  # an IP: the send never resolves
        await asyncio.wait_for(ua.ready_for_calls(), 5)
    finally:
        ua.close()


async def test_naptr_names_the_srv_to_ask_for_the_trunks_transport() -> None:
    dns = FakeDns(
        {"_sip._udp.pool.carrier.example": [(10, 10, 5090, "u1.carrier.example")]},
        {"u1.carrier.example": ["192.0.2.7"]},
        {
            "carrier.example": [
                (20, 10, "s", "SIP+D2U", "_sip._udp.pool.carrier.example"),
                (10, 10, "s", "SIP+D2T", "_sip._tcp.pool.carrier.example"),
                (5, 10, "u", "E2U+sip", "!^.*$!sip:x@y!"),  # not a SIP transport: ignored
            ]
        },
    )
    resolver = dns.resolver()
    assert await resolver.resolve("carrier.example", 5060, "udp") == ("192.0.2.7", 5090)
    assert "_sip._udp.carrier.example" not in dns.asked  # the NAPTR's SRV name instead
    assert await resolver.naptr_transport("carrier.example", ("udp", "tcp")) == "tcp"
    assert await resolver.naptr_transport("carrier.example", ("udp",)) == "udp"
    assert await resolver.naptr_transport("192.0.2.1", ("udp",)) is None


async def test_a_given_port_means_the_a_record_only_no_naptr_or_srv() -> None:
    """RFC 3263 §4.2: a Forward's `sip:agent@pbx.example.com:5070` goes to the name's
    A record on 5070, even when the domain has SRV records (they would move it)."""
    dns = FakeDns(
        {"_sip._udp.pbx.example.com": [(10, 10, 5080, "other.example.com")]},
        {"pbx.example.com": ["192.0.2.7"], "other.example.com": ["192.0.2.8"]},
    )
    resolver = dns.resolver()
    assert await resolver.resolve("pbx.example.com", 5070, "udp", srv=False) == (
        "192.0.2.7",
        5070,
    )
    assert dns.asked == ["pbx.example.com"]
    # no port written: SRV as for a trunk
    assert await resolver.resolve("pbx.example.com", 5060, "udp") == ("192.0.2.8", 5080)
