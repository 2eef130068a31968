"""The loopback phones of the Forward SIP tests (a callee and agents on one user agent)."""

from telephony.sip.test_forward_bridge import phones

__all__ = ["phones"]
