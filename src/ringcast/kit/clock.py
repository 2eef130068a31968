"""The application's clock: aware UTC now (column defaults, services).

The dialer takes its time from an injected `dialer.clock.Clock` instead.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
