"""The callee farm: many scripted callees on one loopback SIP endpoint.

The demo, the end-to-end tests and the benchmarks dial it as their trunk. Each
dialed number follows a `Behaviour` (answer as a human or a machine with real
greeting audio, press keys after each prompt by RFC 4733 or in-band tones, be
busy, reject, never answer, hang up mid-call) and every call leaves a
`CalleeRecord` of what really happened, so a run can be checked against its
script.
"""

from ringcast.calleefarm.behaviour import Behaviour, BehaviourBook
from ringcast.calleefarm.farm import CalleeFarm, CalleeRecord

__all__ = ["Behaviour", "BehaviourBook", "CalleeFarm", "CalleeRecord"]
