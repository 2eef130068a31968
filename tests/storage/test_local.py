"""LocalStorage: put/get/open/delete, streaming, atomicity, size limit, key safety."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringcast.storage import (
    InvalidKeyError,
    LocalStorage,
    ObjectNotFoundError,
    ObjectTooLargeError,
    Storage,
    validate_key,
)


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "data")


def test_put_get_round_trip(store: LocalStorage) -> None:
    body = b"RIFF" + bytes(range(256)) * 100
    stored = store.put("org-1/audio/a1.wav", body)
    assert stored.size == len(body)
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert store.get("org-1/audio/a1.wav") == body
    with store.open("org-1/audio/a1.wav") as fh:
        assert fh.read(4) == b"RIFF"
    assert store.exists("org-1/audio/a1.wav")
    assert store.size("org-1/audio/a1.wav") == len(body)
    path = store.path_for("org-1/audio/a1.wav")
    assert path is not None and path.read_bytes() == body


def test_streams_files_and_iterables(store: LocalStorage) -> None:
    body = b"x" * 300_000
    assert store.put("f", io.BytesIO(body)).size == len(body)
    assert store.put("g", iter([b"ab", b"", b"cd"])).sha256 == hashlib.sha256(b"abcd").hexdigest()
    assert store.get("g") == b"abcd"


class CountingReader(io.RawIOBase):
    """An endless body that records how much was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = 65536 if size < 0 else size
        self.read_bytes += size
        return b"\0" * size


def test_size_limit_stops_early_and_stores_nothing(store: LocalStorage) -> None:
    body = CountingReader()
    with pytest.raises(ObjectTooLargeError) as err:
        store.put("big", body, max_size=1_000_000)
    assert err.value.max_size == 1_000_000
    assert body.read_bytes < 1_200_000  # read at most a chunk past the limit, not "everything"
    assert not store.exists("big")
    assert list(store.root.iterdir()) == []  # no temp file left behind


def test_replace_is_atomic_and_failed_put_keeps_old(store: LocalStorage) -> None:
    store.put("k", b"old")

    def failing() -> Iterator[bytes]:
        yield b"new-part"
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        store.put("k", failing())
    assert store.get("k") == b"old"
    assert [p.name for p in store.root.iterdir()] == ["k"]
    store.put("k", b"new")
    assert store.get("k") == b"new"


def test_delete_and_missing(store: LocalStorage) -> None:
    store.put("a/b", b"1")
    assert store.delete("a/b") is True
    assert store.delete("a/b") is False
    assert not store.exists("a/b")
    with pytest.raises(ObjectNotFoundError):
        store.get("a/b")
    with pytest.raises(ObjectNotFoundError):
        store.size("a/b")


@pytest.mark.parametrize(
    "key",
    ["", "../x", "a/../../etc/passwd", "/abs", "a//b", "a/./b", ".hidden", "a/.tmp-1", "a\\b",
     "a b", "x" * 600, "a/\x00"],
)  # fmt: skip
def test_unsafe_keys_are_refused(store: LocalStorage, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        store.put(key, b"1")
    with pytest.raises(InvalidKeyError):
        store.exists(key)


@given(key=st.text(max_size=40))
def test_any_valid_key_stays_under_the_root(key: str) -> None:
    root = Path("/srv/ringcast-data")
    try:
        validate_key(key)
    except InvalidKeyError:
        return
    resolved = (root / key).resolve()
    assert resolved.is_relative_to(root)


def test_local_storage_satisfies_the_protocol(store: LocalStorage) -> None:
    seam: Storage = store
    assert seam.put("p", b"z").size == 1
