"""REGISTER against sipp: digest challenge, refresh before expiry, un-REGISTER."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest

from ringcast.telephony.sip import TrunkConfig, UserAgent
from ringcast.telephony.sip.registration import Registration, RegistrationState

pytestmark = pytest.mark.sipp
Sipp = Callable[..., Any]  # the `sipp` fixture of conftest.py (not importable here)


async def test_register_authenticates_refreshes_and_unregisters(sipp: Sipp) -> None:
    peer = sipp("uas_register")
    config = TrunkConfig(
        host="127.0.0.1", port=peer.port, username="alice", password="secret", register=True,
        register_expires_s=60,
    )  # fmt: skip
    ua = await UserAgent.start(config)  # sends the first REGISTER
    states: list[RegistrationState] = []
    twice = asyncio.Event()

    def on_state(state: RegistrationState) -> None:
        states.append(state)
        if states.count("registered") == 2:
            twice.set()

    reg = ua.registration
    assert isinstance(reg, Registration)
    reg.on_state = on_state
    try:
        await asyncio.wait_for(twice.wait(), 5)
        assert reg.granted_s == 1  # the registrar's Expires wins over ours
    finally:
        ua.close()  # un-REGISTERs
    assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    registers = re.findall(r"^REGISTER sip:\S+ SIP/2.0.*?(?=\n\n)", peer.messages, re.M | re.S)
    assert len(registers) == 4, peer.messages
    assert "Authorization: Digest" in registers[1] and "qop=auth" in registers[1]
    assert "Expires: 0" in registers[3]
    cseqs = [re.search(r"CSeq: (\d+) REGISTER", r).group(1) for r in registers]  # type: ignore[union-attr]
    assert cseqs == ["1", "2", "3", "4"]
    assert len({re.search(r"Call-ID: (\S+)", r).group(1) for r in registers}) == 1  # type: ignore[union-attr]
    assert states[-1] == "unregistered"
