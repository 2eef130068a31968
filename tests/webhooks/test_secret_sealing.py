"""Webhook signing secrets are stored sealed (kit/secret_box.py); the worker opens
them to sign, and fails a delivery it cannot open with a clear `lastError`."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text

from ringcast.kit.secret_box import PREFIX, SecretBox, new_key
from webhooks.webhook_kit import Receiver, deliveries, receiving, subscribe, worker


async def stored_secret(api, webhook_id: str) -> str:
    async with api.app.state.ringcast.sessions() as s:
        row = await s.execute(
            text("SELECT secret FROM webhook_endpoints WHERE id = :id"), {"id": webhook_id}
        )
        return str(row.scalar_one())


async def send_test(api, webhook_id: str) -> None:
    r = await api.client.post(f"/api/webhooks/{webhook_id}/test", headers=api.acme.headers())
    assert r.status_code == 202, r.text


async def test_create_and_rotate_store_only_sealed_secrets(api):
    box = api.app.state.ringcast.settings.secret_box()
    async with receiving(Receiver()) as rx:
        hook = await subscribe(api, rx.url, ["*"])
        secret = hook["secret"]
        assert secret.startswith("whsec_")
        stored = await stored_secret(api, hook["id"])
        assert stored.startswith(PREFIX) and secret not in stored
        assert box.open(stored) == secret

        r = await api.client.post(
            f"/api/webhooks/{hook['id']}/rotate-secret", headers=api.acme.headers()
        )
        assert r.status_code == 200, r.text
        rotated = r.json()["secret"]
        assert rotated.startswith("whsec_") and rotated != secret
        stored = await stored_secret(api, hook["id"])
        assert stored.startswith(PREFIX) and rotated not in stored
        assert box.open(stored) == rotated
        read = await api.client.get(f"/api/webhooks/{hook['id']}", headers=api.acme.headers())
        assert "secret" not in read.json() and PREFIX not in read.text

        # the receiver verifies with the clear secret the rotation answered
        rx.secret = rotated
        await send_test(api, hook["id"])
        w = worker(api)
        assert await w.run_once() == 1
        await w.aclose()
    [received] = rx.requests
    assert received.signature_ok


async def test_a_legacy_clear_secret_still_signs(api):
    async with receiving(Receiver(secret="whsec_legacy-clear-secret")) as rx:
        hook = await subscribe(api, rx.url, ["*"])
        async with api.app.state.ringcast.sessions.begin() as s:
            await s.execute(
                text("UPDATE webhook_endpoints SET secret = :s WHERE id = :id"),
                {"s": rx.secret, "id": hook["id"]},
            )
        await send_test(api, hook["id"])
        w = worker(api)
        assert await w.run_once() == 1
        await w.aclose()
    [received] = rx.requests
    assert received.signature_ok
    [row] = await deliveries(api)
    assert row.status == "delivered"


async def test_a_wrong_key_fails_the_delivery_with_a_clear_error(api):
    async with receiving(Receiver()) as rx:
        hook = await subscribe(api, rx.url, ["*"])
        rx.secret = hook["secret"]
        await send_test(api, hook["id"])
        w = worker(api)
        w.config = replace(w.config, secrets=SecretBox(new_key()))  # another host's key
        assert await w.run_once() == 1  # the round completes: nothing raised
        await w.aclose()
        assert rx.requests == []  # nothing sent unsigned or wrongly signed
        [row] = await deliveries(api)
        assert row.status == "pending" and row.last_status_code is None
        assert row.last_error is not None
        assert row.last_error.startswith("secret: cannot open a sealed secret")
        assert "RINGCAST_SECRET_KEY" in row.last_error

        # with the right key the retry goes through
        w = worker(api)
        assert await w.run_once(row.next_attempt_at) == 1
        await w.aclose()
    [received] = rx.requests
    assert received.signature_ok
