"""The list envelope `{data, meta}` and its query parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, Literal, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from ringcast.errors import FieldIssue, ValidationFailedError
from ringcast.kit.schemas import Schema

T = TypeVar("T")

MAX_LIMIT = 100
# The offset `(page - 1) * limit` must fit a 64-bit SQL integer; past this no
# one is paging anyway, and an unbounded page overflowed SQLite into a 500.
MAX_PAGE = 1_000_000


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int = 1
    limit: int = 20
    search: str | None = None
    sort_by: str | None = None
    sort_order: Literal["asc", "desc"] = "desc"

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def checked_sort(self, allowed: Sequence[str], default: str) -> str:
        """The sort field, or a 400 naming the allowed ones."""
        if self.sort_by is None:
            return default
        if self.sort_by not in allowed:
            raise ValidationFailedError.single(
                "sortBy",
                "invalid_choice",
                f"sortBy must be one of: {', '.join(allowed)}",
                allowed=list(allowed),
            )
        return self.sort_by


def page_params(
    # bounds checked below (for our own messages) and declared for /openapi.json
    page: Annotated[int, Query(json_schema_extra={"minimum": 1, "maximum": MAX_PAGE})] = 1,
    limit: Annotated[
        int,
        Query(
            description=f"Page size, at most {MAX_LIMIT} (a larger value is served as {MAX_LIMIT})",
            json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},
        ),
    ] = 20,
    search: Annotated[str | None, Query(max_length=200)] = None,
    sort_by: Annotated[str | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[
        str, Query(alias="sortOrder", json_schema_extra={"enum": ["asc", "desc"]})
    ] = "desc",
) -> PageParams:
    issues: list[tuple[str, str, str, dict[str, object]]] = []
    if page < 1:
        issues.append(("page", "min_value", "page must be 1 or more", {"min": 1}))
    elif page > MAX_PAGE:
        issues.append(("page", "max_value", f"page must be at most {MAX_PAGE}", {"max": MAX_PAGE}))
    if limit < 1:
        issues.append(("limit", "min_value", "limit must be 1 or more", {"min": 1}))
    if sort_order not in ("asc", "desc"):
        issues.append(("sortOrder", "invalid_choice", "sortOrder must be asc or desc", {}))
    if issues:
        raise ValidationFailedError(
            "Invalid list parameters",
            issues=[FieldIssue(p, c, m, params) for p, c, m, params in issues],
        )
    order: Literal["asc", "desc"] = "asc" if sort_order == "asc" else "desc"
    search = search.strip() or None if search else None
    return PageParams(page, min(limit, MAX_LIMIT), search, sort_by, order)


class PageMeta(Schema):
    page: int
    limit: int
    total: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool


class Page(BaseModel, Generic[T]):
    data: list[T]
    meta: PageMeta = Field()

    @classmethod
    def build(cls, items: Sequence[T], total: int, params: PageParams) -> Page[T]:
        total_pages = math.ceil(total / params.limit) if total else 0
        return cls(
            data=list(items),
            meta=PageMeta(
                page=params.page,
                limit=params.limit,
                total=total,
                total_pages=total_pages,
                has_next_page=params.page < total_pages,
                has_previous_page=params.page > 1,
            ),
        )


PageDep = Annotated[PageParams, Depends(page_params)]
"""Endpoint parameter: `params: PageDep`."""
