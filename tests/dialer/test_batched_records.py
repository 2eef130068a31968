"""The per-call database work at high call rates: one clip load per execution however
many calls start at once, and a batch of records that meets a locked database tried
again rather than lost."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from ringcast.dialer import recorder
from ringcast.dialer.recorder import BatchRecorder
from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.flow.compiled import compile_flow
from ringcast.storage.local import LocalStorage

GRAPH: dict[str, Any] = {
    "startNodeId": "bye",
    "nodes": [{"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}}],
}


class _Sessions:
    def __init__(self) -> None:
        self.opened = 0

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        self.opened += 1
        yield None


async def test_calls_starting_together_share_one_clip_load(tmp_path: Path) -> None:
    sessions = _Sessions()
    launcher = SipLauncher(sessions, LocalStorage(tmp_path))  # type: ignore[arg-type]
    loads: list[str] = []
    fail = [True]

    async def preload(_session: Any, org: str, *_ids: Any) -> None:
        loads.append(org)
        await asyncio.sleep(0.05)
        if fail[0]:
            fail[0] = False
            raise OperationalError("SELECT", {}, Exception("database is locked"))

    launcher.library.preload = preload  # type: ignore[method-assign,assignment]
    flow = compile_flow(GRAPH)
    first = await asyncio.gather(
        *(launcher._preload("e1", "org", flow) for _ in range(300)), return_exceptions=True
    )
    assert len(loads) == 1 and all(isinstance(r, OperationalError) for r in first)
    # the failed load is not remembered: the next calls load again, once
    await asyncio.gather(*(launcher._preload("e1", "org", flow) for _ in range(300)))
    await launcher._preload("e1", "org", flow)
    assert len(loads) == 2 and sessions.opened == 2
    launcher.clock.close()


class _FlakyStore:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def finish(self, items: list[Any]) -> list[bool]:
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return [True for _ in items]


async def test_a_locked_database_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder, "RETRY_DELAYS_S", (0.0, 0.0, 0.0))
    store = _FlakyStore(failures=2)
    assert await BatchRecorder(store).record(object()) is True  # type: ignore[arg-type]
    assert store.calls == 3


async def test_a_database_that_stays_locked_fails_the_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recorder, "RETRY_DELAYS_S", (0.0, 0.0, 0.0))
    store = _FlakyStore(failures=10)
    with pytest.raises(OperationalError):
        await BatchRecorder(store).record(object())  # type: ignore[arg-type]
    assert store.calls == 4
