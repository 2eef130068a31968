"""Trunk passwords are stored sealed (kit/secret_box.py) and opened only where the
dialer builds the trunk's SIP config."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text

from ringcast.dialer.launcher import CallPlan
from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.dialer.store import DialerStore
from ringcast.kit.secret_box import PREFIX, SecretBox, new_key

BASE = {"name": "main", "host": "sip.example.net", "username": "acme", "password": "s3cret-pw"}


async def stored_password(api, trunk_id: str) -> str | None:
    async with api.app.state.ringcast.sessions() as s:
        row = await s.execute(text("SELECT password FROM trunks WHERE id = :id"), {"id": trunk_id})
        return row.scalar_one()


async def trunk_info(api, trunk_id: str):
    infos, _ = await DialerStore(api.app.state.ringcast.sessions).trunks(api.acme.organization_id)
    return infos[trunk_id]


def launcher(api, secrets: SecretBox | None) -> SipLauncher:
    state = api.app.state.ringcast
    return SipLauncher(state.sessions, state.storage, secrets=secrets)


async def test_the_column_never_holds_the_password(api):
    h = api.acme.headers()
    created = await api.client.post("/api/trunks", json=BASE, headers=h)
    assert created.status_code == 201, created.text
    trunk_id = created.json()["id"]
    assert "s3cret-pw" not in created.text and created.json()["hasPassword"] is True
    box = api.app.state.ringcast.settings.secret_box()
    stored = await stored_password(api, trunk_id)
    assert stored is not None and stored.startswith(PREFIX) and "s3cret-pw" not in stored
    assert box.open(stored) == "s3cret-pw"

    # the longest password the API takes fits (PostgreSQL enforces the column's length)
    longest = "p" * 200
    r = await api.client.put(f"/api/trunks/{trunk_id}", json={"password": longest}, headers=h)
    assert r.status_code == 200, r.text
    stored = await stored_password(api, trunk_id)
    assert stored is not None and stored.startswith(PREFIX) and longest not in stored
    assert box.open(stored) == longest

    # an update that leaves the password out keeps it sealed as it was
    r = await api.client.put(f"/api/trunks/{trunk_id}", json={"maxChannels": 3}, headers=h)
    assert r.status_code == 200 and await stored_password(api, trunk_id) == stored
    listed = await api.client.get("/api/trunks", headers=h)
    assert longest not in listed.text and PREFIX not in listed.text


async def test_the_sip_config_gets_the_clear_password(api):
    h = api.acme.headers()
    trunk_id = (await api.client.post("/api/trunks", json=BASE, headers=h)).json()["id"]
    box = api.app.state.ringcast.settings.secret_box()
    config = launcher(api, box)._config(await trunk_info(api, trunk_id))
    assert (config.username, config.password) == ("acme", "s3cret-pw")


async def test_a_legacy_clear_password_still_works(api):
    h = api.acme.headers()
    trunk_id = (await api.client.post("/api/trunks", json=BASE, headers=h)).json()["id"]
    async with api.app.state.ringcast.sessions.begin() as s:
        await s.execute(
            text("UPDATE trunks SET password = 'old-clear-pw' WHERE id = :id"), {"id": trunk_id}
        )
    box = api.app.state.ringcast.settings.secret_box()
    info = await trunk_info(api, trunk_id)
    assert launcher(api, box)._config(info).password == "old-clear-pw"
    assert launcher(api, None)._config(info).password == "old-clear-pw"


async def test_a_wrong_key_fails_the_call_with_a_reason(api, caplog):
    h = api.acme.headers()
    trunk_id = (await api.client.post("/api/trunks", json=BASE, headers=h)).json()["id"]
    info = await trunk_info(api, trunk_id)
    plan = CallPlan(
        "c1", 1, 1, "e1", api.acme.organization_id, None, "+33600000000", {}, "+33100000000",
        info, None, {}, "f1", "flow", 1, None,  # type: ignore[arg-type]
    )  # fmt: skip
    for secrets in (SecretBox(new_key()), None):
        result = await launcher(api, secrets).launch(plan)
        assert result.outcome == "failed"
        assert result.outcome_reason is not None
        assert result.outcome_reason.startswith("trunk_password: cannot open a sealed secret")
        assert len(result.outcome_reason) <= 200  # call_attempts.outcome_reason
    assert f"trunk {trunk_id}: cannot open" in caplog.text
    # no trunk password at all: nothing to open
    config = launcher(api, SecretBox(new_key()))._config(replace(info, password=None))
    assert config.password is None
