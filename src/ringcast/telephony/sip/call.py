"""One call's INVITE usage and dialog: outbound (UAC) and inbound (UAS).

Theory of operation: a `SipCall` is the transaction user for its INVITE, CANCEL, BYE,
INFO and re-INVITE transactions. Its lifecycle is the table in `call_state.py`
(idle → calling → proceeding → confirmed → ended, with cancelling, and incoming →
confirmed for inbound). It reports what happens as `CallEvent`s to `listener` (or the
`events` queue when no listener is set). Outbound: 1xx → `CallProgress`; 2xx → ACK
(kept and re-sent for retransmitted 2xx) and `CallAnswered`; 401/407 → a retry with
digest credentials (two at most); other finals → `CallFailed` (already ACKed by the
transaction); no final at all (timer B, transport error) → `CallFailed(None, ...)`.
`cancel()` sends CANCEL once a provisional has arrived (§9.1). Inbound: `answer(sdp)`
sends 200 and retransmits it (T1 doubling to T2) until the ACK.
In-dialog requests use the dialog's remote target as Request-URI but are sent to
the address the call was set up with (the trunk, or the inbound caller's source),
outbound-proxy style: a trunk's Contact is often an address we cannot reach.
The call does no I/O: it hands `actions.py` actions (send, respond, timers) to the
`Perform` callback it was built with, and the user agent carries them out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from . import session_timer
from .actions import (
    BackOff,
    CancelTimer,
    Finished,
    Perform,
    Respond,
    SendAck,
    SendRequest,
    StartTimer,
    UserAction,
)
from .auth import credentials_for
from .call_events import (
    CallAnswered,
    CallDigit,
    CallEnded,
    CallEvent,
    CallFailed,
    CallMediaUpdate,
    CallProgress,
    parse_dtmf_info,
)
from .call_state import CallState, next_state
from .config import TrunkConfig
from .dialog import Dialog
from .early import EarlyDialogs
from .errors import SipError, SipStateError
from .headers import NameAddr, SipUri, new_branch, new_call_id, new_tag
from .message import Headers, SipRequest, SipResponse, response_to
from .transaction import T1_MS, T2_MS
from .transport import Address, LocalEndpoint

log = logging.getLogger("ringcast.telephony.sip")
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"
OK_TIMER = "ok_retransmit"  # our 2xx, until the ACK (§13.3.1.4)
CANCEL_GUARD = "cancel_guard"  # no final response after our CANCEL


class SipCall:
    def __init__(
        self,
        perform: Perform,
        local: LocalEndpoint,
        config: TrunkConfig,
        call_id: str,
        peer: Address,
        state: CallState,
    ) -> None:
        self._perform = perform
        self.local = local
        self.config = config
        self.call_id = call_id
        self.peer = peer
        self.state = state
        self.local_tag = new_tag()
        self.dialog: Dialog | None = None
        self.invite: SipRequest | None = None
        self.local_sdp = b""
        self.remote_sdp = b""
        self.listener: Callable[[CallEvent], None] | None = None
        self._events: asyncio.Queue[CallEvent] | None = None  # made when first needed
        self._ack: SipRequest | None = None
        self._early = EarlyDialogs()
        self._auth_tries = 0
        self._redirects = 0
        self._interval_tries = 0
        self.fallback_sdp: bytes | None = None
        """A second offer sent once, in a new INVITE, if the first is refused with 488
        (SRTP `optional`: RTP/SAVP first, then RTP/AVP with the same a=crypto lines)."""
        self._refresh_header: str | None = None  # set when we refresh the session
        self._refresh_every_ms = 0
        self._cancel_when_provisional = False
        self._ok: SipResponse | None = None  # our 2xx awaiting ACK
        self._ok_request: SipRequest | None = None
        self._ok_interval_ms = T1_MS
        self._ok_elapsed_ms = 0
        self.may_answer_late = False
        """Our INVITE ended with no final response (it timed out, or our CANCEL went
        unanswered): the far end may still answer it, after the transaction is gone;
        the UA keeps the call that long to ACK and BYE such a 2xx (`on_stray_2xx`)."""

    # ---- construction ------------------------------------------------------------
    @classmethod
    def outbound(
        cls,
        perform: Perform,
        local: LocalEndpoint,
        config: TrunkConfig,
        to_user: str,
        from_user: str,
        call_id: str | None = None,
        peer: Address | None = None,
    ) -> SipCall:
        """`peer`: where the trunk is (its resolved address); the config's by default."""
        cfg = config
        call_id = call_id or new_call_id(cfg.local_host)
        call = cls(perform, local, cfg, call_id, peer or cfg.address, CallState.IDLE)
        domain = cfg.from_domain or cfg.host
        uri = to_user
        if not to_user.startswith(("sip:", "sips:")):
            uri = f"sip:{to_user}@{cfg.host}:{cfg.port}"
        if local.uri_param is not None and "transport=" not in uri and uri.startswith("sip:"):
            uri += f";transport={local.uri_param}"
        headers = Headers()
        headers.add("Via", f"{local.via()};branch={new_branch()};rport")
        headers.add("Max-Forwards", "70")
        headers.add("From", f"<sip:{from_user}@{domain}>;tag={call.local_tag}")
        headers.add("To", f"<{uri}>")
        headers.add("Call-ID", call.call_id)
        headers.add("CSeq", "1 INVITE")
        headers.add("Contact", local.contact(from_user))
        headers.add("Allow", ALLOW)
        headers.add("Supported", "100rel, timer" if cfg.offer_100rel else "timer")
        headers.add("User-Agent", cfg.user_agent)
        call.invite = SipRequest(headers, b"", "INVITE", uri)
        return call

    @classmethod
    def inbound(
        cls,
        perform: Perform,
        local: LocalEndpoint,
        config: TrunkConfig,
        request: SipRequest,
        addr: Address,
    ) -> SipCall:
        call = cls(perform, local, config, request.call_id, addr, CallState.INCOMING)
        call.invite = request
        call.remote_sdp = request.body
        return call

    @property
    def events(self) -> asyncio.Queue[CallEvent]:
        """What the call reports while it has no `listener` (a channel sets one before
        any event, so a dialer's calls never make this queue)."""
        if self._events is None:
            self._events = asyncio.Queue()
        return self._events

    @property
    def dialed_user(self) -> str | None:
        """The user part of the Request-URI (the DID of an inbound call)."""
        return _user_of(self.invite.uri) if self.invite else None

    @property
    def caller_user(self) -> str | None:
        if self.invite is None:
            return None
        return _user_of(NameAddr.parse(self.invite.headers.get("From") or "").uri)

    # ---- the action runtime's entry points -----------------------------------------
    def _do(self, *actions: UserAction) -> None:
        self._perform(self, actions)

    def _send(self, request: SipRequest, label: str) -> None:
        self._do(SendRequest(request, self.peer, label))

    def _respond(self, request: SipRequest, response: SipResponse) -> None:
        self._do(Respond(request, response))

    def on_response(self, label: str, response: SipResponse) -> None:
        """A response in one of our client transactions (`label` says which)."""
        if label == "invite":
            self._on_invite_response(response)

    def on_timeout(self, label: str, reason: str) -> None:
        if label == "invite":
            self._on_invite_timeout(reason)

    def on_timer(self, name: str) -> None:
        if name == OK_TIMER:
            self._retransmit_ok()
        elif name == CANCEL_GUARD:
            self._cancel_expired()
        elif name == session_timer.REFRESH_TIMER:
            self._refresh_session()
        elif name == session_timer.EXPIRY_TIMER:
            self._session_expired()

    # ---- state -------------------------------------------------------------------
    def _go(self, event: str) -> None:
        nxt = next_state(self.state, event)
        self.state = nxt
        if nxt is CallState.ENDED:
            self._cleanup()

    def _emit(self, event: CallEvent) -> None:
        if self.listener is not None:
            self.listener(event)
        else:
            self.events.put_nowait(event)

    def _cleanup(self) -> None:
        self._do(Finished())

    def release(self) -> None:
        """The call is over and its listener has heard its last event (the UA calls this
        right after `Finished`): drop the link to the listener (the channel, its media
        and the flow behind it). The transactions that outlive the call (RFC 6026's
        Timer M keeps an answered INVITE's for 32 s, Timer K a BYE's for 5 s) then keep
        only this call's SIP state, enough to re-ACK a retransmitted 2xx, not the whole
        call: at 300 calls per second the dialer otherwise held ~10,000 finished calls'
        graphs, which the garbage collector walked on every full pass (issue 19)."""
        self.listener = _ignore

    def abandon(self) -> None:
        """The UA is closing: stop timers, no signalling."""
        if self.state is not CallState.ENDED:
            self.state = CallState.ENDED
            self._cleanup()

    # ---- outbound ----------------------------------------------------------------
    def start_invite(self, sdp: bytes) -> None:
        assert self.invite is not None
        self._go("invite")
        self.local_sdp = sdp
        self.invite.headers.set("Content-Type", "application/sdp")
        self.invite.body = sdp
        self._send_invite()

    def _send_invite(self) -> None:
        assert self.invite is not None
        self._send(self.invite, "invite")

    def _on_invite_timeout(self, reason: str) -> None:
        if self.state in (CallState.CALLING, CallState.PROCEEDING, CallState.CANCELLING):
            self.may_answer_late = True
            self._go("failed")
            self._emit(CallFailed(None, reason))  # no status: unknown, not a no-answer

    def _on_invite_response(self, message: SipResponse) -> None:
        status = message.status
        if status < 200:
            if self.state is CallState.ENDED or self.state is CallState.CONFIRMED:
                return
            self._go("provisional")
            assert self.invite is not None
            prack = self._early.on_provisional(
                self.invite, message, self.local.via(), self.local.contact()
            )
            if prack is not None:
                self._send(prack, "prack")
            if self._cancel_when_provisional:
                self._cancel_when_provisional = False
                self._send_cancel()
            self._emit(CallProgress(status, message.reason, message.body))
        elif status < 300:
            self._on_2xx(message)
        elif self._retried(message):
            return
        elif self.state in (CallState.CALLING, CallState.PROCEEDING, CallState.CANCELLING):
            delay_s = _retry_after_s(message) if status in (480, 503) else None
            if delay_s is not None:  # the trunk asks for a pause: its next calls wait
                self._do(BackOff(min(delay_s, self.config.max_retry_after_s) * 1000))
            self._go("failed")
            self._emit(CallFailed(status, message.reason))

    def _on_2xx(self, response: SipResponse) -> None:
        assert self.invite is not None
        tag = NameAddr.parse(response.headers.get("To") or "").tag
        if self.dialog is not None and self._ack is not None:
            if tag == self.dialog.remote_tag:
                self._do(SendAck(self._ack, self.peer))  # retransmitted 2xx: re-ACK
            else:  # a second fork answered: ACK and release it (§13.2.2.4)
                other = Dialog.from_uac(self.invite, response)
                self._ack_and_bye(other)
            return
        self.dialog = self._early.confirm(self.invite, response)
        self._ack = self.dialog.create_request(
            "ACK", self.local.via(), self.local.contact(), self.invite.cseq[0]
        )
        self._do(SendAck(self._ack, self.peer))
        if self.state is CallState.CANCELLING:
            self._go("answered")  # → ended
            self._send_bye(self.dialog)
            self._emit(CallFailed(487, "Request Terminated"))
            return
        if self.state is CallState.ENDED:
            self._send_bye(self.dialog)
            return
        self._go("answered")
        self._arm_refresh(response)
        self._arm_expiry(session_timer.they_refresh_within_ms(response, we_are_uac=True))
        self.remote_sdp = self._early.answer_sdp(response)
        self._emit(CallAnswered(self.remote_sdp, response.status))

    def _arm_refresh(self, response: SipResponse) -> None:
        """RFC 4028: the 2xx made us the refresher: UPDATE every half interval."""
        every_ms = session_timer.we_refresh_every_ms(response)
        if every_ms is not None:
            self._refresh_header = session_timer.refresh_header(response)
            self._do(StartTimer(session_timer.REFRESH_TIMER, every_ms))
            self._refresh_every_ms = every_ms

    def _arm_expiry(self, within_ms: int | None) -> None:
        """RFC 4028 §10: the far end refreshes; without a refresh by then, BYE."""
        if within_ms is not None:
            self._do(StartTimer(session_timer.EXPIRY_TIMER, within_ms))

    def _session_expired(self) -> None:
        if self.state is CallState.CONFIRMED and self.dialog is not None:
            log.info("call %s: session expired (no refresh), BYE", self.call_id)
            self._go("bye")
            self._send_bye(self.dialog)
            self._emit(CallEnded("local", session_timer.EXPIRED))

    def _refresh_session(self) -> None:
        if self.state is not CallState.CONFIRMED or self.dialog is None:
            return
        update = self.dialog.create_request("UPDATE", self.local.via(), self.local.contact())
        update.headers.add("Session-Expires", self._refresh_header or "1800;refresher=uac")
        update.headers.add("Supported", "timer")
        self._send(update, "update")
        self._do(StartTimer(session_timer.REFRESH_TIMER, self._refresh_every_ms))

    def _ack_and_bye(self, dialog: Dialog) -> None:
        assert self.invite is not None
        ack = dialog.create_request(
            "ACK", self.local.via(), self.local.contact(), self.invite.cseq[0]
        )
        self._do(SendAck(ack, self.peer))
        self._send_bye(dialog)

    def on_stray_2xx(self, response: SipResponse) -> None:
        """A 2xx to our INVITE after its transaction ended: after Timer M, re-ACK (or
        ACK and BYE another fork); after the call failed with no final response, the
        far end answered too late: ACK it and end the dialog with a BYE (§13.2.2.4),
        so nobody is left in a call nobody hears and the 2xx stops coming."""
        self._on_2xx(response)

    def _retried(self, response: SipResponse) -> bool:
        """A challenge answered, a redirect followed, a session interval raised (422):
        the call goes on."""
        if response.status in (401, 407):
            return self._retry_with_auth(response)
        if response.status == 422:
            return self._retry_interval(response)
        if response.status == 488 and self.fallback_sdp is not None:
            return self._retry_offer(self.fallback_sdp)
        return 300 <= response.status < 400 and self._follow_redirect(response)

    def _retry_interval(self, response: SipResponse) -> bool:
        seconds = session_timer.min_se_s(response)
        if seconds is None or self._interval_tries >= 2 or self.invite is None:
            return False
        if self.state not in (CallState.CALLING, CallState.PROCEEDING):
            return False
        self._interval_tries += 1
        self._resend_invite(
            self.invite.uri, (("Session-Expires", str(seconds)), ("Min-SE", str(seconds)))
        )
        return True

    def _retry_with_auth(self, response: SipResponse) -> bool:
        cfg = self.config
        if self._auth_tries >= 2 or not cfg.username or cfg.password is None or self.invite is None:
            return False
        if self.state not in (CallState.CALLING, CallState.PROCEEDING):
            return False
        try:
            answer = credentials_for(
                response, cfg.username, cfg.password, "INVITE", self.invite.uri
            )
        except SipError as exc:
            log.warning("call %s: cannot answer challenge: %s", self.call_id, exc)
            return False
        self._auth_tries += 1
        self._resend_invite(self.invite.uri, (answer,))
        return True

    def _follow_redirect(self, response: SipResponse) -> bool:
        """3xx: INVITE the first Contact (§8.1.3.4), through the trunk, up to
        `max_redirects` times per call."""
        contact = response.headers.get("Contact")
        if contact is None or self._redirects >= self.config.max_redirects:
            return False
        if self.state not in (CallState.CALLING, CallState.PROCEEDING) or self.invite is None:
            return False
        try:
            target = NameAddr.parse(contact.split(",")[0]).uri
        except SipError:
            return False
        self._redirects += 1
        log.info("call %s: %s redirected to %s", self.call_id, response.status, target)
        self._resend_invite(target, (), new_target=True)
        return True

    def _retry_offer(self, sdp: bytes) -> bool:
        self.fallback_sdp = None
        if self.invite is None or self.state not in (CallState.CALLING, CallState.PROCEEDING):
            return False
        self.invite.body = self.local_sdp = sdp
        self._resend_invite(self.invite.uri, ())
        return True

    def _resend_invite(
        self, uri: str, extra: tuple[tuple[str, str], ...], new_target: bool = False
    ) -> None:
        """The INVITE again in a new transaction: with credentials, a session interval,
        or to a new target."""
        assert self.invite is not None
        old = self.invite
        headers = old.headers.copy()
        headers.set("Via", f"{self.local.via()};branch={new_branch()};rport")
        headers.set("CSeq", f"{old.cseq[0] + 1} INVITE")
        for name, value in extra:
            headers.set(name, value)
        if new_target:  # the old target's credentials do not apply
            headers.remove("Authorization")
            headers.remove("Proxy-Authorization")
        self.invite = SipRequest(headers, old.body, "INVITE", uri)
        self._early = EarlyDialogs()  # those of the old INVITE are over
        self._go("challenged")
        self._send_invite()

    def cancel(self) -> None:
        """Give up ringing (ring timeout). CANCEL waits for a provisional (§9.1)."""
        if self.state not in (CallState.CALLING, CallState.PROCEEDING):
            return
        had_provisional = self.state is CallState.PROCEEDING
        self._go("cancel")
        if had_provisional:
            self._send_cancel()
        else:
            self._cancel_when_provisional = True
        # If the far end never answers the CANCEL, don't hang forever.
        self._do(StartTimer(CANCEL_GUARD, 64 * T1_MS))

    def _cancel_expired(self) -> None:
        if self.state is CallState.CANCELLING:
            self.may_answer_late = True
            self._go("failed")
            self._emit(CallFailed(None, "no final response after CANCEL"))

    def _send_cancel(self) -> None:
        assert self.invite is not None
        headers = Headers()
        headers.add("Via", self.invite.top_via)
        for route in self.invite.headers.get_all("Route"):
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        for name in ("From", "To", "Call-ID"):
            headers.add(name, self.invite.headers.get(name) or "")
        headers.add("CSeq", f"{self.invite.cseq[0]} CANCEL")
        self._send(SipRequest(headers, b"", "CANCEL", self.invite.uri), "cancel")

    # ---- both directions ---------------------------------------------------------
    def hangup(self) -> None:
        """BYE when connected, CANCEL while ringing out, 603 while ringing in."""
        if self.state is CallState.CONFIRMED and self.dialog is not None:
            self._go("bye")
            self._send_bye(self.dialog)
        elif self.state in (CallState.CALLING, CallState.PROCEEDING):
            self.cancel()
        elif self.state is CallState.INCOMING:
            self.reject(603, "Decline")

    def _send_bye(self, dialog: Dialog) -> None:
        self._send(dialog.create_request("BYE", self.local.via(), self.local.contact()), "bye")

    def send_info_dtmf(self, digit: str, duration_ms: int = 160) -> None:
        if self.dialog is None:
            raise SipStateError("INFO needs a dialog")
        info = self.dialog.create_request("INFO", self.local.via(), self.local.contact())
        info.headers.add("Content-Type", "application/dtmf-relay")
        info.body = f"Signal={digit}\r\nDuration={duration_ms}\r\n".encode()
        self._send(info, "info")

    def on_request(self, request: SipRequest) -> None:
        """An in-dialog request (its server transaction exists already)."""
        if self.dialog is None or not self.dialog.accept_remote_request(request):
            if request.method == "BYE" and self.state is CallState.INCOMING:
                self._respond(request, response_to(request, 200, "OK", self.local_tag))
                self._go("bye")
                self._emit(CallEnded("remote", "bye"))
                return
            self._respond(
                request, response_to(request, 500, "Server Internal Error", self.local_tag)
            )
            return
        if request.method == "BYE":
            self._respond(request, response_to(request, 200, "OK"))
            if self.state is CallState.CONFIRMED:
                self._go("bye")
                self._emit(CallEnded("remote", "bye"))
        elif request.method == "INVITE":  # re-INVITE: the channel answers the offer
            self._on_refresh(request)
            if request.body:
                self.remote_sdp = request.body
                self._emit(CallMediaUpdate(request.body))
            self._send_ok(request)
        elif request.method == "UPDATE":  # RFC 3311: a session refresh, or a new offer
            self._on_refresh(request)
            sdp = b""
            if request.body:
                self.remote_sdp = request.body
                self._emit(CallMediaUpdate(request.body))
                sdp = self.local_sdp
            extra = (("Contact", self.local.contact()), *session_timer.answer_headers(request))
            ctype = "application/sdp" if sdp else None
            self._respond(request, response_to(request, 200, "OK", None, sdp, ctype, extra))
        elif request.method == "INFO":
            self._respond(request, response_to(request, 200, "OK"))
            digit = parse_dtmf_info(request)
            if digit is not None:
                self._emit(CallDigit(digit))
        elif request.method == "OPTIONS":
            self._respond(request, response_to(request, 200, "OK"))
        else:
            self._respond(request, response_to(request, 501, "Not Implemented"))

    def _on_refresh(self, request: SipRequest) -> None:
        """A re-INVITE or UPDATE with Session-Expires refreshes the session: our answer
        makes its sender the refresher (`refresher=uac`), the expiry starts again."""
        within_ms = session_timer.they_refresh_within_ms(request, we_are_uac=False)
        if within_ms is not None:
            self._refresh_header = None
            self._do(CancelTimer(session_timer.REFRESH_TIMER))
            self._arm_expiry(within_ms)

    # ---- inbound -----------------------------------------------------------------
    def ring(self) -> None:
        if self.state is CallState.INCOMING and self.invite is not None:
            self._respond(self.invite, response_to(self.invite, 180, "Ringing", self.local_tag))

    def answer(self, sdp: bytes) -> None:
        assert self.invite is not None
        self._go("answer")
        self.local_sdp = sdp
        self.dialog = Dialog.from_uas(self.invite, self.local_tag)
        self._send_ok(self.invite)
        self._arm_expiry(session_timer.they_refresh_within_ms(self.invite, we_are_uac=False))

    def reject(self, status: int, reason: str) -> None:
        if self.state is CallState.INCOMING and self.invite is not None:
            self._respond(self.invite, response_to(self.invite, status, reason, self.local_tag))
            self._go("failed")

    def on_cancel(self) -> None:
        if self.state is CallState.INCOMING and self.invite is not None:
            self.reject(487, "Request Terminated")
            self._emit(CallEnded("remote", "cancel"))

    def _send_ok(self, request: SipRequest) -> None:
        ok = response_to(
            request,
            200,
            "OK",
            self.local_tag,
            self.local_sdp,
            "application/sdp" if self.local_sdp else None,
            (
                ("Contact", self.local.contact()),
                ("Allow", ALLOW),
                *session_timer.answer_headers(request),
            ),
        )
        self._ok, self._ok_request = ok, request
        self._ok_interval_ms, self._ok_elapsed_ms = T1_MS, 0
        self._respond(request, ok)
        if not self.local.reliable:
            self._arm_ok_timer()

    def _arm_ok_timer(self) -> None:
        self._do(StartTimer(OK_TIMER, self._ok_interval_ms))

    def _retransmit_ok(self) -> None:
        if self._ok is None or self._ok_request is None:
            return
        self._ok_elapsed_ms += self._ok_interval_ms
        if self._ok_elapsed_ms >= 64 * T1_MS:  # §13.3.1.4: no ACK, end the call
            self._ok = None
            if self.state is CallState.CONFIRMED and self.dialog is not None:
                self._go("bye")
                self._send_bye(self.dialog)
                self._emit(CallEnded("local", "no ACK"))
            return
        self._respond(self._ok_request, self._ok)
        self._ok_interval_ms = min(self._ok_interval_ms * 2, T2_MS)
        self._arm_ok_timer()

    def on_ack(self, request: SipRequest) -> None:
        if self._ok is not None and request.cseq[0] == self._ok.cseq[0]:
            self._ok = None
            self._do(CancelTimer(OK_TIMER))


def _ignore(_event: CallEvent) -> None:
    """A released call's listener: its events have no one left to hear them."""


def _retry_after_s(response: SipResponse) -> int | None:
    """Retry-After's seconds (RFC 3261 §20.33; a comment or parameters may follow)."""
    value = (response.headers.get("Retry-After") or "").split(";")[0].split("(")[0].strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _user_of(uri: str) -> str | None:
    try:
        return SipUri.parse(uri).user
    except SipError:
        return None
