"""The SIP user agent: one transport, many calls, transactions run on the event loop.

Theory of operation: every received datagram goes through `parse_message`; a
`SipParseError` is logged and the datagram dropped (a bad packet never reaches a call).
Responses are matched to a client transaction by (top Via branch, CSeq method);
requests to a server transaction by (branch, method), with ACK and CANCEL matched to
the INVITE they refer to. The pure `Transaction` machines return actions; `_perform`
carries them out: send bytes, arm/cancel `loop.call_later` timers, hand messages to
the call (`SipCall`) that owns the transaction. Calls and registrations are
transaction users that do no I/O either: they hand `actions.py` actions to
`_run_user`, which starts their client transactions, answers through server
transactions and keeps their named timers. Requests that start nothing we know
(new INVITE → `on_invite` handler, OPTIONS → 200, anything else in a dialog → the
call) are dispatched by Call-ID. Inbound INVITEs from hosts that are not the trunk or
an allowed peer are answered 403 and logged; while the process is full (`overload`,
telephony/overload.py) a new INVITE is answered 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ringcast.kit.logs import ThrottledWarning

from ..overload import OverloadGuard
from . import transaction
from .actions import BackOff, Finished, Respond, SendAck, SendRequest, TransactionUser, UserAction
from .call import ALLOW, SipCall
from .config import TrunkConfig
from .early import options
from .errors import SipError, SipStateError
from .headers import NameAddr, Via, new_tag
from .message import SipRequest, SipResponse, parse_message, response_to
from .numbers import format_number
from .registration import Registration
from .resolver import Resolver
from .transaction import (
    Action,
    CancelTimer,
    Deliver,
    StartTimer,
    Terminated,
    TimedOut,
    Transaction,
    Transmit,
    invite_client,
    invite_server,
    non_invite_client,
    non_invite_server,
    response_event,
)
from .transport import TRANSPORT_ERROR, Address, LocalEndpoint, Transport, open_transport

log = logging.getLogger("ringcast.telephony.sip")

SUPPORTED: frozenset[str] = frozenset({"timer"})  # option tags a request may Require
TxKey = tuple[str, str]


@dataclass(slots=True)
class _TxRecord:
    tx: Transaction
    addr: Address
    on_message: Callable[[SipRequest | SipResponse], None] | None = None
    on_timeout: Callable[[str], None] | None = None
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)


class UserAgent:
    """Owns the transport and every transaction; calls are `SipCall` objects."""

    def __init__(self, config: TrunkConfig) -> None:
        self.config = config
        self.transport: Transport | None = None
        self.calls: dict[str, SipCall] = {}
        self._answer_late: dict[str, SipCall] = {}  # see _keep_for_late_answer
        self.on_invite: Callable[[SipCall], None] | None = None
        self.overload: OverloadGuard | None = None  # full → new INVITEs get 503
        self.registration: Registration | None = None
        self._client: dict[TxKey, _TxRecord] = {}
        self._server: dict[TxKey, _TxRecord] = {}
        self._user_timers: dict[TransactionUser, dict[str, asyncio.TimerHandle]] = {}
        self.paused_until = 0.0  # loop time: the trunk asked for a pause (Retry-After)
        self.resolver = Resolver()
        self.trunk_address: Address = config.address  # an IP once resolved
        self.dropped_messages = 0  # malformed or stray input (the peer's fault)
        self._dropped_log = ThrottledWarning(log)
        self.internal_errors = 0  # exceptions from our own handling (our fault)
        self.trusted_invites: set[str] = set()  # Call-IDs whose INVITE proved the trunk's digest

    @classmethod
    async def start(cls, config: TrunkConfig, transport: Transport | None = None) -> UserAgent:
        """Open its own socket, or use a shared `transport` whose receiver routes this
        agent's messages to `handle` (`endpoint.SipEndpoint`; closing the agent
        leaves a shared transport open)."""
        ua = cls(config)
        if transport is not None:
            ua.transport = transport
        else:
            ua.transport = await open_transport(config, ua.datagram_received, ua.transport_error)
        await ua.refresh_trunk_address()
        if config.register:
            ua.registration = Registration(
                ua._run_user, ua.local, config, config.register_expires_s, peer=ua.trunk_address
            )
            ua.registration.start()
        return ua

    def hangup_all(self) -> None:
        """BYE every connected call, CANCEL every ringing one (graceful shutdown)."""
        for call in list(self.calls.values()):
            call.hangup()

    async def unregister(self, timeout_s: float = 3.0) -> bool:
        """Remove the registration (Expires: 0, a challenge to it answered) and wait for
        the registrar's final answer, at most `timeout_s`: True when it came (or there
        was nothing to remove). `close()` after it sends nothing more."""
        reg = self.registration
        if reg is None or reg.state != "registered":
            return True
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        reg.on_removed = lambda: None if done.done() else done.set_result(None)
        reg.stop()
        if not reg.removing:
            return True
        try:
            await asyncio.wait_for(done, timeout_s)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        """Stop at once: un-REGISTER if registered, drop timers and calls, close the socket."""
        if self.registration is not None:
            self.registration.stop()
        for rec in [*self._client.values(), *self._server.values()]:
            for handle in rec.timers.values():
                handle.cancel()
        for timers in self._user_timers.values():
            for handle in timers.values():
                handle.cancel()
        self._user_timers.clear()
        for call in list(self.calls.values()):
            call.abandon()
        if self.transport is not None:
            self.transport.close()

    # ---- addressing --------------------------------------------------------------
    @property
    def _tp(self) -> Transport:
        if self.transport is None:
            raise SipError("user agent not started")
        return self.transport

    @property
    def local(self) -> LocalEndpoint:
        return LocalEndpoint.of(self._tp)

    def via(self) -> str:
        return self.local.via()

    def contact(self, user: str = "ringcast") -> str:
        return self.local.contact(user)

    @property
    def reliable(self) -> bool:
        return self._tp.reliable

    # ---- calls -------------------------------------------------------------------
    def new_call(self, to_user: str, from_user: str, call_id: str | None = None) -> SipCall:
        """An outbound call, not yet sent; `call.start_invite(sdp)` sends it. Numbers are
        written as the trunk wants them (`numbers.py`; From, P-Asserted-Identity, Privacy)."""
        cfg = self.config
        # '#' is not allowed unescaped in a SIP URI's user part (RFC 3261 25.1)
        to = format_number(to_user, cfg.number_format, cfg.tech_prefix).replace("#", "%23")
        caller = format_number(from_user, cfg.number_format)
        call = SipCall.outbound(
            self._run_user,
            self.local,
            cfg,
            to,
            cfg.from_user or caller,
            call_id,
            self.trunk_address,
        )
        if call.invite is not None and (cfg.asserted_identity or cfg.privacy):
            domain = cfg.from_domain or cfg.host
            if cfg.asserted_identity:
                call.invite.headers.add("P-Asserted-Identity", f"<sip:{caller}@{domain}>")
            if cfg.privacy:
                call.invite.headers.add("Privacy", "id")
        self.calls[call.call_id] = call
        return call

    async def refresh_trunk_address(self) -> None:
        cfg = self.config
        self.trunk_address = await self.resolver.resolve(
            cfg.host, cfg.port, cfg.transport, srv=cfg.srv_lookup
        )

    async def ready_for_calls(self) -> None:
        """Wait out a back-off the trunk asked for (503/480 Retry-After): queued calls
        wait here, they do not fail. Also where the trunk is now (DNS, cached by TTL)."""
        await self.refresh_trunk_address()
        loop = asyncio.get_running_loop()
        while (delay_s := self.paused_until - loop.time()) > 0:
            await asyncio.sleep(delay_s)

    def forget(self, call: SipCall) -> None:
        self.calls.pop(call.call_id, None)

    def _keep_for_late_answer(self, call: SipCall) -> None:
        """A call whose INVITE got no final response, kept 64*T1 (how long the far end
        retransmits a 2xx) to answer a late 2xx with ACK + BYE (`_on_response`)."""
        self._answer_late[call.call_id] = call
        asyncio.get_running_loop().call_later(
            64 * transaction.T1_MS / 1000, self._answer_late.pop, call.call_id, None
        )

    # ---- sending -----------------------------------------------------------------
    def send_raw(self, message: SipRequest | SipResponse, addr: Address) -> None:
        self._tp.send(message.to_bytes(), addr)

    def start_client(
        self,
        tx: Transaction,
        addr: Address,
        on_message: Callable[[SipRequest | SipResponse], None],
        on_timeout: Callable[[str], None],
    ) -> None:
        key = (tx.branch, tx.request.method)
        rec = _TxRecord(tx, addr, on_message, on_timeout)
        self._client[key] = rec
        self._perform(self._client, key, rec, tx.handle("start"))

    def respond(self, request: SipRequest, response: SipResponse) -> None:
        """Send a response through the request's server transaction."""
        key = self._server_key(request)
        rec = self._server.get(key)
        if rec is None:
            log.debug("no server transaction for %s; response dropped", key)
            return
        event = response_event(response.status, "send_")
        self._perform(self._server, key, rec, rec.tx.handle(event, response))

    def server_state(self, request: SipRequest) -> str | None:
        rec = self._server.get(self._server_key(request))
        return rec.tx.state.value if rec else None

    # ---- the action runtime ------------------------------------------------------
    def _run_user(self, user: TransactionUser, actions: Sequence[UserAction]) -> None:
        """Carry out what a call or a registration asked for (see `actions.py`)."""
        for action in actions:
            if isinstance(action, SendRequest):
                self._send_for(user, action)
            elif isinstance(action, SendAck):
                self.send_raw(action.message, action.addr)
            elif isinstance(action, Respond):
                self.respond(action.request, action.response)
            elif isinstance(action, StartTimer):
                timers = self._user_timers.setdefault(user, {})
                old = timers.pop(action.name, None)
                if old is not None:
                    old.cancel()
                timers[action.name] = asyncio.get_running_loop().call_later(
                    action.delay_ms / 1000, self._fire_user, user, action.name
                )
            elif isinstance(action, CancelTimer):
                handle = self._user_timers.get(user, {}).pop(action.name, None)
                if handle is not None:
                    handle.cancel()
            elif isinstance(action, BackOff):
                until = asyncio.get_running_loop().time() + action.delay_ms / 1000
                self.paused_until = max(self.paused_until, until)
                log.warning(
                    "trunk %s: back-off %d ms (Retry-After)", self.config.host, action.delay_ms
                )
            elif isinstance(action, Finished):
                for handle in self._user_timers.pop(user, {}).values():
                    handle.cancel()
                if isinstance(user, SipCall):
                    self.forget(user)
                    _release_soon(user)
                    if user.may_answer_late:
                        self._keep_for_late_answer(user)

    def _send_for(self, user: TransactionUser, action: SendRequest) -> None:
        label = action.label

        def on_message(message: SipRequest | SipResponse) -> None:
            if isinstance(message, SipResponse):
                user.on_response(label, message)

        def on_timeout(reason: str) -> None:
            user.on_timeout(label, reason)

        request = action.request
        if request.method == "INVITE":
            tx = invite_client(request, self.reliable)
        else:
            tx = non_invite_client(request, self.reliable)
        self.start_client(tx, action.addr, on_message, on_timeout)

    def _fire_user(self, user: TransactionUser, name: str) -> None:
        timers = self._user_timers.get(user)
        if timers is None or timers.pop(name, None) is None:
            return
        user.on_timer(name)

    def _perform(
        self, table: dict[TxKey, _TxRecord], key: TxKey, rec: _TxRecord, actions: list[Action]
    ) -> None:
        loop = asyncio.get_running_loop()
        for action in actions:
            if isinstance(action, Transmit):
                self.send_raw(action.message, rec.addr)
            elif isinstance(action, StartTimer):
                old = rec.timers.pop(action.name, None)
                if old is not None:
                    old.cancel()
                rec.timers[action.name] = loop.call_later(
                    action.delay_ms / 1000, self._fire, table, key, action.name
                )
            elif isinstance(action, CancelTimer):
                handle = rec.timers.pop(action.name, None)
                if handle is not None:
                    handle.cancel()
            elif isinstance(action, Deliver):
                if rec.on_message is not None:
                    rec.on_message(action.message)
            elif isinstance(action, TimedOut):
                if rec.on_timeout is not None:
                    rec.on_timeout(action.reason)
            elif isinstance(action, Terminated):
                for handle in rec.timers.values():
                    handle.cancel()
                if table.get(key) is rec:
                    del table[key]

    def transport_error(self, addr: Address, reason: str = TRANSPORT_ERROR) -> None:
        """The transport cannot reach `addr`: fail what is waiting on it now, not at timer B,
        with the transport's `reason` (e.g. `tls_certificate: ...`)."""
        for key, rec in list(self._client.items()):
            if rec.addr == addr and self._client.get(key) is rec:
                try:
                    actions = rec.tx.handle("transport_error")
                except SipStateError:
                    continue  # e.g. already completed: nothing is waiting
                actions = [TimedOut(reason) if isinstance(a, TimedOut) else a for a in actions]
                self._perform(self._client, key, rec, actions)

    def _fire(self, table: dict[TxKey, _TxRecord], key: TxKey, name: str) -> None:
        rec = table.get(key)
        if rec is None:
            return
        rec.timers.pop(name, None)
        self._perform(table, key, rec, rec.tx.handle(name))

    # ---- receiving ---------------------------------------------------------------
    def datagram_received(self, data: bytes, addr: Address) -> None:
        if not data.strip(b"\r\n\x00 "):
            return  # keep-alive
        try:
            self.handle(parse_message(data), addr)
        except SipError as exc:  # a bad or stray message never reaches further
            self.dropped_messages += 1
            self._dropped_log.warning("dropped SIP message from %s:%s: %s", addr[0], addr[1], exc)
        except Exception:  # a bug in one call's handling must not stop the socket
            self.internal_errors += 1
            log.exception("error handling SIP message from %s:%s", addr[0], addr[1])

    def handle(self, message: SipRequest | SipResponse, addr: Address) -> None:
        """One parsed message (raises `SipError` for one that is stray or bad)."""
        if isinstance(message, SipResponse):
            self._on_response(message, addr)
        else:
            self._on_request(message, addr)

    def claims(self, message: SipRequest | SipResponse) -> bool:
        """Whether `message` belongs to one of this agent's transactions or calls."""
        if message.call_id in self.calls:
            return True
        if isinstance(message, SipResponse):
            key = (Via.parse(message.top_via).branch, message.cseq[1])
            return key in self._client
        return self._server_key(message) in self._server

    def _on_response(self, response: SipResponse, addr: Address) -> None:
        branch = Via.parse(response.top_via).branch
        key = (branch, response.cseq[1])
        rec = self._client.get(key)
        if rec is not None:
            self._perform(
                self._client, key, rec, rec.tx.handle(response_event(response.status), response)
            )
            return
        call = self.calls.get(response.call_id)
        call = call or self._answer_late.get(response.call_id)
        if call is not None and response.cseq[1] == "INVITE" and 200 <= response.status < 300:
            call.on_stray_2xx(response)  # after timer M: re-ACK; after a timeout: ACK + BYE
            return
        raise SipStateError(f"no transaction for response {response.status} {key}")

    @staticmethod
    def _server_key(request: SipRequest) -> TxKey:
        method = "INVITE" if request.method == "ACK" else request.method
        return (Via.parse(request.top_via).branch, method)

    def _on_request(self, request: SipRequest, addr: Address) -> None:
        key = self._server_key(request)
        rec = self._server.get(key)
        if rec is not None:  # retransmission, or the ACK of a non-2xx final
            event = "ack" if request.method == "ACK" else "request"
            self._perform(self._server, key, rec, rec.tx.handle(event, request))
            return
        if request.method == "ACK":  # ACK of a 2xx: its own branch, belongs to the dialog
            call = self.calls.get(request.call_id)
            if call is not None:
                call.on_ack(request)
            return
        if request.method == "INVITE" and request.call_id not in self.calls:
            self._new_invite(request, addr)
            return
        factory = invite_server if request.method == "INVITE" else non_invite_server
        rec = _TxRecord(factory(request, self.reliable), addr)
        self._server[key] = rec
        call = self.calls.get(request.call_id)
        if request.method == "CANCEL":
            self._on_cancel(request, call)
        elif call is not None:
            try:
                call.on_request(request)
            except SipError:  # answer it, or its transaction would wait forever
                if self.server_state(request) in ("trying", "proceeding"):
                    self.respond(request, response_to(request, 400, "Bad Request", call.local_tag))
                raise
        elif request.method == "OPTIONS":
            self.respond(
                request, response_to(request, 200, "OK", new_tag(), extra=(("Allow", ALLOW),))
            )
        else:
            self.respond(
                request, response_to(request, 481, "Call/Transaction Does Not Exist", new_tag())
            )

    def _on_cancel(self, cancel: SipRequest, call: SipCall | None) -> None:
        invite_key = (Via.parse(cancel.top_via).branch, "INVITE")
        if call is None or invite_key not in self._server:
            self.respond(
                cancel, response_to(cancel, 481, "Call/Transaction Does Not Exist", new_tag())
            )
            return
        self.respond(cancel, response_to(cancel, 200, "OK", call.local_tag))
        call.on_cancel()

    def _new_invite(self, request: SipRequest, addr: Address) -> None:
        key = self._server_key(request)
        self._server[key] = _TxRecord(invite_server(request, self.reliable), addr)
        trusted = request.call_id in self.trusted_invites
        self.trusted_invites.discard(request.call_id)
        if not (trusted or self.config.peer_allowed(addr[0])):
            log.warning("INVITE from %s:%s refused (not a configured trunk)", addr[0], addr[1])
            self.respond(request, response_to(request, 403, "Forbidden", new_tag()))
            return
        if NameAddr.parse(request.headers.get("To") or "").tag:  # re-INVITE of a call we forgot
            self.respond(request, response_to(request, 481, "Call/Transaction Does Not Exist"))
            return
        unsupported = [o for o in options(request.headers.get("Require")) if o not in SUPPORTED]
        if unsupported:  # §8.2.2.3, e.g. 100rel: we do not do PRACK
            extra = (("Unsupported", ", ".join(unsupported)),)
            self.respond(
                request, response_to(request, 420, "Bad Extension", new_tag(), extra=extra)
            )
            return
        if self.overload is not None and self.overload.reason() is not None:
            self.overload.refuse()  # full: refuse new work, keep the calls we carry
            retry = (("Retry-After", str(self.overload.config.retry_after_s)),)
            reply = response_to(request, 503, "Service Unavailable", new_tag(), extra=retry)
            self.respond(request, reply)
            return
        call = SipCall.inbound(self._run_user, self.local, self.config, request, addr)
        self.calls[call.call_id] = call
        self.respond(request, response_to(request, 100, "Trying"))
        if self.on_invite is None:
            call.reject(480, "Temporarily Unavailable")
            return
        self.on_invite(call)


def _release_soon(call: SipCall) -> None:
    """`SipCall.release` once the step that finished the call is over: its last events
    (e.g. the 487 of a 200 that raced our CANCEL) come after `Finished`."""
    try:
        asyncio.get_running_loop().call_soon(call.release)
    except RuntimeError:  # closing outside the loop: nothing is left to emit
        call.release()
