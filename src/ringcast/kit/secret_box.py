"""Secrets we must read back (SIP trunk passwords, webhook signing secrets),
sealed at rest with Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`).

A sealed value is stored as `fernet:v1:<token>`; a value without that prefix
is a row written before sealing existed and `open` returns it as is (until
`ringcast secrets encrypt-existing` seals it). The key comes from
`RINGCAST_SECRET_KEY` or, unset, from `<data_dir>/secret.key`, made once
(mode 0600) by `load_or_create_key`; every host sharing a database must use
the same key.

    SecretBoxError      a malformed key, or a value this key cannot open
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "fernet:v1:"
KEY_FILE = "secret.key"


class SecretBoxError(Exception):
    """A malformed key, or a sealed value the key cannot open (wrong key, damaged)."""


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def new_key() -> str:
    return Fernet.generate_key().decode()


class SecretBox:
    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise SecretBoxError(
                "the secret key must be a Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    def seal(self, text: str) -> str:
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        """The clear text of `stored`; an unsealed (legacy) value as is."""
        if not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError(
                "cannot open a sealed secret: it was sealed with another key "
                "(check RINGCAST_SECRET_KEY, or <data_dir>/secret.key) or is damaged"
            ) from exc


def open_with(box: SecretBox | None, stored: str) -> str:
    """`box.open(stored)`; with no box (no key given) only a legacy clear value opens."""
    if box is not None:
        return box.open(stored)
    if is_sealed(stored):
        raise SecretBoxError("cannot open a sealed secret: no secret key was given")
    return stored


def load_or_create_key(path: Path) -> str:
    """The key in `path`; made (mode 0600) if the file does not exist yet.

    Written to a temporary file and then linked into place, so a process racing
    this one either reads the complete key or makes none (the link fails)."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(new_key() + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()
