"""Trunks known by their credentials, not their address: digest auth of inbound INVITEs.

A carrier whose INVITEs come from addresses we cannot list (a cloud SBC pool) is set
with `inbound_digest`: an INVITE from an address of no trunk is challenged 407
(`Proxy-Authenticate`, realm `ringcast`), and the retry whose `Proxy-Authorization`
(or `Authorization`) names such a trunk's username and proves its password (RFC 3261
§22, MD5 or SHA-256, `qop=auth`, `auth.verify_authorization`) is that trunk's call.
Nonces are stateless: `<unix time hex>.<HMAC of it>` with a key made at start, good
for `NONCE_TTL_S` (an older one gets a new challenge with `stale=true`). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Literal

from .auth import parse_auth_params, verify_authorization
from .errors import SipError
from .message import SipRequest

REALM = "ringcast"
NONCE_TTL_S = 300
Verdict = Literal["ok", "missing", "stale", "wrong"]


class DigestGate:
    def __init__(self, key: bytes | None = None, clock: Callable[[], float] = time.time) -> None:
        self._key = key or secrets.token_bytes(32)
        self._clock = clock

    def _sign(self, stamp: str) -> str:
        return hmac.new(self._key, stamp.encode(), hashlib.sha256).hexdigest()[:32]

    def challenge(self, stale: bool = False) -> tuple[str, str]:
        """The 407's header: a fresh nonce."""
        stamp = f"{int(self._clock()):x}"
        value = (
            f'Digest realm="{REALM}", nonce="{stamp}.{self._sign(stamp)}", '
            f'algorithm=MD5, qop="auth"'
        )
        return ("Proxy-Authenticate", value + (", stale=true" if stale else ""))

    def _nonce(self, nonce: str) -> Verdict:
        stamp, _, mac = nonce.partition(".")
        if not hmac.compare_digest(mac, self._sign(stamp)):
            return "wrong"
        try:
            issued = int(stamp, 16)
        except ValueError:
            return "wrong"
        return "ok" if 0 <= self._clock() - issued <= NONCE_TTL_S else "stale"

    def check(
        self, request: SipRequest, passwords: Iterable[tuple[str, str, object]]
    ) -> tuple[Verdict, object | None]:
        """Who sent `request`: ("ok", the owner of the matching (username, password,
        owner)), or why not ("missing" credentials, a "stale" nonce, "wrong" ones)."""
        value = request.headers.get("Proxy-Authorization") or request.headers.get("Authorization")
        if not value:
            return "missing", None
        try:
            params = parse_auth_params(value.strip().partition(" ")[2])
        except SipError:
            return "wrong", None
        if params.get("realm") != REALM or "nonce" not in params:
            return "wrong", None
        fresh = self._nonce(params["nonce"])
        if fresh != "ok":
            return fresh, None
        for username, password, owner in passwords:
            if params.get("username") != username:
                continue
            try:
                if verify_authorization(value, password, request.method):
                    return "ok", owner
            except (KeyError, SipError):
                return "wrong", None
        return "wrong", None
