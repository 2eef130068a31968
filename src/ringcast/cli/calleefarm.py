"""`ringcast callee-farm`: run scripted callees on a loopback SIP port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Annotated

import typer

from ringcast.calleefarm import BehaviourBook, CalleeFarm
from ringcast.calleefarm.behaviour import SUFFIX_RULES
from ringcast.kit.fds import prepare_fds


def _keys(digits: tuple[str, ...]) -> str:
    """("9", "1") → "presses 9, then 1"; "" at a prompt is pressing nothing."""
    return "presses " + ", then ".join(d or "nothing" for d in digits)


def _rules() -> str:
    lines = []
    for span, b in SUFFIX_RULES:
        what = b.kind + (f", {_keys(b.digits)}" if b.digits else "")
        if b.hangup_after_ms:
            what += f", hangs up after {b.hangup_after_ms} ms"
        lines.append(f"  ..{span.start:02d}-{span.stop - 1:02d}: {what}")
    return "\n".join(lines)


def callee_farm(
    host: Annotated[str, typer.Option(help="Loopback address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="SIP UDP port")] = 5080,
    script: Annotated[
        Path | None,
        typer.Option(help='JSON {"+2126...": {"kind": "human", "digits": ["1"]}, ...}'),
    ] = None,
) -> None:
    """Answer every INVITE as a scripted callee (for demos, tests and benchmarks).

    Numbers not in --script follow their last two digits.
    """
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    book = BehaviourBook.load(script) if script else BehaviourBook()
    prepare_fds()  # two sockets a call (kit/fds.py)

    async def main() -> None:
        farm = CalleeFarm(book, host=host, port=port)
        await farm.start()
        typer.echo(f"callee farm listening on sip:{host}:{farm.address[1]} (UDP)")
        try:
            await asyncio.Event().wait()
        finally:
            await farm.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


callee_farm.__doc__ = (callee_farm.__doc__ or "") + "\n\n\b\n" + _rules()
