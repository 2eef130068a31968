"""Fixtures of the Forward tests: the loopback phones of the SIP bridge tests (a callee
and agents on one user agent), sipp as an independent far end, baresip phones on any
loopback address (baresip_kit.py) and `ringcast dialer` processes (carrier/conftest.py)."""

from carrier.conftest import dialer_process
from forward.baresip_kit import baresip_phones
from telephony.sip.test_forward_bridge import phones
from telephony.sipp.conftest import sipp

__all__ = ["baresip_phones", "dialer_process", "phones", "sipp"]
