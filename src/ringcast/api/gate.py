"""The request gate: a pure ASGI middleware in front of every `/api` route.

In order: request id → body-size, content-type and NUL-in-URL checks → authentication
(401 codes) → per-key rate limit (headers on every authenticated response,
429 past it) → Idempotency-Key replay for mutations → the route. It is plain
ASGI (not BaseHTTPMiddleware) so a request costs one function call per layer
and bodies stream through untouched unless an idempotency key needs them.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import timedelta
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringcast.api import metrics
from ringcast.api.errors import app_error_response, error_response
from ringcast.api.state import AppState
from ringcast.auth.principal import Principal
from ringcast.auth.service import authenticate
from ringcast.db.base import utcnow
from ringcast.errors import AppError, BadRequestError, ForbiddenError
from ringcast.idempotency.repository import IdempotencyRepository
from ringcast.kit.schemas import url_holds_nul

MUTATIONS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_TYPES = ("application/json", "multipart/form-data", "text/csv")


def _presented_key(headers: Headers) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


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
        extra_headers: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
        status_box = [500]

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *extra_headers]}
            await send(message)

        try:
            if scope["path"].startswith("/api"):
                await self._api(scope, receive, send_wrapped, extra_headers)
            else:
                await self.app(scope, receive, send_wrapped)
        finally:
            route = scope.get("route")
            metrics.observe(
                scope["method"],
                getattr(route, "path", "unmatched"),
                status_box[0],
                time.perf_counter() - started,
            )

    async def _reply(self, scope: Scope, send: Send, exc: AppError) -> None:
        response = app_error_response(exc, scope["path"])
        await response(scope, self._no_body, send)

    @staticmethod
    async def _no_body() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def _api(
        self, scope: Scope, receive: Receive, send: Send, extra: list[tuple[bytes, bytes]]
    ) -> None:
        headers = Headers(scope=scope)
        method = scope["method"]
        limit = self.state.settings.max_upload_bytes
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            response = error_response(
                413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {limit} bytes", scope["path"]
            )
            await response(scope, self._no_body, send)
            return
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if (
            method in ("POST", "PUT", "PATCH")
            and (length not in (None, "0") or "transfer-encoding" in headers)
            and content_type
            and not (content_type.endswith("+json") or content_type in BODY_TYPES)
        ):
            response = error_response(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                f"Content-Type {content_type!r} is not supported; send application/json",
                scope["path"],
            )
            await response(scope, self._no_body, send)
            return

        query = scope.get("query_string", b"")
        if url_holds_nul(scope["path"], query):
            # no id or parameter holds a NUL; PostgreSQL would fail on it with a 500
            response = error_response(
                400,
                "INVALID_CHARACTER",
                "The URL must not contain NUL (%00) characters",
                scope["path"].replace("\x00", "%00"),
            )
            await response(scope, self._no_body, send)
            return

        now = utcnow()
        raw_key = _presented_key(headers)
        try:
            principal = self.state.auth_cache.get(raw_key, now) if raw_key else None
            if principal is None:
                async with self.state.sessions.begin() as session:
                    principal = await authenticate(session, raw_key, now)
                self.state.auth_cache.put(raw_key or "", principal, principal.expires_at)
        except AppError as exc:
            await self._reply(scope, send, exc)
            return
        scope["state"]["principal"] = principal

        decision = await self.state.limiter.hit(
            f"key:{principal.key_id}", principal.rate_limit_per_second, principal.rate_limit_burst
        )
        extra.extend((k.lower().encode(), v.encode()) for k, v in decision.headers().items())
        if not decision.allowed:
            response = error_response(
                429,
                "RATE_LIMITED",
                f"Too many requests; retry after {decision.retry_after} s",
                scope["path"],
            )
            await response(scope, self._no_body, send)
            return

        if method in MUTATIONS and not principal.can_write:
            await self._reply(
                scope,
                send,
                ForbiddenError("This key is read-only (agent role)", code="ROLE_FORBIDDEN"),
            )
            return

        idem_key = headers.get("idempotency-key")
        if method in MUTATIONS and idem_key:
            await self._idempotent(scope, receive, send, principal, idem_key.strip(), limit)
            return
        await self.app(scope, _limited(receive, limit), send)

    async def _idempotent(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        principal: Principal,
        key: str,
        limit: int,
    ) -> None:
        if not key or len(key) > 255:
            await self._reply(
                scope,
                send,
                BadRequestError(
                    "Idempotency-Key must be 1-255 characters", code="IDEMPOTENCY_KEY_INVALID"
                ),
            )
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                response = error_response(
                    413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {limit} bytes", scope["path"]
                )
                await response(scope, self._no_body, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        org = principal.organization_id
        ttl = timedelta(hours=self.state.settings.idempotency_ttl_hours)
        async with self.state.sessions.begin() as session:
            repo = IdempotencyRepository(session)
            await repo.purge_older_than(utcnow() - ttl)
            record = await repo.get(org, key)
            claimed = record is None and await repo.claim(org, key, fingerprint)
            # a lost claim race leaves record None: the winner is in progress
            stored = (
                (record.request_hash, record.status_code, record.content_type, record.body)
                if record is not None
                else ("", None, None, None)
            )
        if not claimed:
            request_hash, status, content_type, stored_body = stored
            if request_hash and request_hash != fingerprint:
                code, text = (
                    "IDEMPOTENCY_KEY_REUSED",
                    "Idempotency-Key was used with another request",
                )
            elif status is None:
                code, text = (
                    "IDEMPOTENCY_KEY_IN_PROGRESS",
                    "The first request with this key is still running",
                )
            else:
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", (content_type or "application/json").encode()),
                            (b"content-length", str(len(stored_body or b"")).encode()),
                            (b"idempotent-replayed", b"true"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": stored_body or b""})
                return
            response = error_response(409, code, text, scope["path"])
            await response(scope, self._no_body, send)
            return

        sent = [False]

        async def replay() -> Message:
            if sent[0]:
                return {"type": "http.disconnect"}
            sent[0] = True
            return {"type": "http.request", "body": body, "more_body": False}

        captured: dict[str, Any] = {"status": 500, "content_type": None, "body": []}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        captured["content_type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay, capture)
        finally:
            async with self.state.sessions.begin() as session:
                repo = IdempotencyRepository(session)
                if captured["status"] < 500:
                    await repo.complete(
                        org,
                        key,
                        captured["status"],
                        captured["content_type"],
                        b"".join(captured["body"]),
                    )
                else:
                    await repo.release(org, key)


def _limited(receive: Receive, limit: int) -> Receive:
    """Count streamed body bytes; past `limit` the body is cut (the route sees a 413)."""
    size = [0]

    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            size[0] += len(message.get("body", b""))
            if size[0] > limit:
                raise BodyTooLargeError(limit)
        return message

    return wrapped


class BodyTooLargeError(AppError):
    status_code = 413
    default_code = "PAYLOAD_TOO_LARGE"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body exceeds {limit} bytes")
