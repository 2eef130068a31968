"""`LocalStorage`: objects as files under one root directory.

A put writes to a hidden temporary file in the destination directory while
hashing, fsyncs, then `os.replace`s it onto the final name, so readers see the
old object or the new one, never half of one, and a crash leaves only a
`.tmp-*` file (never a valid key, see `validate_key`). Bodies are copied in
64 KiB chunks, so an upload's size limit is enforced without reading it whole.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from ringcast.storage.base import (
    Body,
    ObjectNotFoundError,
    ObjectTooLargeError,
    StoredObject,
    validate_key,
)

CHUNK_BYTES = 64 * 1024


def _chunks(body: Body) -> Iterator[bytes]:
    if isinstance(body, bytes | bytearray | memoryview):
        view = memoryview(body)
        for start in range(0, len(view), CHUNK_BYTES):
            yield bytes(view[start : start + CHUNK_BYTES])
    elif hasattr(body, "read"):
        reader = cast(BinaryIO, body)
        while chunk := reader.read(CHUNK_BYTES):
            yield chunk
    else:
        yield from body


class LocalStorage:
    """Storage rooted at a directory (created if missing)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def put(self, key: str, body: Body, *, max_size: int | None = None) -> StoredObject:
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.parent / f".tmp-{uuid.uuid4().hex}"
        digest, size = hashlib.sha256(), 0
        try:
            with temp.open("wb") as out:
                for chunk in _chunks(body):
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise ObjectTooLargeError(max_size)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise ObjectNotFoundError(f"no object {key!r}") from exc

    def get(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as exc:
            raise ObjectNotFoundError(f"no object {key!r}") from exc

    def path_for(self, key: str) -> Path | None:
        return self._path(key)
