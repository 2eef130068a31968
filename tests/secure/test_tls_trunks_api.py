"""TLS trunks through the API: transport "tls" (port 5061 when none is given), the CA
bundle and client certificate as checked PEM text, the client key write-only and
sealed; an unknown transport is a 400 in the contract's error shape; the API's list
of transports is the SIP stack's."""

from __future__ import annotations

from typing import get_args

from sqlalchemy import select

from ringcast.telephony.sip.transport import TRANSPORTS
from ringcast.trunks.models import Trunk
from ringcast.trunks.schemas import Transport
from secure.tls_kit import CARRIER_NAME, Pki

BASE = {"name": "secure", "host": "sip.carrier.test", "transport": "tls"}


def test_the_api_accepts_exactly_the_transports_the_stack_has() -> None:
    assert set(get_args(Transport)) == set(TRANSPORTS)


async def test_an_unknown_transport_is_a_400_at_trunk_creation(api) -> None:
    h = api.acme.headers()
    for transport in ("sctp", "TLS ", "ws", ""):
        r = await api.client.post("/api/trunks", json={**BASE, "transport": transport}, headers=h)
        assert r.status_code == 400, r.text
        body = r.json()
        assert (body["statusCode"], body["code"]) == (400, "VALIDATION_FAILED")
        assert "transport" in body["fieldErrors"], body
    r = await api.client.post("/api/trunks", json={**BASE, "name": "t"}, headers=h)
    trunk_id = r.json()["id"]
    r = await api.client.put(f"/api/trunks/{trunk_id}", json={"transport": "sctp"}, headers=h)
    assert r.status_code == 400 and "transport" in r.json()["fieldErrors"]


async def test_a_tls_trunk_defaults_to_5061_and_keeps_its_client_key_secret(api, pki: Pki) -> None:
    h = api.acme.headers()
    body = {
        **BASE,
        "tlsCaBundle": pki.ca_pem,
        "tlsServerName": CARRIER_NAME,
        "tlsClientCert": pki.client_cert_pem,
        "tlsClientKey": pki.client_key_pem,
    }
    r = await api.client.post("/api/trunks", json=body, headers=h)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["transport"], out["port"]) == ("tls", 5061)
    assert out["tlsCaBundle"].strip() == pki.ca_pem.strip()
    assert out["tlsServerName"] == CARRIER_NAME and out["hasTlsClientKey"] is True
    assert "tlsClientKey" not in out
    listed = await api.client.get("/api/trunks", headers=h)
    assert "PRIVATE KEY" not in listed.text and "PRIVATE KEY" not in r.text
    async with api.app.state.ringcast.sessions() as s:
        stored = (await s.execute(select(Trunk.tls_client_key))).scalar_one()
    assert stored.startswith("fernet:") and "PRIVATE KEY" not in stored  # sealed at rest
    udp = await api.client.post("/api/trunks", json={**BASE, "transport": "udp"}, headers=h)
    assert udp.json()["port"] == 5060
    # the key can be cleared, not read back
    r = await api.client.put(
        f"/api/trunks/{out['id']}", json={"tlsClientKey": None, "tlsClientCert": None}, headers=h
    )
    assert r.status_code == 200 and r.json()["hasTlsClientKey"] is False


async def test_tls_material_that_is_not_pem_or_does_not_match_is_a_400(api, pki: Pki) -> None:
    h = api.acme.headers()
    cases = [
        ({"tlsCaBundle": "not a certificate"}, "tlsCaBundle"),
        ({"tlsClientCert": pki.client_cert_pem, "tlsClientKey": "nope"}, "tlsClientKey"),
        ({"tlsServerName": "bad name!"}, "tlsServerName"),
        ({"tlsClientKey": pki.client_key_pem}, "tlsClientCert"),  # a key without its cert
        # a certificate with someone else's key
        ({"tlsClientCert": pki.ca_pem, "tlsClientKey": pki.client_key_pem}, "tlsClientKey"),
    ]
    for extra, field in cases:
        r = await api.client.post("/api/trunks", json={**BASE, **extra}, headers=h)
        assert r.status_code == 400, (extra, r.text)
        assert field in r.json()["fieldErrors"], (extra, r.json())
