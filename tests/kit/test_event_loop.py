"""RINGCAST_EVENT_LOOP: the loop `ringcast dialer` runs on, and its fallback."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest
import uvloop
from pydantic import ValidationError

from ringcast.kit import event_loop
from ringcast.settings import Settings


async def _loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_auto_and_uvloop_run_on_uvloop() -> None:
    assert event_loop.run(_loop_type(), "auto") is uvloop.Loop
    assert event_loop.run(_loop_type(), "uvloop") is uvloop.Loop
    assert event_loop.run(_loop_type(), "uvloop", carries_media=True) is uvloop.Loop


def test_auto_keeps_asyncio_for_a_loop_that_carries_the_media_clock() -> None:
    assert not issubclass(event_loop.run(_loop_type(), "auto", carries_media=True), uvloop.Loop)


def test_asyncio_never_uses_uvloop() -> None:
    assert not issubclass(event_loop.run(_loop_type(), "asyncio"), uvloop.Loop)


def test_without_uvloop_installed_it_falls_back_to_asyncio(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError
    with caplog.at_level(logging.WARNING, "ringcast"):
        assert not issubclass(event_loop.run(_loop_type(), "auto"), uvloop.Loop)
        assert not caplog.records  # auto: asyncio quietly
        assert not issubclass(event_loop.run(_loop_type(), "uvloop"), uvloop.Loop)
    assert "uvloop is not installed" in caplog.text  # asked for it: said so


def test_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().event_loop == "auto"
    monkeypatch.setenv("RINGCAST_EVENT_LOOP", "asyncio")
    assert Settings().event_loop == "asyncio"
    monkeypatch.setenv("RINGCAST_EVENT_LOOP", "trio")
    with pytest.raises(ValidationError):
        Settings()
