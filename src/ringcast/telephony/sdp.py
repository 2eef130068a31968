"""SDP (RFC 4566) for offer/answer of one audio stream: G.711 plus telephone-event.

We offer PCMU (0), PCMA (8) and telephone-event/8000 (101) and accept the first G.711
codec of the answer; an inbound offer is answered with the first codec of theirs that
we support. `parse_sdp` is strict about line syntax (`x=value`, numeric ports and
payload types) and raises `SdpParseError` and nothing else on bad input, since SDP
arrives from the network inside SIP bodies.

SDES (RFC 4568): `a=crypto:<tag> <suite> inline:<base64 key||salt>[|lifetime]` lines
are read into `Crypto` (a line we cannot use — another suite, an MKI, a session
parameter such as UNENCRYPTED_SRTP, a key of the wrong length — is skipped, as §6.1
allows) and written by `build_sdp`. `Negotiated.crypto` is the first usable line of
theirs. Keys are hidden from reprs; what to do with them is the channel's policy.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field

from ringcast.telephony.media.srtp import KEY_SALT_BYTES, SUITES, SrtpKey

STATIC_CODECS = {0: "PCMU", 8: "PCMA"}
SUPPORTED = ("PCMU", "PCMA")
DTMF_PT = 101
AVP = "RTP/AVP"
SAVP = "RTP/SAVP"
_SECURE_PROTOS = frozenset({SAVP, "RTP/SAVPF"})


class SdpParseError(Exception):
    """The body is not valid SDP, or has nothing we can use."""


@dataclass(frozen=True, slots=True)
class Crypto:
    """One `a=crypto:` line we can use: its tag and its key (suite, key and salt)."""

    tag: int
    key: SrtpKey

    def line(self) -> str:
        inline = base64.b64encode(self.key.key_salt).decode()
        return f"a=crypto:{self.tag} {self.key.suite} inline:{inline}"


def parse_crypto(value: str) -> Crypto | None:
    """An `a=crypto:` value (after the colon), or None when we cannot use it."""
    parts = value.split()
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 9:
        return None  # session parameters (UNENCRYPTED_SRTP, KDR, ...): not for us
    tag, suite, key_params = int(parts[0]), parts[1], parts[2]
    if suite not in SUITES or ";" in key_params or not key_params.startswith("inline:"):
        return None  # another suite, several keys, or another key method
    key_text, *extra = key_params[len("inline:") :].split("|")
    if len(extra) > 1 or (extra and ":" in extra[0]):
        return None  # an MKI (libsrtp's MKI is not exposed)
    try:
        key_salt = base64.b64decode(key_text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(key_salt) != KEY_SALT_BYTES:
        return None
    return Crypto(tag, SrtpKey(suite, key_salt))


@dataclass(slots=True)
class MediaDescription:
    media: str
    port: int
    proto: str
    formats: list[int]
    rtpmap: dict[int, tuple[str, int]] = field(default_factory=dict)
    fmtp: dict[int, str] = field(default_factory=dict)
    connection: str | None = None
    direction: str = "sendrecv"
    ptime_ms: int | None = None
    crypto: list[Crypto] = field(default_factory=list)

    def codec_name(self, pt: int) -> str | None:
        if pt in self.rtpmap:
            return self.rtpmap[pt][0]
        return STATIC_CODECS.get(pt)


@dataclass(slots=True)
class SessionDescription:
    origin: str
    session_name: str
    connection: str | None
    media: list[MediaDescription]

    def audio(self) -> MediaDescription:
        for m in self.media:
            if m.media == "audio" and m.port != 0:
                return m
        raise SdpParseError("no active audio stream")


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What the media layer needs: where to send, which codec, which DTMF PT."""

    remote_host: str
    remote_port: int
    payload_type: int
    dtmf_payload_type: int | None
    direction: str = "sendrecv"  # the offer's or answer's a= direction, as they wrote it
    proto: str = AVP  # the m= line's transport: RTP/AVP, or RTP/SAVP with SDES
    crypto: Crypto | None = None  # the first a=crypto line of theirs we can use

    @property
    def secure_proto(self) -> bool:
        """RTP/SAVP(F): the far end will not take clear RTP on this stream."""
        return self.proto in _SECURE_PROTOS

    @property
    def they_send(self) -> bool:
        return self.direction in ("sendrecv", "sendonly")

    @property
    def they_receive(self) -> bool:
        """False on hold (sendonly or inactive from them, RFC 3264 §8.4): we stop sending."""
        return self.direction in ("sendrecv", "recvonly")

    @property
    def answer_direction(self) -> str:
        """Our direction in an answer to an offer with this one (RFC 3264 §6.1)."""
        return _ANSWER_DIRECTION.get(self.direction, "sendrecv")


