"""HTTP digest authentication for SIP (RFC 3261 §22, RFC 2617 qop=auth, RFC 7616 SHA-256).

A 401 carries `WWW-Authenticate`, a 407 `Proxy-Authenticate`; we answer with
`Authorization` or `Proxy-Authorization` respectively on a new request (same Call-ID,
next CSeq). `parse_challenge` reads the challenge, `authorization` computes the
response:  HA1 = H(user:realm:password), HA2 = H(method:uri), and
response = H(HA1:nonce:HA2) or, with qop=auth, H(HA1:nonce:nc:cnonce:qop:HA2).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from .errors import SipAuthError, SipParseError
from .message import SipResponse

ALGORITHMS = {"MD5": "md5", "SHA-256": "sha256"}


def parse_auth_params(text: str) -> dict[str, str]:
    """`k="v", k2=v2` → dict (names lower-case); commas inside quotes are kept."""
    params: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " ,\t":
            i += 1
        eq = text.find("=", i)
        if eq < 0:
            break
        name = text[i:eq].strip().lower()
        i = eq + 1
        while i < n and text[i] == " ":
            i += 1
        if i < n and text[i] == '"':
            end = i + 1
            value_chars: list[str] = []
            while end < n and text[end] != '"':
                if text[end] == "\\" and end + 1 < n:
                    end += 1
                value_chars.append(text[end])
                end += 1
            if end >= n:
                raise SipParseError("unterminated quoted auth parameter")
            params[name] = "".join(value_chars)
            i = end + 1
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            params[name] = text[i:end].strip()
            i = end
        if not name:
            raise SipParseError("empty auth parameter name")
    return params


@dataclass(frozen=True, slots=True)
class Challenge:
    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    proxy: bool = False  # 407 / Proxy-Authenticate

    @property
    def response_header(self) -> str:
        return "Proxy-Authorization" if self.proxy else "Authorization"


def parse_challenge(value: str, proxy: bool) -> Challenge:
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise SipAuthError(f"unsupported auth scheme {scheme!r}")
    params = parse_auth_params(rest)
    if "realm" not in params or "nonce" not in params:
        raise SipAuthError("challenge without realm or nonce")
    qop = tuple(q.strip() for q in params.get("qop", "").split(",") if q.strip())
    return Challenge(
        params["realm"],
        params["nonce"],
        params.get("algorithm", "MD5").upper(),
        qop,
        params.get("opaque"),
        proxy,
    )


def credentials_for(
    response: SipResponse, username: str, password: str, method: str, uri: str
) -> tuple[str, str]:
    """The (header name, value) that answers a 401 or 407; raises `SipAuthError`."""
    proxy = response.status == 407
    header = response.headers.get("Proxy-Authenticate" if proxy else "WWW-Authenticate")
    if header is None:
        raise SipAuthError(f"{response.status} without a challenge")
    challenge = parse_challenge(header, proxy)
    return challenge.response_header, authorization(challenge, username, password, method, uri)


def _hash(algorithm: str, text: str) -> str:
    name = ALGORITHMS.get(algorithm)
    if name is None:
        raise SipAuthError(f"unsupported digest algorithm {algorithm!r}")
    return hashlib.new(name, text.encode()).hexdigest()


def digest_response(
    challenge: Challenge,
    username: str,
    password: str,
    method: str,
    uri: str,
    nc: str = "00000001",
    cnonce: str | None = None,
) -> str:
    ha1 = _hash(challenge.algorithm, f"{username}:{challenge.realm}:{password}")
    ha2 = _hash(challenge.algorithm, f"{method}:{uri}")
    if "auth" in challenge.qop:
        return _hash(challenge.algorithm, f"{ha1}:{challenge.nonce}:{nc}:{cnonce}:auth:{ha2}")
    return _hash(challenge.algorithm, f"{ha1}:{challenge.nonce}:{ha2}")


def authorization(
    challenge: Challenge,
    username: str,
    password: str,
    method: str,
    uri: str,
    nc: int = 1,
    cnonce: str | None = None,
) -> str:
    """The value of the Authorization / Proxy-Authorization header."""
    if "auth" not in challenge.qop and challenge.qop:
        raise SipAuthError(f"unsupported qop {challenge.qop!r}")
    nc_text = f"{nc:08x}"
    if "auth" in challenge.qop and cnonce is None:
        cnonce = secrets.token_hex(8)
    response = digest_response(challenge, username, password, method, uri, nc_text, cnonce)
    parts = [
        f'username="{username}"',
        f'realm="{challenge.realm}"',
        f'nonce="{challenge.nonce}"',
        f'uri="{uri}"',
        f'response="{response}"',
        f"algorithm={challenge.algorithm}",
    ]
    if "auth" in challenge.qop:
        parts += ["qop=auth", f"nc={nc_text}", f'cnonce="{cnonce}"']
    if challenge.opaque is not None:
        parts.append(f'opaque="{challenge.opaque}"')
    return "Digest " + ", ".join(parts)


def verify_authorization(value: str, password: str, method: str) -> bool:
    """Recompute a received digest (used by tests to check 407 credentials)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return False
    p = parse_auth_params(rest)
    qop = (p["qop"],) if "qop" in p else ()
    challenge = Challenge(p["realm"], p["nonce"], p.get("algorithm", "MD5").upper(), qop)
    expected = digest_response(
        challenge, p["username"], password, method, p["uri"], p.get("nc", ""), p.get("cnonce")
    )
    return secrets.compare_digest(expected, p.get("response", ""))
