"""SIP messages: parse bytes into `SipRequest`/`SipResponse` and serialize them back.

Theory of operation: a message is a start line, header lines, an empty line and a
body (RFC 3261 §7). `parse_message` takes one whole datagram (UDP) or one framed
message (`StreamFramer`, TCP), unfolds continuation lines, expands compact header
names (`v` → `Via`), splits comma-joined values of list headers (Via, Route,
Record-Route, Contact) into one entry each, and checks Content-Length against the
body. Anything malformed raises `SipParseError` and nothing else: every lower-level
error (bad integer, bad UTF-8, missing header) is translated at this boundary, so a
transport can drop a bad datagram without guarding against surprises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import SipParseError

COMPACT = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "r": "Refer-To",
    "u": "Allow-Events",
    "b": "Referred-By",
    "x": "Session-Expires",
}
_CANONICAL = {
    name.lower(): name
    for name in (
        "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Max-Forwards", "Route",
        "Record-Route", "Content-Length", "Content-Type", "Content-Encoding", "WWW-Authenticate",
        "Proxy-Authenticate", "Authorization", "Proxy-Authorization", "User-Agent", "Allow",
        "Accept", "Supported", "Expires", "Subject", "Event", "Refer-To", "Allow-Events",
        "Referred-By", "Session-Expires", "Server", "Reason", "Require", "Unsupported",
    )
}  # fmt: skip
# Headers whose comma-joined values are separate entries (RFC 3261 §7.3.1); others
# (e.g. WWW-Authenticate) contain commas inside a single value.
_LIST_HEADERS = frozenset({"via", "route", "record-route", "contact"})
REQUIRED = ("Via", "From", "To", "Call-ID", "CSeq")
MAX_MESSAGE_BYTES = 65535


# The canonical names this module stores exactly so (parse, add and set canonicalize):
# a lookup of one of them compares strings, with no lower-casing per header.
_KNOWN = frozenset(_CANONICAL.values()) | frozenset(COMPACT.values())
_NAMES: dict[str, str] = {}  # name as written -> canonical (bounded: names come off the wire)
_NAMES_MAX = 4096
_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")


def canonical_name(name: str) -> str:
    known = _NAMES.get(name)
    if known is not None:
        return known
    low = name.lower()
    result = COMPACT[low] if low in COMPACT else _CANONICAL.get(low, name)
    if len(_NAMES) < _NAMES_MAX:
        _NAMES[name] = result
    return result


def split_list(value: str) -> list[str]:
    """Split a list header at commas that are outside quotes and angle brackets."""
    if "," not in value:  # nearly every value: one entry
        value = value.strip()
        return [value] if value else []
    parts: list[str] = []
    depth_angle = 0
    quoted = False
    start = 0
    i = 0
    while i < len(value):
        ch = value[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth_angle += 1
        elif ch == ">":
            depth_angle = max(0, depth_angle - 1)
        elif ch == "," and depth_angle == 0:
            parts.append(value[start:i].strip())
            start = i + 1
        i += 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


@dataclass(slots=True)
class Headers:
    """Ordered header list; names are stored in canonical form."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        key = canonical_name(name)
        if key in _KNOWN:  # stored under exactly this name
            for n, v in self.items:
                if n == key:
                    return v
            return None
        key = key.lower()
        for n, v in self.items:
            if n.lower() == key:
                return v
        return None

    def get_all(self, name: str) -> list[str]:
        key = canonical_name(name)
        if key in _KNOWN:
            return [v for n, v in self.items if n == key]
        key = key.lower()
        return [v for n, v in self.items if n.lower() == key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def add(self, name: str, value: str) -> None:
        self.items.append((canonical_name(name), value))

    def prepend(self, name: str, value: str) -> None:
        self.items.insert(0, (canonical_name(name), value))

    def remove(self, name: str) -> None:
        key = canonical_name(name).lower()
        self.items = [(n, v) for n, v in self.items if n.lower() != key]

    def set(self, name: str, value: str) -> None:
        """Replace every value of `name` by one, keeping the first one's position."""
        key = canonical_name(name).lower()
        for i, (n, _) in enumerate(self.items):
            if n.lower() == key:
                self.items[i] = (canonical_name(name), value)
                self.items = [
                    (n2, v2) for j, (n2, v2) in enumerate(self.items) if j <= i or n2.lower() != key
                ]
                return
        self.add(name, value)

    def copy(self) -> Headers:
        return Headers(list(self.items))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items)


@dataclass(slots=True)
class _Message:
    headers: Headers
    body: bytes

    @property
    def call_id(self) -> str:
        return self.headers.get("Call-ID") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        return parse_cseq(self.headers.get("CSeq") or "")

    @property
    def top_via(self) -> str:
        vias = self.headers.get_all("Via")
        return vias[0] if vias else ""

    def _serialize(self, start_line: str) -> bytes:
        lines = [start_line]
        lines.extend(f"{n}: {v}" for n, v in self.headers if n.lower() != "content-length")
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass(slots=True)
class SipRequest(_Message):
    method: str = "OPTIONS"
    uri: str = ""

    def to_bytes(self) -> bytes:
        return self._serialize(f"{self.method} {self.uri} SIP/2.0")


@dataclass(slots=True)
class SipResponse(_Message):
    status: int = 200
    reason: str = "OK"

    def to_bytes(self) -> bytes:
        return self._serialize(f"SIP/2.0 {self.status} {self.reason}")


