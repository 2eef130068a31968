"""A trunk row's settings reach the SIP user agent the dialer starts."""

from __future__ import annotations

from pathlib import Path

from ringcast.dialer.launcher import CallPlan, TrunkInfo
from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.storage.local import LocalStorage


def trunk(**kw) -> TrunkInfo:
    base = {
        "id": "t1",
        "host": "sip.example.net",
        "port": 5070,
        "transport": "tcp",
        "username": "acct",
        "password": "pw",
        "from_domain": "example.net",
        "max_channels": 10,
        "calls_per_second": 2.0,
        "codecs": ("PCMA", "PCMU"),
        "register": True,
    }
    base.update(kw)
    return TrunkInfo(**base)  # type: ignore[arg-type]


def test_trunk_settings_reach_the_user_agent(tmp_path: Path):
    launcher = SipLauncher(None, LocalStorage(tmp_path), local_host="127.0.0.2")  # type: ignore[arg-type]
    config = launcher._config(trunk())
    assert (config.host, config.port, config.transport) == ("sip.example.net", 5070, "tcp")
    assert (config.username, config.password, config.from_domain) == ("acct", "pw", "example.net")
    assert config.codecs == ("PCMA", "PCMU")
    assert config.register is True
    assert config.local_host == "127.0.0.2"
    assert (config.number_format, config.tech_prefix, config.from_user) == ("e164", "", None)
    carrier = launcher._config(
        trunk(number_format="national", tech_prefix="77", asserted_identity=True, privacy=True,
              from_user="acct", register_expires_s=120)
    )  # fmt: skip
    assert (carrier.number_format, carrier.tech_prefix, carrier.from_user) == (
        "national",
        "77",
        "acct",
    )
    assert carrier.asserted_identity and carrier.privacy and carrier.register_expires_s == 120
    plain = launcher._config(trunk(register=False, codecs=("PCMU",)))
    assert plain.register is False
    assert plain.codecs == ("PCMU",)


async def test_an_unknown_transport_fails_the_call_not_falls_back_to_udp(tmp_path: Path):
    launcher = SipLauncher(None, LocalStorage(tmp_path))  # type: ignore[arg-type]
    plan = CallPlan(
        "c1", 1, 1, "e1", "o1", None, "+33600000000", {}, "+33100000000",
        trunk(transport="sctp"), None, {}, "f1", "flow", 1, None,  # type: ignore[arg-type]
    )  # fmt: skip
    result = await launcher.launch(plan)
    await launcher.close()
    assert result.outcome == "failed"
    assert (
        result.outcome_reason == "trunk_config: unknown SIP transport 'sctp' (known: tcp, tls, udp)"
    )
    assert launcher.lines == {}  # no user agent was started on UDP instead
