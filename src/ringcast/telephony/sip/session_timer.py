"""Session timers (RFC 4028) for one call: who refreshes, and when.

We say `Supported: timer` on our INVITEs and let the far end choose. A 2xx with
`Session-Expires: N;refresher=uac` on our call makes *us* the refresher: an UPDATE
(RFC 3311, no SDP) every N/2 seconds, each one carrying the same header. With
`refresher=uas`, or none, the far end refreshes and we only answer. As UAS we answer
every UPDATE and re-INVITE that carries `Session-Expires` with the same interval and
`refresher=uac` (the requester keeps refreshing) plus `Require: timer`. A 422 names
the smallest interval the far end accepts (`Min-SE`): the INVITE is sent again with it.
When the far end is the refresher (our 2xx said `refresher=uac` to its INVITE, or its
2xx to ours said `refresher=uas`) and no refresh (an UPDATE or re-INVITE) comes, the
session has expired: we send BYE a little before the interval is over (§10: the
interval minus min(32 s, a third of it)) and the call ends `session_expired`.
Pure: header values in, header values out.
"""

from __future__ import annotations

from .message import SipRequest, SipResponse

REFRESH_TIMER = "session_refresh"
EXPIRY_TIMER = "session_expiry"
EXPIRED = "session_expired"


def _interval(value: str | None) -> tuple[int, str | None] | None:
    """`Session-Expires: 1800;refresher=uac` → (1800, "uac")."""
    if not value:
        return None
    head, *params = [p.strip() for p in value.split(";")]
    if not head.isdigit() or int(head) <= 0:
        return None
    refresher = None
    for param in params:
        name, _, arg = param.partition("=")
        if name.strip().lower() == "refresher":
            refresher = arg.strip().lower() or None
    return int(head), refresher


def we_refresh_every_ms(response: SipResponse) -> int | None:
    """Our 2xx says we (the UAC) refresh: the delay between our refreshes (N/2)."""
    parsed = _interval(response.headers.get("Session-Expires"))
    if parsed is None or parsed[1] != "uac":
        return None
    return parsed[0] * 1000 // 2


def they_refresh_within_ms(message: SipRequest | SipResponse, we_are_uac: bool) -> int | None:
    """The far end refreshes this session: how long we wait for its refresh before
    BYE (RFC 4028 §10). `message`: its 2xx to our INVITE (`we_are_uac`), or its INVITE,
    UPDATE or re-INVITE to which we answered `refresher=uac`."""
    parsed = _interval(message.headers.get("Session-Expires"))
    if parsed is None:
        return None
    seconds, refresher = parsed
    if we_are_uac and refresher != "uas":
        return None  # we refresh (uac), or no timer was agreed on (none)
    return (seconds - min(32, seconds // 3)) * 1000


def refresh_header(response: SipResponse) -> str:
    """The Session-Expires our refreshing UPDATE carries."""
    parsed = _interval(response.headers.get("Session-Expires"))
    seconds = parsed[0] if parsed is not None else 1800
    return f"{seconds};refresher=uac"


def answer_headers(request: SipRequest) -> tuple[tuple[str, str], ...]:
    """Headers of our 2xx to a refresh (UPDATE or re-INVITE) or an INVITE with timers."""
    parsed = _interval(request.headers.get("Session-Expires"))
    if parsed is None:
        return ()
    return (("Session-Expires", f"{parsed[0]};refresher=uac"), ("Require", "timer"))


def min_se_s(response: SipResponse) -> int | None:
    """A 422's Min-SE: the interval to ask for instead."""
    value = (response.headers.get("Min-SE") or "").split(";")[0].strip()
    return int(value) if value.isdigit() and int(value) > 0 else None
