"""Validation issues, and pydantic errors rewritten as paths into the submitted JSON.

An `Issue` is `{path, code, message, params}`. Pydantic reports a location as a
tuple that includes the tag of each discriminated-union member it entered
(`("dtmf", "config", "prompt", 0, "audioFile", "audioId")`); the tags are
dropped so the path reads like the JSON (`...config.prompt[0].audioId`), and a
bad or missing tag is reported on the discriminator field itself
(`...type` with `unknown_node_type`, `...value.source` with `unknown_source`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ringcast.flow.graph import NODE_TYPES
from ringcast.flow.values import UNION_TAGS

_TAGS = UNION_TAGS | set(NODE_TYPES) | {"comparison", "group"}
_UNION_FIELDS = frozenset({"value", "left", "right", "config"})


@dataclass(frozen=True, slots=True)
class Issue:
    path: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "code": self.code,
            "message": self.message,
            "params": self.params,
        }


def issues_from_pydantic(exc: ValidationError, node_path: str) -> Iterator[Issue]:
    """One issue per pydantic error, its path rooted at `node_path`."""
    for err in exc.errors(include_url=False):
        loc = _strip_tags(err["loc"])
        path = node_path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        code = err["type"]
        ctx = err.get("ctx") or {}
        message = err["msg"]
        if code in ("union_tag_invalid", "union_tag_not_found"):
            disc = str(ctx.get("discriminator", "type")).strip("'")
            path += f".{disc}"
            if code == "union_tag_not_found":
                code, message = "missing", f"{disc} is required"
            else:
                code = "unknown_node_type" if not loc else f"unknown_{disc}"
        params = {
            k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
            for k, v in ctx.items()
            if k != "error"
        }
        if "discriminator" in params:
            params["discriminator"] = str(params["discriminator"]).strip("'")
        yield Issue(path, code, message, params)


def _strip_tags(loc: tuple[int | str, ...]) -> list[int | str]:
    out: list[int | str] = []
    for i, part in enumerate(loc):
        prev = loc[i - 1] if i else None
        if part in _TAGS and (i == 0 or isinstance(prev, int) or prev in _UNION_FIELDS):
            continue
        out.append(part)
    return out
