"""Overload control: a process that is full starts no new call.

A process is full when it carries its configured most calls (`max_calls`, inbound
and outbound together), or when its media clock runs late: the clock's lateness
averaged over about the last second (`ClockStats.recent_late_ms`) above
`max_late_ms`, which is what every live call's audio hears first. While full:

- a new inbound INVITE is answered `503 Service Unavailable` with `Retry-After`
  (`UserAgent._new_invite`, through the server transaction, so the 503 is
  retransmitted until ACKed), counted in `refused`;
- the dialer claims no new jobs (`room()` is 0): they stay pending in the
  database, queued, and start once there is room again; nothing fails.

Calls already up are never touched: refusing new work is how they keep their
media. The guard does no I/O; it reads counters the clock already keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from ringcast.telephony.media.clock import MediaClock

OverloadReason = Literal["max_calls", "media_clock_late"]
DEFAULT_MAX_LATE_MS: Final = 40.0


@dataclass(frozen=True, slots=True)
class OverloadConfig:
    max_calls: int | None = None
    """Calls this process may carry at once (None: no cap)."""
    max_late_ms: float | None = DEFAULT_MAX_LATE_MS
    """Recent media clock lateness that counts as full (None: not watched)."""
    retry_after_s: int = 5
    """The Retry-After of a 503."""


class OverloadGuard:
    """Counts the process's calls and says whether one more may start."""

    def __init__(self, config: OverloadConfig | None = None, clock: MediaClock | None = None):
        self.config = config or OverloadConfig()
        self.clock = clock
        self.lateness: Callable[[], float] | None = None
        """Where the media clocks run elsewhere (media workers): their worst lateness."""
        self.active = 0
        self.refused = 0
        """Inbound INVITEs answered 503 because the process was full."""

    def enter(self) -> None:
        """A call started (it counts until `leave`)."""
        self.active += 1

    def leave(self) -> None:
        self.active = max(0, self.active - 1)

    def late_ms(self) -> float:
        own = self.clock.stats.recent_late_ms if self.clock is not None else 0.0
        return max(own, self.lateness()) if self.lateness is not None else own

    def reason(self) -> OverloadReason | None:
        """Why the process is full now, or None when a new call may start."""
        cap = self.config.max_calls
        if cap is not None and self.active >= cap:
            return "max_calls"
        limit = self.config.max_late_ms
        if limit is not None and self.late_ms() > limit:
            return "media_clock_late"
        return None

    def room(self) -> int | None:
        """How many more calls may start now (None: no cap and not late)."""
        if self.reason() is not None:
            return 0
        cap = self.config.max_calls
        return None if cap is None else cap - self.active

    def refuse(self) -> None:
        self.refused += 1