SipMessage = SipRequest | SipResponse


def parse_cseq(value: str) -> tuple[int, str]:
    parts = value.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 10:
        raise SipParseError(f"bad CSeq: {value!r}")
    number = int(parts[0])
    if number >= 2**31:
        raise SipParseError(f"CSeq out of range: {value!r}")
    return number, parts[1]


def _is_token(text: str) -> bool:
    return _TOKEN.fullmatch(text) is not None


def parse_message(data: bytes) -> SipMessage:
    """Parse one complete SIP message. Raises `SipParseError` on any malformation."""
    try:
        return _parse(data)
    except SipParseError:
        raise
    except (ValueError, IndexError, UnicodeError) as exc:  # defence in depth for fuzzers
        raise SipParseError(f"malformed message: {exc}") from exc


def _parse(data: bytes) -> SipMessage:
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipParseError("message too large")
    data = data.lstrip(b"\r\n")  # RFC 3261 §7.5: tolerate leading CRLFs (keep-alives)
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        raise SipParseError("no end of headers")
    try:
        head = data[:head_end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipParseError("header section is not UTF-8") from exc
    body = data[head_end + 4 :]
    lines = head.split("\r\n")
    start = lines[0]
    headers = Headers()
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if not headers.items:
                raise SipParseError("continuation line before any header")
            name, value = headers.items[-1]
            headers.items[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not _is_token(name):
            raise SipParseError(f"bad header line: {line[:60]!r}")
        headers.items.append((canonical_name(name), value.strip()))
    # Split list headers only after unfolding, a folded line may continue a list.
    expanded: list[tuple[str, str]] = []
    for name, value in headers.items:
        if name.lower() in _LIST_HEADERS and value != "*":
            expanded.extend((name, part) for part in split_list(value))
        else:
            expanded.append((name, value))
    headers.items = expanded
    for required in REQUIRED:
        if headers.get(required) is None:
            raise SipParseError(f"missing {required}")
    cseq_number, cseq_method = parse_cseq(headers.get("CSeq") or "")
    length_text = headers.get("Content-Length")
    if length_text is not None:
        if not length_text.isdigit() or len(length_text) > 6:
            raise SipParseError(f"bad Content-Length: {length_text!r}")
        length = int(length_text)
        if length > len(body):
            raise SipParseError("body shorter than Content-Length")
        body = body[:length]  # §18.3: extra datagram bytes are discarded
    message: SipMessage
    if start.startswith("SIP/2.0 "):
        _, code_text, *reason = start.split(" ", 2)
        if len(code_text) != 3 or not code_text.isdigit() or not "100" <= code_text <= "699":
            raise SipParseError(f"bad status line: {start[:60]!r}")
        message = SipResponse(headers, body, int(code_text), reason[0] if reason else "")
    else:
        parts = start.split(" ")
        if len(parts) != 3 or parts[2] != "SIP/2.0" or not _is_token(parts[0]) or not parts[1]:
            raise SipParseError(f"bad request line: {start[:60]!r}")
        if ":" not in parts[1]:
            raise SipParseError(f"bad Request-URI: {parts[1][:60]!r}")
        if cseq_method != parts[0]:
            raise SipParseError("CSeq method does not match the request method")
        message = SipRequest(headers, body, parts[0], parts[1])
    del cseq_number
    return message


class StreamFramer:
    """Cut a TCP byte stream into messages; Content-Length is mandatory there (§18.3)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Return the complete raw messages now available; keep the rest buffered."""
        self._buffer += data
        out: list[bytes] = []
        while True:
            while self._buffer[:2] == b"\r\n":  # keep-alive CRLFs between messages
                del self._buffer[:2]
            head_end = self._buffer.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self._buffer) > MAX_MESSAGE_BYTES:
                    raise SipParseError("header section too large")
                return out
            length = _content_length(bytes(self._buffer[:head_end]))
            total = head_end + 4 + length
            if total > MAX_MESSAGE_BYTES:  # never buffer for it: the stream is closed
                raise SipParseError(f"Content-Length {length} over the maximum message size")
            if len(self._buffer) < total:
                return out
            out.append(bytes(self._buffer[:total]))
            del self._buffer[:total]


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            text = value.strip()
            if not text.isdigit() or len(text) > 6:
                raise SipParseError("bad Content-Length on stream")
            return int(text)
    raise SipParseError("Content-Length is required on a stream transport")


def response_to(
    request: SipRequest,
    status: int,
    reason: str,
    to_tag: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> SipResponse:
    """§8.2.6: copy Via, From, To, Call-ID and CSeq; add our To tag unless one is there."""
    headers = Headers()
    for via in request.headers.get_all("Via"):
        headers.add("Via", via)
    headers.add("From", request.headers.get("From") or "")
    to = request.headers.get("To") or ""
    if to_tag and ";tag=" not in to.replace(" ", "").lower():
        to = f"{to};tag={to_tag}"
    headers.add("To", to)
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", request.headers.get("CSeq") or "")
    own_routes = any(name.lower() == "record-route" for name, _ in extra)
    if to_tag and 100 < status < 300 and not own_routes:  # §12.1.1: keep the proxies in
        for route in request.headers.get_all("Record-Route"):
            headers.add("Record-Route", route)
    for name, value in extra:
        headers.add(name, value)
    if content_type:
        headers.add("Content-Type", content_type)
    return SipResponse(headers, body, status, reason)
