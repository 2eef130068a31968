"""Per-key rate limiting with the `limits` library.

A key may make `burst` requests in any window of `burst / rate` seconds (a
moving window), which allows a burst of `burst` and sustains `rate` per
second. Counters live in memory, or in Redis when a Redis URL is configured so
every API process shares them.

When the shared store fails (Redis stopped or unreachable) the limiter falls
back to per-process counters in memory — the API keeps answering, each
process limiting on its own — says so once in the log, shows it in `/metrics`
(`ringcast_rate_limit_degraded`) and `/health` (`"rateLimit": "degraded"`), and
tries the store again every `RETRY_SECONDS`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from ringcast.api import metrics

log = logging.getLogger("ringcast.api")

RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # epoch seconds when the window frees a slot
    retry_after: int  # seconds; 0 when allowed

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def make_storage(redis_url: str | None) -> Storage:
    if redis_url:
        url = redis_url
        if url.startswith(("redis://", "rediss://")):
            url = "async+" + url
        return cast(Storage, storage_from_string(url, implementation="redispy"))
    return MemoryStorage()


async def _decide(
    limiter: MovingWindowRateLimiter, item: RateLimitItemPerSecond, key: str
) -> RateDecision:
    allowed = await limiter.hit(item, key)
    stats = await limiter.get_window_stats(item, key)
    reset_at = math.ceil(stats.reset_time)
    retry_after = 0 if allowed else max(1, math.ceil(stats.reset_time - time.time()))
    return RateDecision(allowed, item.amount, stats.remaining, reset_at, retry_after)


class RateLimiter:
    def __init__(self, storage: Storage, default_rate: int, default_burst: int) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self.storage = storage
        self.default_rate = default_rate
        self.default_burst = default_burst
        self.degraded = False
        self._retry_at = 0.0

    @staticmethod
    def item(rate: int, burst: int) -> RateLimitItemPerSecond:
        burst = max(burst, rate)
        return RateLimitItemPerSecond(burst, max(1, math.ceil(burst / rate)))

    async def hit(
        self, key: str, rate: int | None = None, burst: int | None = None
    ) -> RateDecision:
        item = self.item(rate or self.default_rate, burst or self.default_burst)
        if self.degraded and time.monotonic() < self._retry_at:
            return await _decide(self._local, item, key)
        try:
            decision = await _decide(self._limiter, item, key)
        except Exception as exc:  # any failure of the shared store: never a 500
            self._degrade(exc)
            return await _decide(self._local, item, key)
        if self.degraded:
            self.degraded = False
            metrics.RATE_LIMIT_DEGRADED.set(0)
            log.warning("rate limit store is back; limits are shared again")
        return decision

    def _degrade(self, exc: Exception) -> None:
        self._retry_at = time.monotonic() + RETRY_SECONDS
        if self.degraded:
            return
        self.degraded = True
        metrics.RATE_LIMIT_DEGRADED.set(1)
        log.error(
            "rate limit store failed (%s: %s); limiting per process until it is back",
            type(exc).__name__,
            exc,
        )
