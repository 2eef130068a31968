"""ThrottledWarning: the first of a burst logged, the rest counted into the next line."""

from __future__ import annotations

import logging

import pytest

from ringcast.kit import logs
from ringcast.kit.logs import ThrottledWarning


def test_a_burst_is_logged_once_and_the_next_line_counts_what_was_held_back(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(logs.time, "monotonic", lambda: now[0])
    logger = logging.getLogger("test.throttled")
    warn = ThrottledWarning(logger, every_s=10)
    with caplog.at_level(logging.WARNING, logger="test.throttled"):
        for i in range(100):
            warn.warning("dropped %s", i)
        now[0] += 9.9
        warn.warning("dropped %s", "late")
        now[0] += 0.2
        warn.warning("dropped %s", "next")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "dropped 0",
        "dropped next (and 100 more like it in the last 10 s, not logged)",
    ]
    assert warn.held_back == 0
