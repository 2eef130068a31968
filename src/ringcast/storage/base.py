"""The storage seam: named blobs (uploads, telephony audio, recordings).

One small interface so the local directory (default) can be swapped for a
shared path or an object store. Keys are relative, "/"-separated names
(`org-1/audio/3f2a.wav`); each segment is letters, digits, `.`, `_`, `-` and
does not start with a dot, so a key can never climb out of its root and never
collides with the stores' own temporary files.

Errors::

    StorageError
    ├── InvalidKeyError       a key that is not a safe relative name
    ├── ObjectNotFoundError   no object under that key
    └── ObjectTooLargeError   a put went over its `max_size` (nothing is stored)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

Body = bytes | bytearray | memoryview | BinaryIO | Iterable[bytes]
"""What `put` takes: bytes, a readable binary file, or an iterable of chunks."""

_SEGMENT = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9._\-]{0,127}")
MAX_KEY_LENGTH = 512


class StorageError(Exception):
    pass


class InvalidKeyError(StorageError):
    pass


class ObjectNotFoundError(StorageError):
    pass


class ObjectTooLargeError(StorageError):
    def __init__(self, max_size: int) -> None:
        super().__init__(f"object exceeds the size limit of {max_size} bytes")
        self.max_size = max_size


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int  # bytes
    sha256: str  # hex digest of the stored bytes


def validate_key(key: str) -> str:
    """Return `key` when it is a safe relative name, else raise `InvalidKeyError`."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKeyError(f"storage key must be 1..{MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            raise InvalidKeyError(
                f"invalid storage key {key!r}: segments are letters, digits, '.', '_', '-'"
                " and may not be empty or start with a dot"
            )
    return key


class Storage(Protocol):
    def put(self, key: str, body: Body, *, max_size: int | None = None) -> StoredObject:
        """Store `body` under `key` atomically (replacing any previous object).

        Streams: a file or iterable body is never held whole in memory. Over
        `max_size` bytes raises `ObjectTooLargeError` and stores nothing.
        """

    def open(self, key: str) -> BinaryIO:
        """A readable binary file for the object; the caller closes it."""

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> bool:
        """Remove the object; False when it did not exist."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def path_for(self, key: str) -> Path | None:
        """A local filesystem path for the object when the store has one (for mmap)."""
