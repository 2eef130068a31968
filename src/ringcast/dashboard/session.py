"""Dashboard sessions: a signed cookie that names an API key, and its CSRF token.

The cookie holds no secret: `<payload>.<signature>`, the payload base64url JSON
`{"k": key id, "o": organization id, "n": nonce, "t": issued at (unix s)}` and
the signature HMAC-SHA256 of it under the server's dashboard secret. A good
signature only proves we issued the token; every request still re-checks the
key it names, so a revoked or expired key loses access. A form's CSRF token is
HMAC(secret, nonce): it is good for the session that rendered it and no other.
The nonce also names the session's row on the server (`dashboard_sessions`):
logout and key revocation end it there, so a kept cookie is worthless after.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

COOKIE = "ringcast_dashboard"
MAX_AGE_S = 12 * 3600
MIN_SECRET_CHARS = 32


@dataclass(frozen=True, slots=True)
class SessionToken:
    key_id: str
    organization_id: str
    nonce: str
    issued_at: int


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def from_setting(cls, configured: str | None) -> Signer:
        """The configured secret, or a random one (sessions then end with the process)."""
        if configured is None:
            return cls(secrets.token_bytes(32))
        if len(configured) < MIN_SECRET_CHARS:
            raise ValueError(
                f"RINGCAST_DASHBOARD_SECRET must be at least {MIN_SECRET_CHARS} characters"
            )
        return cls(configured.encode())

    def _mac(self, purpose: bytes, data: bytes) -> bytes:
        return hmac.new(self._secret, purpose + b"\x00" + data, hashlib.sha256).digest()

    def issue(self, key_id: str, organization_id: str, now: float, nonce: str | None = None) -> str:
        """A cookie value; `nonce` names the server-side session (random if not given)."""
        nonce = nonce or new_nonce()
        claims = {"k": key_id, "o": organization_id, "n": nonce, "t": int(now)}
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{payload}.{_b64(self._mac(b'session', payload.encode()))}"

    def verify(self, token: str, now: float) -> SessionToken | None:
        """The token's claims, or None when it is malformed, forged or too old."""
        payload, dot, signature = token.partition(".")
        if not dot or len(token) > 1024:
            return None
        try:
            presented = _unb64(signature)
            if not hmac.compare_digest(presented, self._mac(b"session", payload.encode())):
                return None
            claims = json.loads(_unb64(payload))
            session = SessionToken(
                str(claims["k"]), str(claims["o"]), str(claims["n"]), int(claims["t"])
            )
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
            return None
        if not 0 <= now - session.issued_at < MAX_AGE_S:
            return None
        return session

    def csrf(self, session: SessionToken) -> str:
        return _b64(self._mac(b"csrf", session.nonce.encode()))

    def csrf_ok(self, session: SessionToken, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(
            presented.encode(), self.csrf(session).encode()
        )
