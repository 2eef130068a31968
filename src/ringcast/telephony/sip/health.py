"""A trunk's health: its registration awaited, an OPTIONS keepalive, one status.

Status: `up` (the trunk answers: any response to OPTIONS, or a 2xx to REGISTER),
`down` (no answer at all: OPTIONS or REGISTER timed out, TCP refused) or
`unregistered` (the trunk answers but refuses our REGISTER, e.g. 403 or wrong
credentials). `None` until the first answer or failure. Every change goes to
`on_change(status, last_error)`. OPTIONS goes every `options_interval_s` (0: never). `ready(timeout_s)` is what a call awaits before
its INVITE: True at once for a trunk without registration; otherwise it waits
(bounded) for the registration to succeed or fail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Literal

from .headers import new_branch, new_call_id, new_tag
from .message import Headers, SipRequest, SipResponse
from .registration import RegistrationState
from .transaction import non_invite_client
from .ua import UserAgent

log = logging.getLogger("ringcast.telephony.sip")

TrunkStatus = Literal["up", "down", "unregistered"]


class TrunkHealth:
    def __init__(
        self,
        ua: UserAgent,
        options_interval_s: float = 0.0,
        on_change: Callable[[TrunkStatus, str | None], None] | None = None,
    ) -> None:
        self.ua = ua
        self.options_interval_s = options_interval_s
        self.on_change = on_change
        self.status: TrunkStatus | None = None
        self.last_error: str | None = None
        self.options_sent = 0
        self.options_answered = 0
        self._changed = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._call_id = new_call_id(ua.config.local_host)
        self._cseq = 0
        self._closed = False
        if ua.registration is not None:
            ua.registration.on_state = self._on_registration
            self._on_registration(ua.registration.state)

    def start(self) -> None:
        """The first OPTIONS goes one interval after the start (a registration reports
        sooner; and a far end that takes any request for a new call is not disturbed)."""
        self._schedule()

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.ua.registration is not None:
            self.ua.registration.on_state = None

    @property
    def registered(self) -> bool:
        reg = self.ua.registration
        return reg is None or reg.state == "registered"

    async def ready(self, timeout_s: float) -> bool:
        """True once the trunk may take calls (registered, or no registration)."""
        reg = self.ua.registration
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while reg is not None and reg.state != "registered":
            if reg.state == "failed" and reg.last_error is not None:
                return False
            left = deadline - loop.time()
            if left <= 0:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                return self.registered
        return True

    # ---- status ---------------------------------------------------------------------
    def _set(self, status: TrunkStatus, error: str | None) -> None:
        changed = (status, error) != (self.status, self.last_error)
        self.status, self.last_error = status, error
        self._changed.set()
        if changed:
            log.info("trunk %s: %s%s", self.ua.config.host, status, f" ({error})" if error else "")
            if self.on_change is not None:
                self.on_change(status, error)

    def _on_registration(self, state: RegistrationState) -> None:
        reg = self.ua.registration
        self._changed.set()
        if reg is None or self._closed:
            return
        if state == "registered":
            self._set("up", None)
        elif state == "failed":
            self._set("down" if reg.timed_out else "unregistered", reg.last_error)

    # ---- OPTIONS keepalive ----------------------------------------------------------
    def _send_options(self) -> None:
        self._timer = None
        if self._closed:
            return
        cfg = self.ua.config
        self._cseq += 1
        domain = cfg.from_domain or cfg.host
        param = self.ua.local.uri_param
        uri = f"sip:{cfg.host}:{cfg.port}" + (f";transport={param}" if param else "")
        headers = Headers()
        headers.add("Via", f"{self.ua.via()};branch={new_branch()};rport")
        headers.add("Max-Forwards", "70")
        headers.add("From", f"<sip:{cfg.username or 'ringcast'}@{domain}>;tag={new_tag()}")
        headers.add("To", f"<{uri}>")
        headers.add("Call-ID", self._call_id)
        headers.add("CSeq", f"{self._cseq} OPTIONS")
        headers.add("Contact", self.ua.contact(cfg.username or "ringcast"))
        headers.add("Accept", "application/sdp")
        headers.add("User-Agent", cfg.user_agent)
        self.options_sent += 1
        self.ua.start_client(
            non_invite_client(SipRequest(headers, b"", "OPTIONS", uri), self.ua.reliable),
            self.ua.trunk_address,
            self._on_options_response,
            self._on_options_timeout,
        )

    def _on_options_response(self, message: SipRequest | SipResponse) -> None:
        if not isinstance(message, SipResponse) or message.status < 200 or self._closed:
            return
        self.options_answered += 1
        if self.registered:
            self._set("up", None)
        elif self.status == "down":  # reachable again, still not registered
            reg = self.ua.registration
            self._set("unregistered", reg.last_error if reg else None)
        self._schedule()

    def _on_options_timeout(self, reason: str) -> None:
        if self._closed:
            return
        self._set("down", f"OPTIONS {reason}")
        self._schedule()

    def _schedule(self) -> None:
        if self._closed or self.options_interval_s <= 0:
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.options_interval_s, self._send_options)
