"""Fixtures of the Forward tests: the loopback phones of the SIP bridge tests (a callee
and agents on one user agent) and sipp as an independent far end."""

from telephony.sip.test_forward_bridge import phones
from telephony.sipp.conftest import sipp

__all__ = ["phones", "sipp"]
