"""When to try a failed delivery again: a schedule of waits, with jitter.

The wait after the n-th failed attempt is `schedule[n-1]` (the last entry
repeats), spread by ±`jitter` of itself at random so that deliveries failing
together (an endpoint down) do not all come back in the same second.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def retry_delay_s(
    attempts: int, schedule: Sequence[float], jitter: float, rng: random.Random
) -> float:
    base = schedule[min(attempts, len(schedule)) - 1]
    if jitter <= 0:
        return base
    return base * (1 + rng.uniform(-jitter, jitter))
