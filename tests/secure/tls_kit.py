"""Throwaway certificates for the TLS tests (trustme): a carrier CA, a certificate for
the carrier (a name and its loopback address), one for ringcast's listener, and a
second CA nobody trusts (the "wrong certificate")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme

CARRIER_NAME = "sip.carrier.test"
CARRIER_HOST = "127.0.0.41"  # Kamailio, the TLS carrier (tests/secure's own addresses)
PSTN_SIDE = "127.0.0.43"  # sipp behind it


@dataclass
class Pki:
    ca: trustme.CA
    other_ca: trustme.CA  # signs nothing we trust
    carrier_cert: Path  # chain + key files, for Kamailio or a test server
    carrier_key: Path
    ringcast_cert: Path  # our TLS listener's
    ringcast_key: Path
    client_cert_pem: str  # a client certificate for ringcast (mutual TLS)
    client_key_pem: str

    @property
    def ca_pem(self) -> str:
        return self.ca.cert_pem.bytes().decode()

    @property
    def other_ca_pem(self) -> str:
        return self.other_ca.cert_pem.bytes().decode()


def make_pki(work: Path, carrier_hosts: tuple[str, ...]) -> Pki:
    ca, other = trustme.CA(organization_name="carrier CA"), trustme.CA()
    carrier = ca.issue_cert(CARRIER_NAME, *carrier_hosts)
    ours = ca.issue_cert("ringcast.test", "127.0.0.1")
    client = ca.issue_cert("ringcast-client.test")
    paths = {}
    for name, cert in (("carrier", carrier), ("ringcast", ours)):
        paths[f"{name}_cert"] = work / f"{name}.crt"
        paths[f"{name}_key"] = work / f"{name}.key"
        paths[f"{name}_cert"].write_bytes(b"".join(p.bytes() for p in cert.cert_chain_pems))
        cert.private_key_pem.write_to_path(str(paths[f"{name}_key"]))
    return Pki(
        ca,
        other,
        client_cert_pem=b"".join(p.bytes() for p in client.cert_chain_pems).decode(),
        client_key_pem=client.private_key_pem.bytes().decode(),
        **paths,
    )
