"""The carrier settings of a trunk (README "Connecting a carrier") and its status."""

from __future__ import annotations

from datetime import UTC, datetime

from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.dialer.store import trunk_info
from ringcast.storage.local import LocalStorage
from ringcast.trunks.repository import TrunkRepository


async def test_carrier_settings_default_update_and_validate(api):
    h = api.acme.headers()
    r = await api.client.post("/api/trunks", json={"name": "c", "host": "sip.carrier.example"}, headers=h)  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert {k: body[k] for k in (
        "optionsIntervalSec", "registerExpiresSec", "symmetricRtp", "strictMediaSource",
        "maxInboundCalls", "numberFormat", "techPrefix", "assertedIdentity", "privacy",
        "fromUser", "status", "lastError", "statusAt",
    )} == {
        "optionsIntervalSec": 30, "registerExpiresSec": 3600, "symmetricRtp": True,
        "strictMediaSource": False, "maxInboundCalls": 10, "numberFormat": "e164",
        "techPrefix": None, "assertedIdentity": False, "privacy": False, "fromUser": None,
        "status": None, "lastError": None, "statusAt": None,
    }  # fmt: skip
    tid = body["id"]
    change = {"numberFormat": "national", "techPrefix": "9901#", "optionsIntervalSec": 0,
              "assertedIdentity": True, "privacy": True, "fromUser": "acct-42"}  # fmt: skip
    r = await api.client.put(f"/api/trunks/{tid}", json=change, headers=h)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in change} == change
    r = await api.client.put(f"/api/trunks/{tid}", json={"techPrefix": None}, headers=h)
    assert r.status_code == 200 and r.json()["techPrefix"] is None
    for bad in ({"numberFormat": "plus"}, {"techPrefix": "9x"}, {"optionsIntervalSec": -1},
                {"fromUser": "a b"}, {"registerExpiresSec": 1}, {"status": "up"}):  # fmt: skip
        r = await api.client.put(f"/api/trunks/{tid}", json=bad, headers=h)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["code"], r.text


async def test_the_status_the_dialer_writes_is_read_back(api):
    h = api.acme.headers()
    tid = (await api.client.post("/api/trunks", json={"name": "c", "host": "10.0.0.1"}, headers=h)).json()["id"]  # fmt: skip
    at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    async with api.app.state.ringcast.sessions.begin() as s:
        await TrunkRepository(s).set_status(tid, "unregistered", "REGISTER 403 Forbidden" * 20, at)
    body = (await api.client.get(f"/api/trunks/{tid}", headers=h)).json()
    assert body["status"] == "unregistered"
    assert body["lastError"].startswith("REGISTER 403 Forbidden") and len(body["lastError"]) == 200
    assert body["statusAt"].startswith("2026-12-03T12:00")


async def test_100rel_redirects_and_retry_after_cap_are_trunk_fields(api, tmp_path):
    """Issue 14: what was fixed in TrunkConfig is set per trunk, validated, and reaches
    the SIP agent the dialer builds for the trunk."""
    h = api.acme.headers()
    r = await api.client.post("/api/trunks", json={"name": "c", "host": "10.0.0.9"}, headers=h)
    assert r.status_code == 201, r.text
    fields = ("offer100rel", "maxRedirects", "maxRetryAfterSec")
    assert {k: r.json()[k] for k in fields} == {
        "offer100rel": True,
        "maxRedirects": 3,
        "maxRetryAfterSec": 60,
    }
    tid = r.json()["id"]
    change = {"offer100rel": False, "maxRedirects": 0, "maxRetryAfterSec": 600}
    r = await api.client.put(f"/api/trunks/{tid}", json=change, headers=h)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in fields} == change
    assert {
        k: (await api.client.get(f"/api/trunks/{tid}", headers=h)).json()[k] for k in fields
    } == change
    for bad in ({"maxRedirects": 11}, {"maxRedirects": -1}, {"maxRetryAfterSec": 3601},
                {"offer100rel": "sometimes"}):  # fmt: skip
        r = await api.client.put(f"/api/trunks/{tid}", json=bad, headers=h)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["code"] == "VALIDATION_FAILED", r.text
    r = await api.client.post(
        "/api/trunks", json={"name": "d", "host": "10.0.0.8", "maxRedirects": 20}, headers=h
    )
    assert r.status_code == 400 and "maxRedirects" in r.json()["fieldErrors"], r.text
    # the dialer's view of the row, and the SIP config it builds from it
    async with api.app.state.ringcast.sessions() as s:
        row = await TrunkRepository(s).get(api.acme.organization_id, tid)
    assert row is not None
    launcher = SipLauncher(None, LocalStorage(tmp_path))  # type: ignore[arg-type]
    config = launcher._config(trunk_info(row))
    assert (config.offer_100rel, config.max_redirects, config.max_retry_after_s) == (False, 0, 600)
