"""The early dialogs of one outbound INVITE: early media and PRACK (RFC 3262).

A provisional response with a To tag starts an early dialog (RFC 3261 §12.1.2). Per
remote tag we keep the dialog itself, so a PRACK and the confirmed dialog's requests
share one CSeq space; the first SDP the dialog received, which is the answer when the
2xx brings none (a 183 with SDP, then a 200 without: what carriers with early media
send); and the last RSeq we acknowledged. A reliable provisional
(`Require: 100rel` and an `RSeq`) gets one PRACK carrying `RAck: <rseq> <cseq> INVITE`;
a retransmission of one already acknowledged (same or older RSeq) gets none, our
PRACK's own transaction retransmits over UDP. Pure: it builds requests, the call
sends them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dialog import Dialog
from .errors import SipError
from .headers import NameAddr
from .message import SipRequest, SipResponse


@dataclass(slots=True)
class _Early:
    dialog: Dialog
    sdp: bytes = b""
    rseq: int | None = None


def options(value: str | None) -> list[str]:
    """An option-tag list header (Require, Supported) as lower-case tags."""
    return [o.strip().lower() for o in (value or "").split(",") if o.strip()]


class EarlyDialogs:
    def __init__(self) -> None:
        self._by_tag: dict[str, _Early] = {}

    def on_provisional(
        self, invite: SipRequest, response: SipResponse, via: str, contact: str
    ) -> SipRequest | None:
        """Remember what a 1xx brought; the PRACK to send, if it is reliable and new."""
        tag = _to_tag(response)
        if tag is None:
            return None  # 100 Trying, or a 1xx outside any dialog
        early = self._by_tag.get(tag)
        if early is None:
            early = _Early(Dialog.from_uac(invite, response))
            self._by_tag[tag] = early
        if response.body and not early.sdp:
            early.sdp = response.body  # the first SDP of the dialog is the answer
        rseq = _rseq(response)
        if "100rel" not in options(response.headers.get("Require")) or rseq is None:
            return None
        if early.rseq is not None and rseq <= early.rseq:
            return None  # already acknowledged: a retransmission
        early.rseq = rseq
        prack = early.dialog.create_request("PRACK", via, contact)
        prack.headers.add("RAck", f"{rseq} {invite.cseq[0]} INVITE")
        return prack

    def confirm(self, invite: SipRequest, response: SipResponse) -> Dialog:
        """The 2xx's dialog: its early dialog confirmed, or a new one."""
        early = self._by_tag.get(_to_tag(response) or "")
        if early is None:
            return Dialog.from_uac(invite, response)
        early.dialog.update_from_response(response)
        return early.dialog

    def answer_sdp(self, response: SipResponse) -> bytes:
        """The 2xx's SDP, or else the SDP its early dialog received."""
        if response.body:
            return response.body
        early = self._by_tag.get(_to_tag(response) or "")
        return early.sdp if early is not None else b""


def _to_tag(response: SipResponse) -> str | None:
    try:
        return NameAddr.parse(response.headers.get("To") or "").tag
    except SipError:
        return None


def _rseq(response: SipResponse) -> int | None:
    value = (response.headers.get("RSeq") or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None
