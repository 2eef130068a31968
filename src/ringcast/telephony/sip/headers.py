"""Structured SIP header values: Via, name-addr (From/To/Contact), SIP URIs.

Each type parses from the header text and prints back to it; parameters keep their
order. Parse failures raise `SipParseError` (never ValueError/IndexError), so callers
that feed remote input can treat one exception as "drop this message".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from .errors import SipParseError

BRANCH_MAGIC = "z9hG4bK"  # RFC 3261 §8.1.1.7: marks an RFC 3261 branch


def new_branch() -> str:
    return BRANCH_MAGIC + secrets.token_hex(8)


def new_tag() -> str:
    return secrets.token_hex(6)


def new_call_id(host: str) -> str:
    return f"{secrets.token_hex(12)}@{host}"


def parse_params(text: str) -> dict[str, str | None]:
    """`;a=1;b` → {"a": "1", "b": None}; names are lower-cased."""
    params: dict[str, str | None] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        params[name.strip().lower()] = value.strip() if sep else None
    return params


def format_params(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


def _port(text: str) -> int:
    if not text.isdigit() or len(text) > 5 or not 0 < int(text) < 65536:
        raise SipParseError(f"bad port: {text!r}")
    return int(text)


def split_hostport(text: str) -> tuple[str, int | None]:
    if text.startswith("["):  # IPv6 reference
        end = text.find("]")
        if end < 0:
            raise SipParseError(f"bad host: {text!r}")
        host, rest = text[: end + 1], text[end + 1 :]
        if not rest:
            return host, None
        if not rest.startswith(":"):
            raise SipParseError(f"bad host: {text!r}")
        return host, _port(rest[1:])
    host, sep, port = text.partition(":")
    if not host or any(c in host for c in " <>\"'"):
        raise SipParseError(f"bad host: {text!r}")
    return host, (_port(port) if sep else None)


@dataclass(slots=True)
class SipUri:
    host: str
    user: str | None = None
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    scheme: str = "sip"

    @classmethod
    def parse(cls, text: str) -> SipUri:
        scheme, sep, rest = text.strip().partition(":")
        if not sep or scheme.lower() not in ("sip", "sips"):
            raise SipParseError(f"not a SIP URI: {text[:60]!r}")
        rest = rest.split("?", 1)[0]  # URI headers are never used by us
        main, _, params = rest.partition(";")
        user: str | None = None
        if "@" in main:
            user, _, main = main.rpartition("@")
            user = user.split(":", 1)[0]  # drop a password, never used
        host, port = split_hostport(main)
        return cls(host, user, port, parse_params(params), scheme.lower())

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}:{user}{self.host}{port}{format_params(self.params)}"


@dataclass(slots=True)
class NameAddr:
    """`"Alice" <sip:alice@host>;tag=x` — the form of From, To, Contact, Route."""

    uri: str
    display: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        text = text.strip()
        if "<" in text:
            lt = text.index("<")
            gt = text.find(">", lt)
            if gt < 0:
                raise SipParseError(f"unclosed <: {text[:60]!r}")
            display = text[:lt].strip().strip('"') or None
            return cls(text[lt + 1 : gt], display, parse_params(text[gt + 1 :]))
        # addr-spec without brackets: parameters after ';' belong to the header
        uri, _, params = text.partition(";")
        if not uri or " " in uri:
            raise SipParseError(f"bad address: {text[:60]!r}")
        return cls(uri, None, parse_params(params))

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> NameAddr:
        return NameAddr(self.uri, self.display, {**self.params, "tag": tag})

    def __str__(self) -> str:
        display = f'"{self.display}" ' if self.display else ""
        return f"{display}<{self.uri}>{format_params(self.params)}"


@dataclass(slots=True)
class Via:
    transport: str
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Via:
        proto, _, rest = text.strip().partition(" ")
        bits = proto.split("/")
        if len(bits) != 3 or bits[0].upper() != "SIP" or not rest.strip():
            raise SipParseError(f"bad Via: {text[:60]!r}")
        sent_by, _, params = rest.strip().partition(";")
        host, port = split_hostport(sent_by.strip())
        return cls(bits[2].upper(), host, port, parse_params(params))

    @property
    def branch(self) -> str:
        return self.params.get("branch") or ""

    def __str__(self) -> str:
        port = f":{self.port}" if self.port else ""
        return f"SIP/2.0/{self.transport} {self.host}{port}{format_params(self.params)}"
