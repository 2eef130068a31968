"""A route class that gives each request one session and commits it once.

The session opens before the endpoint runs and commits after it returned its
response (before that response is sent), or rolls back when it raised: the
unit of work is the request (polar's ADR 0003).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from ringcast.api.state import AppState


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            state: AppState = request.app.state.ringcast
            async with state.sessions() as session:
                request.state.session = session
                try:
                    response = await handler(request)
                except BaseException:
                    await session.rollback()
                    raise
                await session.commit()
                return response

        return run


def domain_router(prefix: str, tag: str) -> APIRouter:
    """The router every domain package uses: its routes are units of work."""
    return APIRouter(prefix=prefix, tags=[tag], route_class=UnitOfWorkRoute)
