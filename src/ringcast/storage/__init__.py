"""Blob storage behind one small interface (`Storage`); `LocalStorage` by default."""

from ringcast.storage.base import (
    Body,
    InvalidKeyError,
    ObjectNotFoundError,
    ObjectTooLargeError,
    Storage,
    StorageError,
    StoredObject,
    validate_key,
)
from ringcast.storage.local import LocalStorage

__all__ = [
    "Body",
    "InvalidKeyError",
    "LocalStorage",
    "ObjectNotFoundError",
    "ObjectTooLargeError",
    "Storage",
    "StorageError",
    "StoredObject",
    "validate_key",
]
