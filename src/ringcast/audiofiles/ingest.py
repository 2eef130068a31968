"""Turn an uploaded file into stored audio: decode once, keep the original,
store the telephony-ready 8 kHz 16-bit mono WAV next to it.

Decoding is CPU-bound, so it runs in a worker thread; the upload itself is
already spooled to disk by the multipart parser, never held whole in memory
by us.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ringcast.audio import decode as audio_decode
from ringcast.audio.errors import AudioDecodeError, EmptyAudioError
from ringcast.audio.wav import write_wav
from ringcast.errors import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError
from ringcast.storage.base import Storage

ACCEPTED_TYPES = {
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/vnd.wave",
    "audio/mp3",
    "audio/mpeg",
    "audio/ogg",
    "application/ogg",
    "application/octet-stream",
    "",
}
CONTENT_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg"}


@dataclass(frozen=True, slots=True)
class IngestedAudio:
    file_id: str
    original_key: str
    telephony_key: str
    content_type: str
    file_size: int
    checksum: str  # sha256 of the original upload
    duration_ms: int
    sample_rate: int
    channels: int
    bit_depth: int | None


def _spool(upload: BinaryIO, max_bytes: int) -> tuple[Path, int, str]:
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(delete=False, suffix=".upload") as out:
        while chunk := upload.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                out.close()
                Path(out.name).unlink(missing_ok=True)
                raise PayloadTooLargeError(
                    f"Audio file exceeds the {max_bytes} byte limit", code="AUDIO_TOO_LARGE"
                )
            digest.update(chunk)
            out.write(chunk)
    return Path(out.name), size, digest.hexdigest()


def _ingest(upload: BinaryIO, storage: Storage, prefix: str, max_bytes: int) -> IngestedAudio:
    path, size, checksum = _spool(upload, max_bytes)
    try:
        if size == 0:
            raise BadRequestError("The uploaded file is empty", code="AUDIO_EMPTY")
        try:
            decoded = audio_decode.decode_audio(path)
        except EmptyAudioError as exc:
            raise BadRequestError(f"The audio is empty: {exc.reason}", code="AUDIO_EMPTY") from exc
        except AudioDecodeError as exc:
            raise UnsupportedMediaTypeError(
                f"Not a supported audio file: {exc.reason}", code="AUDIO_UNSUPPORTED"
            ) from exc
        file_id = str(uuid.uuid4())
        fmt = decoded.source.format
        original_key = f"{prefix}/{file_id}.{fmt}"
        telephony_key = f"{prefix}/{file_id}.8k.wav"
        with path.open("rb") as fh:
            storage.put(original_key, fh)
        storage.put(telephony_key, write_wav(decoded.pcm))
        return IngestedAudio(
            file_id=file_id,
            original_key=original_key,
            telephony_key=telephony_key,
            content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
            file_size=size,
            checksum=checksum,
            duration_ms=decoded.duration_ms,
            sample_rate=decoded.source.sample_rate,
            channels=decoded.source.channels,
            bit_depth=decoded.source.bit_depth,
        )
    finally:
        path.unlink(missing_ok=True)


async def ingest_upload(
    upload: BinaryIO, declared_type: str | None, storage: Storage, prefix: str, max_bytes: int
) -> IngestedAudio:
    """Check, decode and store an upload; raises 413/415/400 AppErrors."""
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in ACCEPTED_TYPES and not declared.startswith("audio/"):
        raise UnsupportedMediaTypeError(
            f"Content type {declared!r} is not audio (send WAV, MP3 or OGG)",
            code="AUDIO_UNSUPPORTED",
        )
    return await asyncio.to_thread(_ingest, upload, storage, prefix, max_bytes)


def discard(storage: Storage, *keys: str) -> None:
    for key in keys:
        storage.delete(key)


__all__ = ["IngestedAudio", "discard", "ingest_upload"]
