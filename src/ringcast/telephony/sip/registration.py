"""REGISTER with a trunk and keep the binding fresh (RFC 3261 §10).

One Call-ID for the life of the registration, CSeq counting up. A 401/407 is
answered once per challenge with digest credentials; a 2xx gives the granted
expiry (Contact `expires` or the Expires header) and a refresh is scheduled at 80%
of it. A failure or a timeout is retried after `retry_after_s`. `stop()` sends
`Expires: 0` to remove the binding; a registrar challenges that one like any other
REGISTER (401/407), and it is answered the same way (`removing` stays True until the
final answer or the timeout, then `on_removed()` is called: the user agent waits for it
before it goes, or the registrar keeps a stale contact). Progress is visible as `state` and through
`on_state(state)`. Like a call it does no I/O: it hands actions (`actions.py`) to its
`Perform` callback and the user agent carries them out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from .actions import CancelTimer, Perform, SendRequest, StartTimer
from .auth import credentials_for
from .config import TrunkConfig
from .errors import SipError
from .headers import NameAddr, new_branch, new_call_id, new_tag
from .message import Headers, SipRequest, SipResponse
from .transport import Address, LocalEndpoint

log = logging.getLogger("ringcast.telephony.sip")
RegistrationState = Literal["idle", "registering", "registered", "failed", "unregistered"]


REFRESH_TIMER = "refresh"


class Registration:
    def __init__(
        self,
        perform: Perform,
        local: LocalEndpoint,
        config: TrunkConfig,
        expires_s: int = 3600,
        retry_after_s: float = 30.0,
        peer: Address | None = None,
    ) -> None:
        cfg = config
        self.peer = peer or cfg.address  # the registrar's (resolved) address
        self._perform = perform
        self.local = local
        self.config = config
        self.expires_s = expires_s
        self.retry_after_s = retry_after_s
        self.user = cfg.username or "ringcast"
        self.domain = cfg.from_domain or cfg.host
        self.call_id = new_call_id(cfg.local_host)
        self.tag = new_tag()
        self.cseq = 0
        self.state: RegistrationState = "idle"
        self.granted_s: int | None = None
        self.last_error: str | None = None  # why the last attempt failed
        self.timed_out = False  # the last attempt got no answer at all
        self.on_state: Callable[[RegistrationState], None] | None = None
        self.removing = False  # our Expires: 0 awaits its final answer
        self.on_removed: Callable[[], None] | None = None
        self._timer_armed = False
        self._last: SipRequest | None = None  # the REGISTER in flight
        self._auth_tries = 0
        self._expires_now = expires_s

    def start(self) -> None:
        self._send(self.expires_s)

    def stop(self) -> None:
        """Remove the binding (Expires: 0) and stop refreshing."""
        self._cancel_timer()
        if self.state == "registered":
            self._auth_tries = 0
            self.removing = True
            self._send(0)
        self._set("unregistered")

    def _set(self, state: RegistrationState) -> None:
        self.state = state
        if self.on_state is not None:
            self.on_state(state)

    def _cancel_timer(self) -> None:
        if self._timer_armed:
            self._perform(self, [CancelTimer(REFRESH_TIMER)])
            self._timer_armed = False

    def _request(self, expires_s: int, auth: tuple[str, str] | None = None) -> SipRequest:
        self.cseq += 1
        cfg = self.config
        uri = f"sip:{self.domain}" + (f":{cfg.port}" if cfg.port != 5060 else "")
        aor = f"<sip:{self.user}@{self.domain}>"
        headers = Headers()
        headers.add("Via", f"{self.local.via()};branch={new_branch()};rport")
        headers.add("Max-Forwards", "70")
        headers.add("From", f"{aor};tag={self.tag}")
        headers.add("To", aor)
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{self.cseq} REGISTER")
        headers.add("Contact", self.local.contact(self.user))
        headers.add("Expires", str(expires_s))
        headers.add("User-Agent", cfg.user_agent)
        if auth is not None:
            headers.add(*auth)
        return SipRequest(headers, b"", "REGISTER", uri)

    def _send(self, expires_s: int, auth: tuple[str, str] | None = None) -> None:
        self._expires_now = expires_s
        if expires_s:
            self._set("registering")
        self._last = self._request(expires_s, auth)
        self._perform(self, [SendRequest(self._last, self.peer, "register")])

    # ---- the action runtime's entry points -----------------------------------------
    def on_response(self, label: str, response: SipResponse) -> None:
        if self._last is not None:
            self._on_response(self._last, response)

    def on_timeout(self, label: str, reason: str) -> None:
        self._on_timeout(reason)

    def on_timer(self, name: str) -> None:
        self._timer_armed = False
        self._refresh()

    def _on_timeout(self, reason: str) -> None:
        if not self._expires_now:
            log.warning("un-REGISTER to %s: %s", self.domain, reason)
            self._removed()
        else:
            log.warning("REGISTER to %s failed: %s", self.domain, reason)
            self._failed(f"REGISTER {reason}", timed_out=True)

    def _failed(self, error: str, timed_out: bool = False) -> None:
        self.last_error, self.timed_out = error, timed_out
        self._set("failed")
        self._schedule(self.retry_after_s)

    def _schedule(self, delay_s: float) -> None:
        self._cancel_timer()
        self._perform(self, [StartTimer(REFRESH_TIMER, round(delay_s * 1000))])
        self._timer_armed = True

    def _refresh(self) -> None:
        self._auth_tries = 0
        self._send(self.expires_s)

    def _on_response(self, request: SipRequest, message: SipResponse) -> None:
        if message.status < 200:
            return
        if message.status in (401, 407) and self._answer_challenge(request, message):
            return
        if not self._expires_now:  # the answer to our Expires: 0
            if message.status >= 300:
                log.warning("un-REGISTER refused: %s %s", message.status, message.reason)
            self._removed()
            return
        if message.status >= 300:
            log.warning("REGISTER refused: %s %s", message.status, message.reason)
            self._failed(f"REGISTER {message.status} {message.reason}")
            return
        self._auth_tries = 0
        self.last_error, self.timed_out = None, False
        self.granted_s = _granted(message, self._expires_now)
        self._set("registered")
        self._schedule(max(1.0, self.granted_s * 0.8))

    def _removed(self) -> None:
        if self.removing:
            self.removing = False
            if self.on_removed is not None:
                self.on_removed()

    def _answer_challenge(self, request: SipRequest, response: SipResponse) -> bool:
        cfg = self.config
        if self._auth_tries >= 2 or not cfg.username or cfg.password is None:
            return False
        try:
            answer = credentials_for(response, cfg.username, cfg.password, "REGISTER", request.uri)
        except SipError as exc:
            log.warning("REGISTER challenge not answerable: %s", exc)
            return False
        self._auth_tries += 1
        self._send(self._expires_now, answer)
        return True


def _granted(response: SipResponse, asked_s: int) -> int:
    for contact in response.headers.get_all("Contact"):
        try:
            value = NameAddr.parse(contact).params.get("expires")
        except SipError:
            continue
        if value and value.isdigit():
            return int(value)
    header = response.headers.get("Expires") or ""
    return int(header) if header.isdigit() else asked_s
