"""Our own asyncio SIP user agent (see docs/adr/0001-own-sip-stack.md).

Public surface: `TrunkConfig`, `UserAgent`, `SipCall` and its `CallEvent`s, the
sans-I/O pieces (`parse_message`, transactions, `Dialog`, digest `auth`), and
`SipChannel` in `ringcast.telephony.sip.channel`. The transport is chosen in one
place, `transport.open_transport`.
"""

from .call import SipCall
from .call_events import (
    CallAnswered,
    CallDigit,
    CallEnded,
    CallEvent,
    CallFailed,
    CallMediaUpdate,
    CallProgress,
)
from .call_state import CallState
from .config import TrunkConfig
from .errors import SipAuthError, SipConfigError, SipError, SipParseError, SipStateError
from .message import SipRequest, SipResponse, parse_message
from .registration import Registration
from .ua import UserAgent

__all__ = [
    "CallAnswered",
    "CallDigit",
    "CallEnded",
    "CallEvent",
    "CallFailed",
    "CallMediaUpdate",
    "CallProgress",
    "CallState",
    "Registration",
    "SipAuthError",
    "SipCall",
    "SipConfigError",
    "SipError",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "SipStateError",
    "TrunkConfig",
    "UserAgent",
    "parse_message",
]
