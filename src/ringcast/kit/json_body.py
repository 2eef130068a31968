"""Reading a JSON request body without freezing the event loop.

`BodyScan` takes the body chunk by chunk as it arrives (each chunk scanned in
C in microseconds, so the loop never holds on one big scan):
1. a raw-bytes scan for NUL (`\\u0000` or a raw 0x00) — when there is none,
   no schema needs to walk the parsed values looking for one (`kit/schemas`);
2. a bound on the number of values (commas counted on the raw bytes, an upper
   bound), so one parse holds the GIL for a bounded time → 413 as soon as it
   is passed, without reading the rest.
`parse_json_body` then parses, off the loop for bodies past `INLINE_BYTES`:
3. the parse (pydantic-core's, which stops at `MAX_DEPTH` levels) → 400
   `JSON_TOO_DEEP` past it; text pydantic-core refuses but the standard
   library reads (a lone surrogate escape) is read as before, the rest is
   `MALFORMED_JSON`.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic_core import from_json

from ringcast.errors import BadRequestError, PayloadTooLargeError
from ringcast.kit.offload import off_loop

INLINE_BYTES = 64 * 1024
MAX_DEPTH = 200  # pydantic-core's recursion limit
MAX_VALUES = 1_000_000  # ~0.2 s of parsing on one core; a 1000-row upsert needs far fewer

body_nul_free: ContextVar[bool] = ContextVar("body_nul_free", default=False)
"""True while a request whose raw JSON body holds no NUL is being handled."""


@dataclass(frozen=True, slots=True)
class ParsedBody:
    value: Any
    nul_free: bool


def malformed() -> BadRequestError:
    return BadRequestError("Request body is not valid JSON", code="MALFORMED_JSON")


NUL_ESCAPE = b"\\u0000"


class BodyScan:
    """Collects a JSON body's chunks, counting values and looking for NUL."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.values = 1
        self.nul_free = True
        self._tail = b""  # the last bytes of the previous chunk: an escape may straddle

    def feed(self, chunk: bytes) -> None:
        self.values += chunk.count(b",")
        if self.values > MAX_VALUES:
            raise PayloadTooLargeError(
                f"The JSON body holds more than {MAX_VALUES} values",
                code="JSON_TOO_MANY_VALUES",
                extra={"maxValues": MAX_VALUES},
            )
        if self.nul_free:
            # `\\u0000` (an escaped backslash) counts too: a false alarm only costs the walk
            seam = self._tail + chunk[: len(NUL_ESCAPE)]
            self.nul_free = not (NUL_ESCAPE in chunk or b"\x00" in chunk or NUL_ESCAPE in seam)
            self._tail = (self._tail + chunk)[-(len(NUL_ESCAPE) - 1) :]
        self.chunks.append(chunk)

    def body(self) -> bytes:
        return b"".join(self.chunks)


def _parse(body: bytes, nul_free: bool) -> ParsedBody:
    try:
        return ParsedBody(from_json(body), nul_free)
    except ValueError as exc:
        if "recursion limit" in str(exc):
            raise BadRequestError(
                f"The JSON body is nested deeper than {MAX_DEPTH} levels",
                code="JSON_TOO_DEEP",
                extra={"maxDepth": MAX_DEPTH},
            ) from None
    try:
        return ParsedBody(json.loads(body), nul_free)
    except (ValueError, RecursionError):
        raise malformed() from None


async def parse_json_body(body: bytes, nul_free: bool) -> ParsedBody:
    if len(body) <= INLINE_BYTES:
        return _parse(body, nul_free)
    return await off_loop(_parse, body, nul_free)
