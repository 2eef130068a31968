"""Sign-in throttle: failed dashboard sign-ins per client address.

A sliding window per address (this process's memory): after `max_failures`
failed sign-ins within `window_s`, that address's sign-ins are refused (429)
until the oldest failure leaves the window, before the key is even looked at.
A good sign-in does not clear the count (it would let a guesser with one
valid key reset it). At most `max_addresses` are remembered; past that the
stalest address is forgotten first.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque


class SignInThrottle:
    def __init__(
        self, max_failures: int, window_s: float = 60.0, max_addresses: int = 10_000
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def retry_after_s(self, address: str, now: float) -> int:
        """0 when `address` may try now; else whole seconds until it may."""
        failures = self._recent(address, now)
        if failures is None or len(failures) < self.max_failures:
            return 0
        return max(1, math.ceil(failures[0] + self.window_s - now))

    def failed(self, address: str, now: float) -> None:
        failures = self._recent(address, now)
        if failures is None:
            failures = self._failures[address] = deque(maxlen=self.max_failures)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
        self._failures.move_to_end(address)
        failures.append(now)
