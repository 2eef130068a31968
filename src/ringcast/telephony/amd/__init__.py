"""Answering-machine detection: human / machine / unknown, beeps, end of greeting.

Public surface (feed 20 ms, 160-sample 8 kHz frames from the moment of answer):

- `AmdDetector(settings).feed(frame) -> AmdVerdict | None` — the verdict, once.
  `total_analysis_ms` runs from the first word (capped at answer + total +
  `late_start_allowance_ms`, by default `initial_silence_ms`), so late
  starters are still judged. Speech is found by Silero (`frames.py`). A frame
  the network lost is `channel.LOST_FRAME` (what the RTP stream delivers for a
  sequence gap): neither speech nor silence (`detector.py`).
- `AmdDetector.greeting_end_detector(cap_ms)` / `GreetingEndDetector(cap_ms)` —
  for waitForBeep: `feed(frame) -> GreetingEnd | None` (beep, silence or cap).
- `BeepDetector().feed(frame) -> bool` — True while a confirmed beep sounds.
- `classify(pcm, settings) -> AmdVerdict` — a whole recording, frame by frame.
"""

from ringcast.telephony.amd.beep import BeepDetector
from ringcast.telephony.amd.detector import AmdDetector, AmdResult, AmdVerdict, classify
from ringcast.telephony.amd.frames import FrameSizeError
from ringcast.telephony.amd.greeting_end import GreetingEnd, GreetingEndDetector

__all__ = [
    "AmdDetector",
    "AmdResult",
    "AmdVerdict",
    "BeepDetector",
    "FrameSizeError",
    "GreetingEnd",
    "GreetingEndDetector",
    "classify",
]
