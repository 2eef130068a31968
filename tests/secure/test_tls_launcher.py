"""A TLS trunk's settings reach the SIP stack the dialer starts (its client key opened
from its seal only there); a trunk whose transport the stack does not have is an
error at the dialer's start (status down, with the reason), never a UDP trunk."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy import text

from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.dialer.store import DialerStore
from ringcast.telephony.sip.endpoint import EndpointConfig
from ringcast.telephony.sip.transport import TlsClient
from secure.tls_kit import CARRIER_NAME, Pki


def launcher(api) -> SipLauncher:
    state = api.app.state.ringcast
    return SipLauncher(
        state.sessions,
        state.storage,
        secrets=state.settings.secret_box(),
        endpoint=EndpointConfig(port=0),
    )


async def create(api, **body) -> str:
    base = {"name": "tls", "host": "sip.carrier.test", "transport": "tls"}
    r = await api.client.post("/api/trunks", json={**base, **body}, headers=api.acme.headers())
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_a_tls_trunk_reaches_the_sip_stack_with_its_client_settings(api, pki: Pki):
    full = await create(
        api,
        tlsCaBundle=pki.ca_pem,
        tlsServerName=CARRIER_NAME,
        tlsClientCert=pki.client_cert_pem,
        tlsClientKey=pki.client_key_pem,
    )
    plain = await create(api, name="system store", host="sip.example.net")
    infos, _ = await DialerStore(api.app.state.ringcast.sessions).trunks(api.acme.organization_id)
    sip = launcher(api)
    config = sip._config(infos[full])
    assert (config.transport, config.port) == ("tls", 5061)
    assert config.tls == TlsClient(
        pki.ca_pem.strip(), CARRIER_NAME, pki.client_cert_pem.strip(), pki.client_key_pem.strip()
    )
    assert infos[full].tls_client_key != config.tls.key_pem  # sealed until here
    default = sip._config(infos[plain])
    assert default.tls == TlsClient(server_name="sip.example.net")  # system store, its host
    assert default.tls_client == default.tls
    await sip.close()


async def test_an_unknown_transport_in_the_database_is_an_error_at_start(api):
    trunk_id = await create(api, transport="udp", host="127.0.0.1")
    async with api.app.state.ringcast.sessions.begin() as s:  # not through the API: a bad row
        await s.execute(
            text("UPDATE trunks SET transport = 'sctp' WHERE id = :id"), {"id": trunk_id}
        )
    sip = launcher(api)
    await sip.start()
    try:
        for _ in range(50):
            r = await api.client.get(f"/api/trunks/{trunk_id}", headers=api.acme.headers())
            if r.json()["status"] is not None:
                break
            await asyncio.sleep(0.05)
        assert r.json()["status"] == "down", r.json()
        assert r.json()["lastError"].startswith("trunk_config: unknown SIP transport 'sctp'")
        assert trunk_id not in sip.lines  # no agent on UDP instead
    finally:
        await sip.close()


def test_a_bad_tls_certificate_stops_the_dialer_at_its_start(tmp_path) -> None:
    env = {
        **os.environ,
        "RINGCAST_DATA_DIR": str(tmp_path),
        "RINGCAST_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/r.db",
        "RINGCAST_SIP_PORT": "0",
        "RINGCAST_SIP_TLS_PORT": "0",
        "RINGCAST_SIP_TLS_CERT_FILE": str(tmp_path / "missing.pem"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ringcast.cli.main", "dialer"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert "error: cannot open the SIP address: SIP TLS certificate/key" in done.stderr
    assert "Traceback" not in done.stderr
