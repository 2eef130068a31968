"""Group commit for finished calls.

Each call's task hands its attempt to `record` and waits. One writer drains
whatever has queued up into a single transaction (`DialerStore.finish`), so
at a few hundred calls per second the database sees a few commits per second
instead of one per call, with no added latency when the load is light.

A batch whose transaction fails on the database (SQLite's lock wait timing out, a
PostgreSQL connection dropped) is tried again a few times with back-off before its
calls see the error: the transaction rolled back whole and every step is guarded by
lease owner and attempt, so a second try applies each item at most once. A call
whose record still fails keeps its lease until it expires and is then recovered as
`worker_lost`, as if the process had died.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import OperationalError

from ringcast.dialer.store import DialerStore, FinishItem

MAX_BATCH = 500
RETRY_DELAYS_S = (0.2, 1.0, 3.0)  # a failed batch's next tries
log = logging.getLogger("ringcast.dialer")


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
                results = await self._finish([item for item, _ in batch])
            except Exception as exc:  # the callers decide; nothing is half-written
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), ok in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(ok)

    async def _finish(self, items: list[FinishItem]) -> list[bool]:
        for delay in RETRY_DELAYS_S:
            try:
                return await self.store.finish(items)
            except OperationalError as exc:
                log.warning("recording %d calls failed (%s); again in %.1f s",
                            len(items), exc.orig, delay)  # fmt: skip
                await asyncio.sleep(delay)
        return await self.store.finish(items)
