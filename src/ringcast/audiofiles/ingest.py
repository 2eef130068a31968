"""Turn an uploaded file into stored audio: decode once, keep the original,
store the telephony-ready 8 kHz 16-bit mono WAV next to it.

Decoding is CPU-bound and the file untrusted, so it runs in a child process
with a memory and a time cap (`decode_worker.py`), waited for from a thread;
its duration and decoded size are capped while it decodes (per usage type:
`audio_limits`). A file past any limit is a 413 `AUDIO_TOO_LONG` and nothing
is stored. The upload itself is already spooled to disk by the multipart
parser, never held whole in memory by us, nor is the decoded audio.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ringcast.audio.decode import DecodeLimits
from ringcast.audio.errors import AudioDecodeError, AudioTooLongError, EmptyAudioError
from ringcast.audiofiles.decode_worker import WorkerLimits, decode_to_wav
from ringcast.errors import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError
from ringcast.settings import Settings
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
DICTIONARY_USAGE = "dictionary"  # the limits of a dictionary entry (Settings.audio_max_duration_s)
CONTENT_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg"}


@dataclass(frozen=True, slots=True)
class AudioLimits:
    max_upload_bytes: int
    decode: DecodeLimits
    worker: WorkerLimits


def audio_limits(settings: Settings, usage: str) -> AudioLimits:
    """The limits for an upload of this usage type ("dictionary" for a dictionary entry)."""
    return AudioLimits(
        max_upload_bytes=settings.max_upload_bytes,
        decode=DecodeLimits(
            max_duration_ms=int(settings.audio_max_duration_s[usage] * 1000),
            max_decoded_bytes=settings.audio_max_decoded_bytes,
        ),
        worker=WorkerLimits(
            memory_bytes=settings.audio_decode_memory_bytes,
            timeout_s=settings.audio_decode_timeout_s,
            workers=settings.audio_decode_workers,
        ),
    )


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


def _ingest(upload: BinaryIO, storage: Storage, prefix: str, limits: AudioLimits) -> IngestedAudio:
    path, size, checksum = _spool(upload, limits.max_upload_bytes)
    wav = path.with_suffix(".8k.wav")
    try:
        if size == 0:
            raise BadRequestError("The uploaded file is empty", code="AUDIO_EMPTY")
        try:
            decoded = decode_to_wav(path, wav, limits.decode, limits.worker)
        except AudioTooLongError as exc:
            raise PayloadTooLargeError(
                f"The audio is too long: {exc.reason}", code="AUDIO_TOO_LONG"
            ) from exc
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
        with wav.open("rb") as fh:
            storage.put(telephony_key, fh)
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
        wav.unlink(missing_ok=True)


async def ingest_upload(
    upload: BinaryIO, declared_type: str | None, storage: Storage, prefix: str, limits: AudioLimits
) -> IngestedAudio:
    """Check, decode and store an upload; raises 413/415/400 AppErrors."""
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in ACCEPTED_TYPES and not declared.startswith("audio/"):
        raise UnsupportedMediaTypeError(
            f"Content type {declared!r} is not audio (send WAV, MP3 or OGG)",
            code="AUDIO_UNSUPPORTED",
        )
    return await asyncio.to_thread(_ingest, upload, storage, prefix, limits)


def discard(storage: Storage, *keys: str) -> None:
    for key in keys:
        storage.delete(key)


__all__ = [
    "DICTIONARY_USAGE",
    "AudioLimits",
    "IngestedAudio",
    "audio_limits",
    "discard",
    "ingest_upload",
]
