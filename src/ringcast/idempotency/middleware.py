"""Idempotency-Key replay for mutations, as a pure ASGI middleware.

It sits right behind the gate (api/gate.py), which has authenticated the
request and put its `Principal` in `scope["state"]`. For a mutation carrying an
`Idempotency-Key` it reads the body, fingerprints method + path + query + body,
and then, in the organization's key space:

- a new key: claims it (a pending record), runs the route, and stores the
  response (status, content type, body) — or releases the key on a 5xx, so a
  retry may run again;
- a stored response with the same fingerprint: replays it
  (`Idempotent-Replayed: true`) without running the route;
- another fingerprint, or a first request still running: 409.

Expected failures are raised as `AppError`s (the gate answers them in the
contract's envelope); nothing here builds an error response.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringcast.auth.principal import Principal
from ringcast.db.base import utcnow
from ringcast.errors import BadRequestError, ConflictError
from ringcast.idempotency.repository import IdempotencyRepository
from ringcast.settings import Settings

MUTATIONS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255


@dataclass(slots=True)
class _Captured:
    """The route's response as it streams out, to be stored for replays."""

    status: int = 500
    content_type: str | None = None
    body: list[bytes] = field(default_factory=list)

    def see(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    self.content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            self.body.append(message.get("body", b""))


def fingerprint(scope: Scope, body: bytes) -> str:
    parts = [scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b"")]
    return hashlib.sha256(b"\n".join([*parts, body])).hexdigest()


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body; None when the client went away first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_stored(send: Send, status: int, content_type: str | None, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", (content_type or "application/json").encode()),
                (b"content-length", str(len(body)).encode()),
                (b"idempotent-replayed", b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def replay_once(body: bytes) -> Receive:
    """A `receive` that hands the buffered body to the route once."""
    sent = [False]

    async def receive() -> Message:
        if sent[0]:
            return {"type": "http.disconnect"}
        sent[0] = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get("state", {}).get("principal") if scope["type"] == "http" else None
        key = Headers(scope=scope).get("idempotency-key") if principal is not None else None
        if not isinstance(principal, Principal) or scope["method"] not in MUTATIONS or not key:
            await self.app(scope, receive, send)
            return
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise BadRequestError(
                "Idempotency-Key must be 1-255 characters", code="IDEMPOTENCY_KEY_INVALID"
            )
        body = await read_body(receive)
        if body is None:
            return
        org = principal.organization_id
        request_hash = fingerprint(scope, body)
        if await self._claim(org, key, request_hash, send):
            await self._run_and_store(scope, body, send, org, key)

    async def _claim(self, org: str, key: str, request_hash: str, send: Send) -> bool:
        """True when this request owns the key; otherwise replays or raises a 409."""
        ttl = timedelta(hours=self.settings.idempotency_ttl_hours)
        async with self.sessions.begin() as session:
            repo = IdempotencyRepository(session)
            await repo.purge_older_than(utcnow() - ttl)
            record = await repo.get(org, key)
            if record is None and await repo.claim(org, key, request_hash):
                return True
            # a lost claim race leaves record None: the winner is in progress
            stored = (
                (record.request_hash, record.status_code, record.content_type, record.body)
                if record is not None
                else ("", None, None, None)
            )
        stored_hash, status, content_type, stored_body = stored
        if stored_hash and stored_hash != request_hash:
            raise ConflictError(
                "Idempotency-Key was used with another request", code="IDEMPOTENCY_KEY_REUSED"
            )
        if status is None:
            raise ConflictError(
                "The first request with this key is still running",
                code="IDEMPOTENCY_KEY_IN_PROGRESS",
            )
        await send_stored(send, status, content_type, stored_body or b"")
        return False

    async def _run_and_store(
        self, scope: Scope, body: bytes, send: Send, org: str, key: str
    ) -> None:
        captured = _Captured()

        async def capture(message: Message) -> None:
            captured.see(message)
            await send(message)

        try:
            await self.app(scope, replay_once(body), capture)
        finally:
            async with self.sessions.begin() as session:
                repo = IdempotencyRepository(session)
                if captured.status < 500:
                    await repo.complete(
                        org, key, captured.status, captured.content_type, b"".join(captured.body)
                    )
                else:
                    await repo.release(org, key)
