"""A short-lived, per-process cache of authenticated keys.

Looking a key up costs a database round trip (≈ 2 ms on SQLite through
aiosqlite); the cache answers repeat requests in microseconds. An entry lives
`ttl_s` seconds, so a key revoked through another API process stops working
within that time; revocation through this process drops the entry at once.
Key expiry is checked on every hit, not only at lookup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from ringcast.auth.principal import Principal
from ringcast.errors import UnauthorizedError


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    expires_at: datetime | None
    cached_at: float


class AuthCache:
    def __init__(self, ttl_s: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, _Entry] = {}

    def get(self, raw_key: str, now: datetime) -> Principal | None:
        entry = self._entries.get(raw_key)
        if entry is None:
            return None
        if time.monotonic() - entry.cached_at > self.ttl_s:
            del self._entries[raw_key]
            return None
        if entry.expires_at is not None and entry.expires_at <= now:
            del self._entries[raw_key]
            raise UnauthorizedError("This API key has expired", code="API_KEY_EXPIRED")
        return entry.principal

    def put(self, raw_key: str, principal: Principal, expires_at: datetime | None) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[raw_key] = _Entry(principal, expires_at, time.monotonic())

    def invalidate_key(self, key_id: str) -> None:
        for raw, entry in list(self._entries.items()):
            if entry.principal.key_id == key_id:
                del self._entries[raw]
