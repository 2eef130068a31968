"""A trunk's TLS material, checked when it is written (README "SIP over TLS").

The CA bundle and the client certificate are PEM text stored with the trunk, not
file paths: every dialer process on the database reads the same trunk whatever host
it runs on, and the API never reads the server's file system for a caller. The
client certificate's private key is sealed at rest like the SIP password
(`kit/secret_box.py`) and never returned: the API says `hasTlsClientKey`.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

MAX_PEM_CHARS = 65536


def check_certificates(pem: str | None) -> str | None:
    """`pem` if it holds one or more PEM certificates and nothing unreadable."""
    if pem is None:
        return None
    try:
        certs = x509.load_pem_x509_certificates(pem.encode())
    except ValueError as exc:
        raise ValueError(f"must be PEM certificates (-----BEGIN CERTIFICATE-----): {exc}") from exc
    if not certs:
        raise ValueError("must hold at least one PEM certificate")
    return pem


def _private_key(pem: str) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("must be an unencrypted PEM private key") from exc


def check_private_key(pem: str | None) -> str | None:
    if pem is not None:
        _private_key(pem)
    return pem


def key_matches(cert_pem: str, key_pem: str) -> bool:
    """Whether the first certificate of `cert_pem` is the public half of `key_pem`."""
    cert = x509.load_pem_x509_certificates(cert_pem.encode())[0]
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    mine = _private_key(key_pem).public_key().public_bytes(der, spki)
    return bool(cert.public_key().public_bytes(der, spki) == mine)
