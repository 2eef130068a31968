"""The request gate: a pure ASGI middleware in front of every `/api` route.

In order: request id → body-size, content-type and NUL-in-URL checks → authentication
(401 codes) → per-key rate limit (headers on every authenticated response,
429 past it) → agent keys refused on writes → the next layer (the
Idempotency-Key middleware, `idempotency/middleware.py`, then the route). It is
plain ASGI (not BaseHTTPMiddleware) so a request costs one function call per
layer and bodies stream through untouched, counted against the size limit.

Every refusal is an `AppError` raised by a small check; `_api` catches it (and
those the idempotency layer raises) and answers with the same
`app_error_response` the exception handlers use, so the envelope is built in
one place.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy.exc import DBAPIError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringcast.api import metrics
from ringcast.api.errors import app_error_response
from ringcast.api.ratelimit import RateDecision
from ringcast.api.state import AppState
from ringcast.auth.principal import Principal
from ringcast.auth.service import authenticate
from ringcast.db.base import utcnow
from ringcast.db.dialect import is_busy
from ringcast.errors import (
    AppError,
    BadRequestError,
    DatabaseBusyError,
    ForbiddenError,
    PayloadTooLargeError,
    RateLimitedError,
    UnsupportedMediaTypeError,
)
from ringcast.kit.schemas import url_holds_nul

MUTATIONS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_TYPES = ("application/json", "multipart/form-data", "text/csv")
HeaderList = list[tuple[bytes, bytes]]


def _presented_key(headers: Headers) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"Request body exceeds {limit} bytes")


def check_request(scope: Scope, headers: Headers, limit: int) -> None:
    """What can be refused before anyone is authenticated: size, type, NUL in the URL."""
    length = headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise too_large(limit)
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if (
        scope["method"] in ("POST", "PUT", "PATCH")
        and (length not in (None, "0") or "transfer-encoding" in headers)
        and content_type
        and not (content_type.endswith("+json") or content_type in BODY_TYPES)
    ):
        raise UnsupportedMediaTypeError(
            f"Content-Type {content_type!r} is not supported; send application/json"
        )
    if url_holds_nul(scope["path"], scope.get("query_string", b"")):
        # no id or parameter holds a NUL; PostgreSQL would fail on it with a 500
        raise BadRequestError(
            "The URL must not contain NUL (%00) characters", code="INVALID_CHARACTER"
        )


def check_decision(decision: RateDecision) -> None:
    if not decision.allowed:
        # Retry-After and the X-RateLimit-* headers ride on every response (the gate adds them)
        raise RateLimitedError(f"Too many requests; retry after {decision.retry_after} s")


def limited(receive: Receive, limit: int) -> Receive:
    """Count streamed body bytes; past `limit` reading raises a 413."""
    size = [0]

    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            size[0] += len(message.get("body", b""))
            if size[0] > limit:
                raise too_large(limit)
        return message

    return wrapped


class Gate:
    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        extra_headers: HeaderList = [(b"x-request-id", request_id.encode())]
        status_box = [0]

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *extra_headers]}
            await send(message)

        try:
            if scope["path"].startswith("/api"):
                await self._api(scope, receive, send_wrapped, extra_headers, status_box)
            else:
                await self.app(scope, receive, send_wrapped)
        finally:
            route = scope.get("route")
            metrics.observe(
                scope["method"],
                getattr(route, "path", "unmatched"),
                status_box[0] or 500,
                time.perf_counter() - started,
            )

    async def _api(
        self, scope: Scope, receive: Receive, send: Send, extra: HeaderList, status: list[int]
    ) -> None:
        headers = Headers(scope=scope)
        limit = self.state.settings.max_upload_bytes
        try:
            check_request(scope, headers, limit)
            principal = await self._authenticate(headers)
            scope["state"]["principal"] = principal
            decision = await self.state.limiter.hit(
                f"key:{principal.key_id}",
                principal.rate_limit_per_second,
                principal.rate_limit_burst,
            )
            extra.extend((k.lower().encode(), v.encode()) for k, v in decision.headers().items())
            check_decision(decision)
            if scope["method"] in MUTATIONS and not principal.can_write:
                raise ForbiddenError("This key is read-only (agent role)", code="ROLE_FORBIDDEN")
            await self.app(scope, limited(receive, limit), send)
        except AppError as exc:
            if status[0]:  # the response is under way: too late to answer otherwise
                raise
            response = app_error_response(exc, scope["path"].replace("\x00", "%00"))
            await response(scope, _no_body, send)

    async def _authenticate(self, headers: Headers) -> Principal:
        now = utcnow()
        raw_key = _presented_key(headers)
        principal = self.state.auth_cache.get(raw_key, now) if raw_key else None
        if principal is None:
            try:
                async with self.state.sessions.begin() as session:
                    principal = await authenticate(session, raw_key, now)
            except DBAPIError as exc:  # the key's lookup waited out another's write lock
                if is_busy(exc):
                    raise DatabaseBusyError() from exc
                raise
            self.state.auth_cache.put(raw_key or "", principal, principal.expires_at)
        return principal


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
