"""The text of JSON columns: `json.dumps` / `json.loads` without their per-call set-up.

SQLAlchemy encodes every JSON bind value and decodes every JSON result with
these (`db/engine.create_engine`). `json.dumps` builds a new C encoder (and a
markers dict) on every call and `json.loads` goes through two Python layers
and two regex matches around the C scanner; for the small objects stored here
(a contact's custom attributes) that set-up is most of the cost (about 2-3 µs
of 3 per value, a few percent of a bulk upsert). Here the C encoder and
scanner are built once, with `json`'s defaults, so the text written and the
values read are exactly those of `json.dumps(value)` and `json.loads(text)`
(`tests/db/test_json_codec.py` checks it against them).
"""

from __future__ import annotations

import json
import json.scanner
from typing import Any

__all__ = ["dumps", "loads"]

_DEFAULTS = json.JSONEncoder()
# json's own pieces (private names, hence getattr): the C encoder when the
# accelerator is there, the whitespace pattern json.loads skips
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_encode: Any = (
    _c_make_encoder(
        # markers=None: no cycle check; a cycle ends in RecursionError instead of
        # ValueError (values come from JSON or the code, never cyclic)
        None,
        _DEFAULTS.default,
        json.encoder.encode_basestring_ascii,  # ensure_ascii=True
        None,  # indent
        _DEFAULTS.key_separator,
        _DEFAULTS.item_separator,
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    if _c_make_encoder is not None
    else None
)
_scan_once: Any = getattr(json.scanner, "make_scanner")(json.JSONDecoder())  # noqa: B009
_skip: Any = getattr(json.decoder, "WHITESPACE").match  # noqa: B009


def dumps(value: Any) -> str:
    """`json.dumps(value)`."""
    if _encode is None or isinstance(value, str):
        return json.dumps(value)
    return "".join(_encode(value, 0))


def loads(text: str | bytes) -> Any:
    """`json.loads(text)`."""
    if not isinstance(text, str):
        return json.loads(text)
    try:
        value, end = _scan_once(text, _skip(text, 0).end())
    except StopIteration:
        return json.loads(text)  # not a value: json's own error
    if end != len(text) and _skip(text, end).end() != len(text):
        return json.loads(text)  # extra data: json's own error
    return value
