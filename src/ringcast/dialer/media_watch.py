"""One call's RTP as the trunk wants it, and what it carried, in the call report.

`MediaWatch.opener` opens the call's `RtpStream` with the trunk's media settings
(symmetric RTP on or off, strict sources, the advertised SDP address, the longer
timeout while on hold). `verdict(result)` adds a `media_stats` event to an answered
attempt (packets sent and received, expected, lost, loss %, jitter, RTCP reports sent
and read and what the far end's reports said of our stream, where the media was
latched, with SRTP the suite and the packets failing authentication) and settles
what the flow alone cannot know: the media watchdog fired → `failed` /
`media_timeout`; the session timer ran out with no refresh from the far end (RFC 4028
§10: we sent BYE) → `failed` / `session_expired`; answered but not one RTP packet
came → `failed` / `no_media` whatever the flow said (a call that carried no media
never reports success; retried like any failure when the retry policy's `retryOn`
has `failed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from ringcast.dialer.launcher import CallResult
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.stream import RtpStream
from ringcast.telephony.sip.channel_hooks import MediaStream
from ringcast.telephony.sip.session_timer import EXPIRED as SESSION_EXPIRED


@dataclass(slots=True)
class MediaWatch:
    clock: MediaClock
    host: str
    advertised_host: str | None = None
    latching: bool = True
    strict_hosts: frozenset[str] | None = None
    hold_timeout_ms: int | None = None
    streams: list[RtpStream] = field(default_factory=list)

    async def opener(self) -> MediaStream:
        stream = await RtpStream.open(self.clock, self.host, advertised_host=self.advertised_host)
        stream.latching = self.latching
        stream.strict_hosts = self.strict_hosts
        stream.hold_timeout_ms = self.hold_timeout_ms
        self.streams.append(stream)
        return stream

    def verdict(self, result: CallResult) -> CallResult:
        if not self.streams or result.answered_at is None:
            return result
        stream = self.streams[-1]
        remote = stream.remote
        stats: dict[str, object] = {
            "packetsSent": stream.stats.packets_sent,
            **stream.reception(),
            "latched": stream.stats.latched,
            "remote": f"{remote[0]}:{remote[1]}" if remote else None,
        }
        if stream.srtp is not None:  # the suite only: keys are never reported
            stats["srtp"] = stream.srtp.tx_key.suite
            stats["srtpFailed"] = stream.stats.srtp_failed
            stats["srtcpFailed"] = stream.stats.srtcp_failed
        at = result.terminated_at or datetime.now(UTC)
        stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        result.events.append({"type": "media_stats", "timestamp": stamp, "data": stats})
        if stream.timed_out:
            result.outcome, result.outcome_reason = "failed", "media_timeout"
        elif _hung_up_for(result, SESSION_EXPIRED):
            result.outcome, result.outcome_reason = "failed", SESSION_EXPIRED
        elif stats["packetsReceived"] == 0:
            result.outcome, result.outcome_reason = "failed", "no_media"
        return result


def _hung_up_for(result: CallResult, reason: str) -> bool:
    """The flow logged the end of the call with this reason (a `callee_hangup` event)."""
    return any(
        e.get("type") == "callee_hangup" and (e.get("data") or {}).get("reason") == reason
        for e in result.events
    )
