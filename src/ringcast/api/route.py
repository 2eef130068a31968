"""A route class that gives each request one session and commits it once.

The session opens before the endpoint runs and commits after it returned its
response (before that response is sent), or rolls back when it raised: the
unit of work is the request (polar's ADR 0003).

A JSON body is read and parsed before FastAPI sees it (`kit/json_body`): big
bodies off the event loop, with a depth and a value-count limit and a raw-bytes
NUL scan whose answer the schemas use instead of walking every value.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from ringcast.api.state import AppState
from ringcast.kit.json_body import BodyScan, body_nul_free, parse_json_body


def _is_json(request: Request) -> bool:
    """The bodies FastAPI would read as JSON: a JSON type, or no type at all."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in ("", "application/json") or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        reads_body = self.body_field is not None

        async def run(request: Request) -> Response:
            nul_free = False
            if reads_body and _is_json(request):
                scan = BodyScan()
                async for chunk in request.stream():
                    scan.feed(chunk)
                body = request._body = scan.body()  # what `await request.body()` returns
                if body:
                    parsed = await parse_json_body(body, scan.nul_free)
                    request._json = parsed.value  # what `await request.json()` returns
                    nul_free = parsed.nul_free
            token = body_nul_free.set(nul_free)
            try:
                return await unit_of_work(request)
            finally:
                body_nul_free.reset(token)

        async def unit_of_work(request: Request) -> Response:
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
