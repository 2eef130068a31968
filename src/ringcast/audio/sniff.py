"""Recognise WAV, MP3 and OGG from their bytes, and check they are whole.

The declared content type of an upload is never trusted: the format comes from
the first bytes (RIFF/WAVE, an ID3v2 tag or an MPEG audio frame header, OggS).

FFmpeg decodes a truncated MP3 or OGG without complaint (it just stops early),
so "truncated" is decided here by walking the container's own framing:

- WAV: the `data` chunk must fit in the file (a size of 0 or 0xFFFFFFFF is the
  "unknown length" of streamed WAVs and is accepted).
- MP3: walk MPEG frame headers from the first frame; the last frame must end
  exactly at the end of the data (or at an ID3v1/APE tag), and a Xing/Info
  header, when present, must not promise more frames than are there.
- OGG: walk the pages; the last one must be complete and carry the
  end-of-stream flag.

Only the framing is read, never the payload, so a 50 MB file costs a few ms.
"""

from __future__ import annotations

import struct
from typing import Literal

from ringcast.audio.errors import CorruptAudioError

AudioFormat = Literal["wav", "mp3", "ogg"]

_SCAN_LIMIT = 64 * 1024  # how far past an ID3 tag we look for the first frame

# Bitrates in kbit/s by (version is MPEG-1, layer) and index.
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def sniff_format(data: bytes | memoryview) -> AudioFormat | None:
    """The audio format the bytes start with, or None when they are not one of ours."""
    head = bytes(data[:12])
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3":
        return "mp3"
    # A bare MPEG stream: demand two chained frame headers so that arbitrary
    # binary starting with 0xFFE is not taken for MP3.
    first = _mpeg_frame_length(data, 0)
    if first is not None and (first == len(data) or _mpeg_frame_length(data, first) is not None):
        return "mp3"
    return None


def check_complete(fmt: AudioFormat, data: bytes | memoryview) -> None:
    """Raise `CorruptAudioError` when the container framing shows a truncated file."""
    if fmt == "wav":
        _check_wav(data)
    elif fmt == "mp3":
        _check_mp3(data)
    else:
        _check_ogg(data)


# ---- WAV ---------------------------------------------------------------------


def _check_wav(data: bytes | memoryview) -> None:
    pos, end = 12, len(data)
    while pos + 8 <= end:
        chunk_id = bytes(data[pos : pos + 4])
        (size,) = struct.unpack_from("<I", data, pos + 4)
        if chunk_id == b"data":
            if size in (0, 0xFFFFFFFF):
                return  # streamed WAV: length unknown, the decoder reads to the end
            if pos + 8 + size > end:
                raise CorruptAudioError(
                    f"truncated WAV: the data chunk declares {size} bytes "
                    f"but only {end - pos - 8} are present"
                )
            return
        pos += 8 + size + (size & 1)
    raise CorruptAudioError("damaged WAV: no data chunk")


# ---- MP3 ---------------------------------------------------------------------


def _mpeg_frame_length(data: bytes | memoryview, pos: int) -> int | None:
    """Length in bytes of the MPEG audio frame whose header starts at `pos`, or None."""
    if pos + 4 > len(data):
        return None
    b0, b1, b2 = data[pos], data[pos + 1], data[pos + 2]
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or free-format (which we do not accept)
    layer = 4 - layer_bits
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    padding = (b2 >> 1) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    if layer == 3 and not mpeg1:
        return 72 * bitrate // rate + padding
    return 144 * bitrate // rate + padding


def _id3v2_end(data: bytes | memoryview) -> int:
    if bytes(data[:3]) != b"ID3" or len(data) < 10:
        return 0
    size = 0
    for b in data[6:10]:
        size = (size << 7) | (b & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def _first_frame(data: bytes | memoryview, start: int) -> int | None:
    stop = min(len(data), start + _SCAN_LIMIT)
    for pos in range(start, stop):
        if data[pos] != 0xFF:
            continue
        length = _mpeg_frame_length(data, pos)
        if length is None:
            continue
        nxt = pos + length
        if nxt >= len(data) or _mpeg_frame_length(data, nxt) is not None:
            return pos
    return None


def _xing_frames(frame: bytes) -> int | None:
    """The frame count a Xing/Info header (LAME's first frame) declares."""
    for tag in (b"Xing", b"Info"):
        at = frame.find(tag)
        if at >= 0 and at + 12 <= len(frame):
            (flags,) = struct.unpack_from(">I", frame, at + 4)
            if flags & 1:
                return int(struct.unpack_from(">I", frame, at + 8)[0])
    return None


def _check_mp3(data: bytes | memoryview) -> None:
    end = len(data)
    tag_end = _id3v2_end(data)
    if tag_end > end:
        raise CorruptAudioError("truncated MP3: the ID3 tag runs past the end of the file")
    pos = _first_frame(data, tag_end)
    if pos is None:
        raise CorruptAudioError("damaged MP3: no MPEG audio frame found")
    first_length = _mpeg_frame_length(data, pos) or 0
    declared = _xing_frames(bytes(data[pos : pos + first_length]))
    frames = 0
    while pos < end:
        rest = bytes(data[pos : pos + 8])
        if (rest[:3] == b"TAG" and end - pos == 128) or rest == b"APETAGEX":
            break
        length = _mpeg_frame_length(data, pos)
        if length is None:
            if end - pos < 4:
                raise CorruptAudioError("truncated MP3: the file ends inside a frame header")
            break  # trailing non-audio bytes (e.g. Lyrics3): the decoder ignores them
        if pos + length > end:
            raise CorruptAudioError(
                f"truncated MP3: the last frame needs {length} bytes, {end - pos} remain"
            )
        frames += 1
        pos += length
    if declared is not None and frames - 1 < declared:
        raise CorruptAudioError(
            f"truncated MP3: the header declares {declared} frames, {frames - 1} are present"
        )


# ---- OGG ---------------------------------------------------------------------


def _check_ogg(data: bytes | memoryview) -> None:
    pos, end, last_flags = 0, len(data), 0
    while pos < end:
        if pos + 27 > end:
            raise CorruptAudioError("truncated OGG: the file ends inside a page header")
        if bytes(data[pos : pos + 4]) != b"OggS":
            raise CorruptAudioError(f"damaged OGG: no page at byte {pos}")
        last_flags, segments = data[pos + 5], data[pos + 26]
        if pos + 27 + segments > end:
            raise CorruptAudioError("truncated OGG: the file ends inside a page header")
        body = sum(data[pos + 27 : pos + 27 + segments])
        page_end = pos + 27 + segments + body
        if page_end > end:
            raise CorruptAudioError(
                f"truncated OGG: the last page needs {page_end - pos} bytes, {end - pos} remain"
            )
        pos = page_end
    if not last_flags & 0x04:
        raise CorruptAudioError("truncated OGG: the stream has no end-of-stream page")
