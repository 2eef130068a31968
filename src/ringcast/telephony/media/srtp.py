"""SRTP and SRTCP (RFC 3711) for one call's media, through libsrtp (`pylibsrtp`).

Keys come from SDES (RFC 4568, `telephony/sdp.py` reads and writes the `a=crypto:`
lines): each side sends with the key *it* put in its SDP, so a call has two
contexts, `SrtpPair.tx` (our key: protects what we send, RTP and RTCP) and
`SrtpPair.rx` (their key: authenticates and decrypts what comes in). Two suites,
the ones every SDES carrier offers: AES_CM_128_HMAC_SHA1_80 and _32 (the 32-bit tag
is for RTP only; SRTCP always carries an 80-bit tag, RFC 4568 §6.2.1).

No cryptography is written here: libsrtp does the ciphers, the key derivation, the
replay window and the rollover counter. Key material is 30 random bytes from
`secrets` (16 master key + 14 master salt). Keys never appear in logs or reprs:
`SrtpKey.__repr__` hides them, and nothing here logs.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import pylibsrtp

SUITES = ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32")
"""The suites we offer, in order of preference, and the only ones we accept."""

KEY_SALT_BYTES = 30  # 128-bit master key + 112-bit master salt
_PROFILES = {
    "AES_CM_128_HMAC_SHA1_80": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "AES_CM_128_HMAC_SHA1_32": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
}


class SrtpError(Exception):
    """A packet failed authentication, was replayed, or could not be protected."""


@dataclass(frozen=True, slots=True)
class SrtpKey:
    """One direction's SDES key: the suite and the 30-byte master key and salt."""

    suite: str
    key_salt: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if self.suite not in _PROFILES:
            raise ValueError(f"unsupported SRTP suite {self.suite!r}")
        if len(self.key_salt) != KEY_SALT_BYTES:
            raise ValueError("an SRTP master key and salt is 30 bytes")

    @classmethod
    def generate(cls, suite: str) -> SrtpKey:
        return cls(suite, secrets.token_bytes(KEY_SALT_BYTES))

    def __repr__(self) -> str:
        return f"SrtpKey({self.suite!r}, <hidden>)"


def _session(key: SrtpKey, outbound: bool) -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(
        key=key.key_salt,
        ssrc_type=(
            pylibsrtp.Policy.SSRC_ANY_OUTBOUND if outbound else pylibsrtp.Policy.SSRC_ANY_INBOUND
        ),
        srtp_profile=_PROFILES[key.suite],
    )
    return pylibsrtp.Session(policy=policy)


class SrtpPair:
    """One call's two SRTP contexts: `protect*` with our key, `unprotect*` with theirs.

    Per packet: one libsrtp call (AES-CM over the payload and an HMAC-SHA1), a few
    microseconds (bench/srtp.py). `rekey_rx` follows a re-INVITE that brought a new
    remote key; our own key stays for the life of the stream.
    """

    __slots__ = ("_rx", "_tx", "rx_key", "tx_key")

    def __init__(self, tx: SrtpKey, rx: SrtpKey) -> None:
        self.tx_key, self.rx_key = tx, rx
        self._tx = _session(tx, outbound=True)
        self._rx = _session(rx, outbound=False)

    def rekey_rx(self, rx: SrtpKey) -> None:
        if rx != self.rx_key:
            self.rx_key = rx
            self._rx = _session(rx, outbound=False)

    def protect(self, packet: bytes) -> bytes:
        return _run(self._tx.protect, packet)

    def unprotect(self, packet: bytes) -> bytes:
        return _run(self._rx.unprotect, packet)

    def protect_rtcp(self, packet: bytes) -> bytes:
        return _run(self._tx.protect_rtcp, packet)

    def unprotect_rtcp(self, packet: bytes) -> bytes:
        return _run(self._rx.unprotect_rtcp, packet)


def _run(step: Callable[[bytes], bytes], packet: bytes) -> bytes:
    try:
        return step(packet)
    except (pylibsrtp.Error, ValueError) as exc:  # ValueError: a datagram too long
        raise SrtpError(str(exc)) from None
