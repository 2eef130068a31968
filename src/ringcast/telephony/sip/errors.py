"""SIP protocol errors.

SipError                 root of everything this package raises
├── SipParseError        bytes that are not a well-formed SIP message (remote fault)
├── SipStateError        an event the state-machine table has no row for
├── SipAuthError         a challenge we cannot answer (no credentials, bad algorithm)
└── SipConfigError       a configuration we cannot run (an unknown transport)
"""

from __future__ import annotations


class SipError(Exception):
    """Root of the SIP package's errors."""


class SipParseError(SipError):
    """The input is not a well-formed SIP message (or header value)."""


class SipStateError(SipError):
    """A transaction or dialog got an event its transition table does not allow."""


class SipAuthError(SipError):
    """A digest challenge cannot be answered."""


class SipConfigError(SipError):
    """The configuration names something this stack does not have (e.g. a transport)."""
