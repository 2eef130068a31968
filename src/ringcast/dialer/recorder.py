"""Group commit for finished calls.

Each call's task hands its attempt to `record` and waits. One writer drains
whatever has queued up into a single transaction (`DialerStore.finish`), so
at a few hundred calls per second the database sees a few commits per second
instead of one per call, with no added latency when the load is light.
"""

from __future__ import annotations

import asyncio

from ringcast.dialer.store import DialerStore, FinishItem

MAX_BATCH = 500


class BatchRecorder:
    def __init__(self, store: DialerStore) -> None:
        self.store = store
        self._queue: list[tuple[FinishItem, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, item: FinishItem) -> bool:
        """True when recorded; False when the job's lease had been lost."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                results = await self.store.finish([item for item, _ in batch])
            except Exception as exc:  # the callers decide; nothing is half-written
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), ok in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(ok)
