"""RTP/G.711 media for SIP calls: one shared clock, streams, DTMF, recording.

Public surface (the SIP channel builds on it):

- `MediaClock` / `shared_media_clock()`: the one 20 ms clock of the process;
- `RtpStream`: one call's media (`open`, `set_remote`, `play`, `send_dtmf`,
  listeners, `on_dtmf`, media timeout, `close`);
- `Recorder`, `beep_clip`, `wav_bytes`: the Record node's listener and helpers;
- `DtmfDetector`, `dtmf_tone`: in-band DTMF;
- `parse_rtp`, `RtpPacket`, `RtpParseError`; `parse_event`, `TelephoneEvent`.

Error tree::

    ValueError
     └── RtpParseError      a datagram is not well-formed RTP / telephone-event
    MediaError              misuse of a stream (e.g. an unsupported payload type)
"""

from ringcast.telephony.media.clock import MediaClock, shared_media_clock
from ringcast.telephony.media.dtmf_inband import DtmfDetector, dtmf_tone
from ringcast.telephony.media.recorder import Recorder, beep_clip, wav_bytes
from ringcast.telephony.media.rfc4733 import TelephoneEvent, parse_event
from ringcast.telephony.media.rtp import RtpPacket, RtpParseError, parse_rtp
from ringcast.telephony.media.stream import PCMA, PCMU, MediaError, RtpStream, StreamStats

__all__ = [
    "PCMA",
    "PCMU",
    "DtmfDetector",
    "MediaClock",
    "MediaError",
    "Recorder",
    "RtpPacket",
    "RtpParseError",
    "RtpStream",
    "StreamStats",
    "TelephoneEvent",
    "beep_clip",
    "dtmf_tone",
    "parse_event",
    "parse_rtp",
    "shared_media_clock",
    "wav_bytes",
]
