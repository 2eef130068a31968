"""Query helpers every repository shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ringcast.kit.pagination import PageParams

T = TypeVar("T")


async def paginate(
    session: AsyncSession,
    stmt: Select[T],
    params: PageParams,
    sort: ColumnElement[Any] | Any,
    tiebreak: ColumnElement[Any] | Any | None = None,
) -> tuple[Sequence[T], int]:
    """One page of `stmt` sorted by `sort` in the requested order, and the total.

    `tiebreak` (usually the primary key) keeps pages stable when sort values tie.
    """
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    order = sort.asc() if params.sort_order == "asc" else sort.desc()
    ordering = [order] if tiebreak is None else [order, tiebreak]
    rows = await session.execute(stmt.order_by(*ordering).offset(params.offset).limit(params.limit))
    return rows.scalars().all(), int(total)


def like_pattern(term: str) -> str:
    """`%term%` for LIKE with `escape="\\"`: the term's own % and _ match themselves."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
