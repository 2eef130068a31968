"""The callee farm in its own process (the demo's far end, issue 21), called by sipp."""

from __future__ import annotations

import asyncio
import subprocess

from ringcast.calleefarm import Behaviour, BehaviourBook
from ringcast.calleefarm.process import FarmProcess
from support import require_tool

HOST = "127.0.0.40"  # this area's loopback address


async def call(port: int, number: str) -> int:
    """One call from sipp's built-in UAC scenario (INVITE, ACK, BYE); its exit code."""
    sipp = await asyncio.create_subprocess_exec(
        "sipp", "-sn", "uac", "-s", number, "-i", HOST, "-p", "0", "-m", "1", "-d", "500",
        "-nostdin", "-timeout", "20s", "-timeout_error", f"{HOST}:{port}",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return await sipp.wait()


async def test_the_farm_process_answers_by_script_and_reports_what_it_saw():
    require_tool("sipp")
    book = BehaviourBook()
    book.set("+212600000001", Behaviour("busy"))
    book.set("+212600000002", Behaviour("human", (), ring_ms=100))
    farm = FarmProcess(book, host=HOST)
    await farm.start()
    try:
        host, port = farm.address
        assert host == HOST and port > 0 and farm.pid is not None
        assert await call(port, "+212600000001") != 0  # 486: sipp counts a failed call
        assert await call(port, "+212600000002") == 0
        for _ in range(50):
            if farm.calls_seen == 2:
                break
            await asyncio.sleep(0.1)
        assert farm.calls_seen == 2
        seen = await farm.refresh()
        assert [(r.number.lstrip("+"), r.refused_with) for r in seen] == [
            ("212600000001", 486),
            ("212600000002", None),
        ]
    finally:
        await farm.stop()
    human = farm.records_for("+212600000002")
    assert len(human) == 1 and human[0].answered and human[0].ended_at is not None
    assert farm.exitcode == 0  # stopped cleanly, not killed
