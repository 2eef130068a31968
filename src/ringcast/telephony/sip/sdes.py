"""A trunk's SRTP mode applied to SDP offer/answer (SDES keys, RFC 4568).

Modes (`TrunkConfig.srtp`):
- `off`: RTP/AVP, no a=crypto. An RTP/SAVP offer from the far end is refused (488):
  it would not take the clear RTP we could answer with.
- `mandatory`: we offer RTP/SAVP with one a=crypto line per suite (tag 1
  AES_CM_128_HMAC_SHA1_80, tag 2 _32, each its own fresh key); an answer without a
  usable crypto line for one of our tags fails the call with the reason
  `srtp_required` (the 200 is ACKed and BYEd; not one RTP packet was sent). An
  inbound offer without a usable crypto line is refused with 488.
- `optional`: the same RTP/SAVP offer; an answer with a crypto line we offered
  gives SRTP, an answer without one (RTP/AVP: a carrier or SBC that ignores
  SAVP and answers clear, which sipp and many gateways do) gives clear RTP. An
  inbound offer with crypto — RTP/SAVP, or RTP/AVP with a=crypto, the
  "best-effort" SDES of Asterisk's `media_encryption_optimistic` and FreeSWITCH's
  `rtp_secure_media=optional` — is answered with SRTP in the offer's profile;
  one without is answered in clear. A plain callee that refuses the SAVP offer
  outright (488, as baresip without SRTP does) gets one new INVITE with RTP/AVP and
  the same a=crypto lines (`SipCall.fallback_sdp`): best-effort SDES, so it answers
  clear and an SDES-aware one that only takes AVP answers with a key.

Everything here is pure: keys are made with `secrets` (through `SrtpKey.generate`)
and never logged; the channel installs the resulting `SrtpPair` on the stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ringcast.telephony.media.srtp import SUITES, SrtpKey, SrtpPair
from ringcast.telephony.sdp import AVP, SAVP, Crypto, Negotiated

SrtpMode = Literal["off", "optional", "mandatory"]
SRTP_MODES: tuple[SrtpMode, ...] = ("off", "optional", "mandatory")
SRTP_REQUIRED = "srtp_required"


class SrtpRefused(Exception):
    """The far end's SDP and the trunk's SRTP mode cannot agree; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def offer(mode: SrtpMode) -> tuple[str, tuple[Crypto, ...]]:
    """Our offer's transport profile and crypto lines (fresh keys per call)."""
    if mode == "off":
        return AVP, ()
    return SAVP, tuple(Crypto(i + 1, SrtpKey.generate(s)) for i, s in enumerate(SUITES))


def keys_for_answer(
    mode: SrtpMode, offered: Sequence[Crypto], answer: Negotiated
) -> tuple[Crypto, SrtpPair] | None:
    """Outbound: our chosen line and the call's keys for their answer; None: clear RTP."""
    theirs = answer.crypto
    mine = next(
        (
            c
            for c in offered
            if theirs is not None and c.tag == theirs.tag and c.key.suite == theirs.key.suite
        ),
        None,
    )
    if mine is not None and theirs is not None:
        return mine, SrtpPair(mine.key, theirs.key)
    if offered and (mode == "mandatory" or answer.secure_proto):
        raise SrtpRefused(SRTP_REQUIRED)
    return None


def keys_for_offer(mode: SrtpMode, their_offer: Negotiated) -> tuple[Crypto, SrtpPair] | None:
    """Inbound: our answer's line and the call's keys for their offer; None: clear RTP.
    Raises `SrtpRefused` when the call must be refused (488)."""
    theirs = their_offer.crypto
    if theirs is not None and mode != "off":
        mine = Crypto(theirs.tag, SrtpKey.generate(theirs.key.suite))
        return mine, SrtpPair(mine.key, theirs.key)
    if their_offer.secure_proto:
        raise SrtpRefused("srtp_not_allowed" if mode == "off" else "srtp_no_usable_key")
    if mode == "mandatory":
        raise SrtpRefused(SRTP_REQUIRED)
    return None


def check_signaling(mode: str, transport: str, insecure_ok: bool) -> str | None:
    """Why a trunk's SRTP settings are refused, or None. SDES keys travel in the
    SDP, in clear text unless SIP itself is encrypted (TLS): anyone who sees the
    signalling could decrypt the media. Only an explicit operator choice
    (`srtpOverInsecureSignaling`) allows SDES over UDP/TCP."""
    if mode not in SRTP_MODES:
        return f"srtp must be one of {', '.join(SRTP_MODES)}"
    if mode != "off" and transport != "tls" and not insecure_ok:
        return (
            "srtp needs transport tls (SDES keys travel in the SDP): "
            "use tls or set srtpOverInsecureSignaling"
        )
    return None
