"""`FarmProcess`: the callee farm in a process of its own, as a far end is.

The demo used to run its callees on the event loop that also ran the API and
the dialer: every callee's SIP, RTP and prompt listening took turns with the
calls it was checking, and on a loaded machine one process (one core's share)
did the work of both ends. Here the farm runs `CalleeFarm` on its own loop in a
child process (spawned: nothing of the parent's loop or sockets is inherited)
and answers a few requests over a pipe: its address once started, how many
calls it has seen (a shared counter, read without a round trip), and its
`CalleeRecord`s (on request and when it stops). `time.monotonic()` is one
clock for every process of the host, so the records' times compare with the
parent's.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from ringcast.calleefarm.behaviour import BehaviourBook
from ringcast.calleefarm.farm import CalleeFarm, CalleeRecord
from ringcast.kit.fds import prepare_fds

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


class FarmProcess:
    def __init__(self, book: BehaviourBook, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.book = book
        self.host = host
        self.port = port
        self.records: list[CalleeRecord] = []
        """The farm's records as of the last `refresh()` (and all of them after `stop()`)."""
        self._address: tuple[str, int] | None = None
        context = multiprocessing.get_context("spawn")
        self._calls: Synchronized[int] = context.Value("i", 0)
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_main,
            args=(child, book, host, port, self._calls),
            name="ringcast-callee-farm",
            daemon=True,  # never outlives the demo
        )
        self._child_conn = child
        self._lock = asyncio.Lock()

    @property
    def address(self) -> tuple[str, int]:
        if self._address is None:
            raise RuntimeError("start() the farm first")
        return self._address

    @property
    def calls_seen(self) -> int:
        """INVITEs the farm has received so far (live, no round trip)."""
        return int(self._calls.value)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def exitcode(self) -> int | None:
        """None while the process runs."""
        return self._process.exitcode

    async def start(self) -> None:
        self._process.start()
        self._child_conn.close()  # ours is closed: the child's end of the pipe alone
        reply = await self._receive(START_TIMEOUT_S)
        if reply[0] != "address":
            raise RuntimeError(f"the callee farm did not start: {reply[1]}")
        self._address = (str(reply[1]), int(reply[2]))

    async def refresh(self) -> list[CalleeRecord]:
        """Fetch the farm's records now."""
        async with self._lock:
            self._conn.send(("records",))
            reply = await self._receive(STOP_TIMEOUT_S)
        self.records = reply[1]
        return self.records

    async def stop(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(OSError, EOFError, TimeoutError):
                async with self._lock:
                    self._conn.send(("stop",))
                    reply = await self._receive(STOP_TIMEOUT_S)
                self.records = reply[1]
        await asyncio.to_thread(self._process.join, STOP_TIMEOUT_S)
        if self._process.is_alive():
            self._process.kill()
            await asyncio.to_thread(self._process.join)
        self._conn.close()

    def records_for(self, number: str) -> list[CalleeRecord]:
        key = number.lstrip("+")
        return [r for r in self.records if r.number.lstrip("+") == key]

    async def _receive(self, timeout_s: float) -> Any:
        def wait() -> Any:
            if not self._conn.poll(timeout_s):
                raise TimeoutError("the callee farm process did not answer")
            return self._conn.recv()

        return await asyncio.to_thread(wait)


def _main(
    conn: Connection, book: BehaviourBook, host: str, port: int, calls: Synchronized[int]
) -> None:
    # its log lines say whose they are (the farm's media clock is not the dialer's)
    logging.basicConfig(level="WARNING", format="%(levelname)s callee-farm %(name)s: %(message)s")
    prepare_fds()  # two sockets a call, like the dialer's (kit/fds.py)
    asyncio.run(_serve(conn, book, host, port, calls))


async def _serve(
    conn: Connection, book: BehaviourBook, host: str, port: int, calls: Synchronized[int]
) -> None:
    farm = CalleeFarm(book, host=host, port=port)
    try:
        await farm.start()
    except OSError as exc:
        conn.send(("error", str(exc)))
        return
    conn.send(("address", *farm.address))
    gc.freeze()  # start-up objects are never garbage: full collections skip them

    async def count() -> None:
        while True:
            calls.value = len(farm.records)
            await asyncio.sleep(0.2)

    counting = asyncio.create_task(count())
    try:
        while True:
            try:
                request = await asyncio.to_thread(_next_request, conn)
            except EOFError:  # the parent is gone
                return
            if request is None:
                continue
            if request[0] == "records":
                conn.send(("records", list(farm.records)))
            elif request[0] == "stop":
                break
    finally:
        counting.cancel()
        await farm.stop()
    conn.send(("records", list(farm.records)))


def _next_request(conn: Connection) -> Any:
    """The next request, or None after a second (so the loop can be cancelled)."""
    return conn.recv() if conn.poll(1.0) else None
