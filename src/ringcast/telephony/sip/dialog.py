"""SIP dialogs (RFC 3261 §12): the peer-to-peer state that in-dialog requests reuse.

A dialog is identified by Call-ID plus local and remote tags. It remembers the remote
target (the peer's Contact), the route set (Record-Route, reversed for the UAC), our
CSeq counter and the last remote CSeq. `create_request` builds BYE/INFO/re-INVITE/ACK
from that state. Its lifecycle is a small table too: early → confirmed → terminated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .errors import SipParseError, SipStateError
from .headers import NameAddr, new_branch
from .message import Headers, SipRequest, SipResponse


class DialogState(Enum):
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


_TRANSITIONS: dict[tuple[DialogState, str], DialogState] = {
    (DialogState.EARLY, "confirm"): DialogState.CONFIRMED,
    (DialogState.EARLY, "terminate"): DialogState.TERMINATED,
    (DialogState.CONFIRMED, "confirm"): DialogState.CONFIRMED,
    (DialogState.CONFIRMED, "terminate"): DialogState.TERMINATED,
    (DialogState.TERMINATED, "terminate"): DialogState.TERMINATED,
}


@dataclass(slots=True)
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: NameAddr  # our From (without tag)
    remote_uri: NameAddr  # their To/From (without tag)
    remote_target: str
    route_set: list[str] = field(default_factory=list)
    local_cseq: int = 1
    remote_cseq: int | None = None
    state: DialogState = DialogState.CONFIRMED

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.call_id, self.local_tag, self.remote_tag)

    def transition(self, event: str) -> None:
        nxt = _TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise SipStateError(f"dialog: {event!r} not allowed in {self.state.value}")
        self.state = nxt

    @classmethod
    def from_uac(cls, request: SipRequest, response: SipResponse) -> Dialog:
        """Our INVITE got a 1xx-with-tag or 2xx: §12.1.2."""
        to = NameAddr.parse(response.headers.get("To") or "")
        frm = NameAddr.parse(request.headers.get("From") or "")
        if not to.tag or not frm.tag:
            raise SipParseError("dialog-creating response without tags")
        contact = response.headers.get("Contact")
        target = NameAddr.parse(contact).uri if contact else request.uri
        routes = list(reversed(response.headers.get_all("Record-Route")))
        state = DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY
        return cls(
            request.call_id,
            frm.tag,
            to.tag,
            _untagged(frm),
            _untagged(to),
            target,
            routes,
            request.cseq[0],
            None,
            state,
        )

    @classmethod
    def from_uas(cls, request: SipRequest, local_tag: str) -> Dialog:
        """We answer an INVITE: §12.1.1."""
        frm = NameAddr.parse(request.headers.get("From") or "")
        to = NameAddr.parse(request.headers.get("To") or "")
        if not frm.tag:
            raise SipParseError("INVITE without From tag")
        contact = request.headers.get("Contact")
        target = NameAddr.parse(contact).uri if contact else frm.uri
        return cls(
            request.call_id,
            local_tag,
            frm.tag,
            _untagged(to),
            _untagged(frm),
            target,
            list(request.headers.get_all("Record-Route")),
            0,
            request.cseq[0],
        )

    def update_from_response(self, response: SipResponse) -> None:
        """A 2xx refreshes the target (and, from early, fixes the route set)."""
        contact = response.headers.get("Contact")
        if contact:
            self.remote_target = NameAddr.parse(contact).uri
        if self.state is DialogState.EARLY:
            self.route_set = list(reversed(response.headers.get_all("Record-Route")))
        if response.status >= 200:
            self.transition("confirm")

    def accept_remote_request(self, request: SipRequest) -> bool:
        """§12.2.2: reject out-of-order CSeqs; refresh the target on re-INVITE."""
        number = request.cseq[0]
        if request.method != "ACK" and request.method != "CANCEL":
            if self.remote_cseq is not None and number <= self.remote_cseq:
                return False
            self.remote_cseq = number
        if request.method == "INVITE" and request.headers.get("Contact"):
            self.remote_target = NameAddr.parse(request.headers.get("Contact") or "").uri
        return True

    def create_request(
        self, method: str, via: str, contact: str, cseq: int | None = None
    ) -> SipRequest:
        """An in-dialog request (§12.2.1.1). ACK reuses the INVITE's CSeq number."""
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        headers = Headers()
        headers.add("Via", f"{via};branch={new_branch()};rport")
        for route in self.route_set:
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        headers.add("From", str(self.local_uri.with_tag(self.local_tag)))
        headers.add("To", str(self.remote_uri.with_tag(self.remote_tag)))
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{cseq} {method}")
        headers.add("Contact", contact)
        return SipRequest(headers, b"", method, self.remote_target)


def _untagged(addr: NameAddr) -> NameAddr:
    return NameAddr(addr.uri, addr.display, {k: v for k, v in addr.params.items() if k != "tag"})
