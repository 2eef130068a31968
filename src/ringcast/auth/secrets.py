"""API key secrets: `<prefix><lookup id><secret>`.

The lookup id (12 base62 chars) finds the row; the secret (43 base62 chars,
≥ 256 bits) is never stored: only the SHA-256 of the whole key is, and it is
compared with `hmac.compare_digest`. A fast hash is right here because the
secret is random and long (nothing to brute-force), unlike a password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as _secrets
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
LOOKUP_LEN = 12
SECRET_LEN = 43  # 43 * log2(62) ≈ 256.0 bits
PREFIX_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,30}_$")
_TAIL_RE = re.compile(rf"^[0-9A-Za-z]{{{LOOKUP_LEN + SECRET_LEN}}}$")


@dataclass(frozen=True, slots=True)
class ParsedKey:
    prefix: str
    lookup_id: str
    full: str


def _random(n: int) -> str:
    return "".join(_secrets.choice(ALPHABET) for _ in range(n))


def generate(prefix: str) -> ParsedKey:
    lookup = _random(LOOKUP_LEN)
    full = f"{prefix}{lookup}{_random(SECRET_LEN)}"
    return ParsedKey(prefix, lookup, full)


def parse(raw: str) -> ParsedKey | None:
    """Split a presented key; None when it is not shaped like one of ours."""
    tail_len = LOOKUP_LEN + SECRET_LEN
    if len(raw) <= tail_len or len(raw) > tail_len + 32:
        return None
    prefix, tail = raw[:-tail_len], raw[-tail_len:]
    if not PREFIX_RE.match(prefix) or not _TAIL_RE.match(tail):
        return None
    return ParsedKey(prefix, tail[:LOOKUP_LEN], raw)


def digest(full_key: str) -> str:
    return hashlib.sha256(full_key.encode()).hexdigest()


def matches(full_key: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(full_key), stored_digest)
