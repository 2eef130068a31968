"""A warning that may come thousands of times a second, logged at most every few seconds.

A peer's storm of stray or bad SIP messages (retransmissions for calls long gone, a
scanner) once logged a line per message: megabytes of the same line, and the CPU
spent writing them taken from the event loop that carries live calls. The counters
beside each such warning (`dropped`, `dropped_messages`, exported by /metrics) still
count every one; the log says the first of a burst and how many followed.
"""

from __future__ import annotations

import logging
import time

EVERY_S = 10.0


class ThrottledWarning:
    """`warning(msg, *args)` logs at most once per `every_s`; the next line that is
    logged says how many were held back since the previous one."""

    def __init__(self, logger: logging.Logger, every_s: float = EVERY_S) -> None:
        self.logger = logger
        self.every_s = every_s
        self._last = float("-inf")
        self.held_back = 0

    def warning(self, msg: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last < self.every_s:
            self.held_back += 1
            return
        self._last = now
        if self.held_back:
            msg += " (and %d more like it in the last %.0f s, not logged)"
            args = (*args, self.held_back, self.every_s)
            self.held_back = 0
        self.logger.warning(msg, *args)
