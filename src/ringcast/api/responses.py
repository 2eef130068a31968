"""The API's JSON response: UTF-8 as Starlette writes it, and never a 500 for text that
UTF-8 cannot hold.

JSON may carry a lone surrogate escape (`"\\udc00"`), Python's parser reads it into a
str, and a value the API echoes back (the phone of a failed upsert row, a bad field's
path or params) then met `str.encode("utf-8")` in Starlette's `JSONResponse.render`:
UnicodeEncodeError, a 500 for the client's own input. Such a body is written with
every non-ASCII character escaped instead (`ensure_ascii`), which is the same JSON
value: the client reads back exactly what it sent.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError


def _ascii_json(content: Any) -> bytes:
    return json.dumps(
        content, ensure_ascii=True, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("ascii")


def model_json(model: BaseModel) -> bytes:
    """`model` as JSON bytes by its aliases (pydantic's fast path), escaped to ASCII
    when it holds text UTF-8 cannot (see the module docstring)."""
    try:
        return model.model_dump_json(by_alias=True).encode()
    except (PydanticSerializationError, UnicodeEncodeError):
        return _ascii_json(model.model_dump(mode="json", by_alias=True))


class ApiJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return _ascii_json(content)