_ANSWER_DIRECTION = {"sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}


def _int(text: str, low: int, high: int, what: str) -> int:
    if not text.isdigit() or len(text) > 6 or not low <= int(text) <= high:
        raise SdpParseError(f"bad {what}: {text[:20]!r}")
    return int(text)


def _connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpParseError(f"bad c= line: {value[:40]!r}")
    return parts[2].split("/")[0]


def parse_sdp(body: bytes | str) -> SessionDescription:
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise SdpParseError("SDP is not UTF-8") from exc
    origin = session_name = ""
    connection: str | None = None
    media: list[MediaDescription] = []
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
    if not lines or lines[0].strip() != "v=0":
        raise SdpParseError("SDP must start with v=0")
    for line in lines[1:]:
        if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
            raise SdpParseError(f"bad SDP line: {line[:40]!r}")
        kind, value = line[0], line[2:].strip()
        if kind == "o":
            origin = value
        elif kind == "s":
            session_name = value
        elif kind == "c":
            if media:
                media[-1].connection = _connection(value)
            else:
                connection = _connection(value)
        elif kind == "m":
            parts = value.split()
            if len(parts) < 4:
                raise SdpParseError(f"bad m= line: {value[:40]!r}")
            port = _int(parts[1].split("/")[0], 0, 65535, "port")
            formats = [_int(p, 0, 127, "payload type") for p in parts[3:]]
            media.append(MediaDescription(parts[0], port, parts[2], formats))
        elif kind == "a" and media:
            _attribute(media[-1], value)
    if not media:
        raise SdpParseError("no m= line")
    return SessionDescription(origin, session_name, connection, media)


def _attribute(m: MediaDescription, value: str) -> None:
    name, _, rest = value.partition(":")
    if name == "rtpmap":
        pt_text, _, enc = rest.partition(" ")
        bits = enc.split("/")
        if len(bits) < 2:
            raise SdpParseError(f"bad rtpmap: {value[:40]!r}")
        m.rtpmap[_int(pt_text, 0, 127, "payload type")] = (
            bits[0],
            _int(bits[1], 1, 192000, "clock rate"),
        )
    elif name == "fmtp":
        pt_text, _, params = rest.partition(" ")
        m.fmtp[_int(pt_text, 0, 127, "payload type")] = params
    elif name in ("sendrecv", "sendonly", "recvonly", "inactive"):
        m.direction = name
    elif name == "ptime":
        m.ptime_ms = _int(rest.strip(), 1, 1000, "ptime")
    elif name == "crypto":
        crypto = parse_crypto(rest)
        if crypto is not None:
            m.crypto.append(crypto)


def negotiate(session: SessionDescription, codecs: tuple[str, ...] = SUPPORTED) -> Negotiated:
    """Pick the first of their formats that is one of our G.711 `codecs` (by name)."""
    audio = session.audio()
    host = audio.connection or session.connection
    if host is None:
        raise SdpParseError("no connection address")
    allowed = {c.upper() for c in codecs} & set(SUPPORTED)
    payload: int | None = None
    dtmf: int | None = None
    for pt in audio.formats:
        name = (audio.codec_name(pt) or "").upper()
        rate = audio.rtpmap.get(pt, (name, 8000))[1]
        if name in allowed and payload is None and rate == 8000:
            payload = pt
        elif name == "TELEPHONE-EVENT" and rate == 8000 and dtmf is None:
            dtmf = pt
    if payload is None:
        raise SdpParseError("no common codec")
    crypto = audio.crypto[0] if audio.crypto else None
    return Negotiated(host, audio.port, payload, dtmf, audio.direction, audio.proto, crypto)


def payload_types(codecs: tuple[str, ...]) -> tuple[int, ...]:
    """Our static payload types for codec names, in the given order (PCMU → 0, PCMA → 8)."""
    by_name = {name: pt for pt, name in STATIC_CODECS.items()}
    pts = tuple(by_name[c.upper()] for c in codecs if c.upper() in by_name)
    if not pts:
        raise SdpParseError(f"no supported codec in {codecs!r}")
    return pts


def build_sdp(
    host: str,
    port: int,
    session_id: int,
    version: int,
    payload_types: tuple[int, ...] = (0, 8),
    dtmf_payload_type: int | None = DTMF_PT,
    direction: str = "sendrecv",
    proto: str = AVP,
    crypto: Sequence[Crypto] = (),
) -> bytes:
    """An offer (all our codecs) or an answer (the one negotiated codec); with SRTP
    `proto` RTP/SAVP and our `crypto` lines (an offer's one per suite, an answer's one)."""
    formats = [*payload_types, *([dtmf_payload_type] if dtmf_payload_type is not None else [])]
    lines = [
        "v=0",
        f"o=ringcast {session_id} {version} IN IP4 {host}",
        "s=ringcast",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=audio {port} {proto} {' '.join(str(f) for f in formats)}",
    ]
    lines += [f"a=rtpmap:{pt} {STATIC_CODECS[pt]}/8000" for pt in payload_types]
    if dtmf_payload_type is not None:
        lines += [
            f"a=rtpmap:{dtmf_payload_type} telephone-event/8000",
            f"a=fmtp:{dtmf_payload_type} 0-16",
        ]
    lines += ["a=ptime:20", f"a={direction}", *(c.line() for c in crypto)]
    return ("\r\n".join(lines) + "\r\n").encode()
