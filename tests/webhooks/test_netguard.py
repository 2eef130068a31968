"""The SSRF guard: webhooks may not point at, nor be delivered to, this host or
its private networks (unless RINGCAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS)."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from sqlalchemy import update

from ringcast.settings import Settings
from ringcast.webhooks.events import Event
from ringcast.webhooks.models import WebhookEndpoint
from ringcast.webhooks.netguard import address_kind, ip_literal, url_refusal
from ringcast.webhooks.outbox import publish
from ringcast.webhooks.worker import DeliveryWorker
from webhooks.webhook_kit import FAST, Receiver, deliveries, now, receiving, subscribe, worker


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The guard on, as by default (tests/webhooks/conftest.py turns it off)."""
    return settings.model_copy(update={"webhook_allow_private_networks": False})


BLOCKED = [
    ("127.0.0.1", "loopback"),
    ("127.1", "loopback"),  # inet_aton's short form
    ("2130706433", "loopback"),  # and its single number
    ("0x7f.0.0.1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("100.64.0.1", "shared (carrier-grade NAT)"),
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("fd00::1", "private"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
    ("::ffff:169.254.169.254", "link-local"),
    ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
]


@pytest.mark.parametrize(("host", "kind"), BLOCKED)
def test_non_public_addresses_are_named(host, kind):
    literal = ip_literal(host)
    assert literal is not None
    assert address_kind(literal) == kind


@pytest.mark.parametrize("host", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(host):
    literal = ip_literal(host)
    assert literal is not None and address_kind(literal) is None


@pytest.mark.parametrize(
    "url",
    ["https://example.com/hooks", "http://hooks.example.test:8080/x", "https://8.8.8.8/x"],
)
def test_public_urls_are_not_refused(url):
    assert url_refusal(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks",
        "http://10.0.0.5/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[fe80::1%25eth0]/x",
        "http://127.1/x",
        "http://localhost:8080/x",
        "http://LOCALHOST./x",
        "https://api.localhost/x",
        "http://0.0.0.0:80/",
    ],
)
async def test_private_and_localhost_urls_are_a_400_on_url(api, url):
    r = await api.client.post(
        "/api/webhooks", json={"url": url, "events": ["*"]}, headers=api.acme.headers()
    )
    assert r.status_code == 400, r.text
    error = r.json()
    assert error["code"] == "VALIDATION_FAILED"
    assert list(error["fieldErrors"]) == ["url"], error
    assert "public address" in error["fieldErrors"]["url"][0]
    assert error["fieldDetails"]["url"][0]["code"] == "private_address"
    listed = await api.client.get("/api/webhooks", headers=api.acme.headers())
    assert listed.json()["meta"]["total"] == 0  # nothing stored


async def test_an_update_to_a_private_url_is_a_400_and_changes_nothing(api):
    hook = await subscribe(api, "https://example.com/hooks", ["*"])
    h = api.acme.headers()
    for url in ("http://localhost/x", "http://192.168.0.10/x"):
        r = await api.client.put(f"/api/webhooks/{hook['id']}", json={"url": url}, headers=h)
        assert r.status_code == 400, r.text
        assert r.json()["fieldDetails"]["url"][0]["code"] == "private_address"
    got = await api.client.get(f"/api/webhooks/{hook['id']}", headers=h)
    assert got.json()["url"] == "https://example.com/hooks"
    # other properties still change
    r = await api.client.put(f"/api/webhooks/{hook['id']}", json={"active": False}, headers=h)
    assert r.status_code == 200


async def _queue_one(api) -> None:
    async with api.app.state.ringcast.sessions.begin() as s:
        await publish(s, [Event(api.acme.organization_id, "webhook.test", {"n": 1}, now())])


class FakeDns:
    """The resolver seam: names to addresses, counting lookups."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


async def test_a_name_resolving_to_loopback_is_refused_and_retried(api):
    async with receiving(Receiver()) as rx:
        await subscribe(api, f"http://hooks.example.test:{rx.port}/hooks", ["*"])
        await _queue_one(api)
        dns = FakeDns({"hooks.example.test": ["127.0.0.1"]})
        w = worker(api, resolve=dns)
        assert await w.run_once() == 1
        await w.aclose()
    assert rx.requests == []  # never reached
    assert dns.lookups == ["hooks.example.test"]
    [row] = await deliveries(api)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, None)
    assert row.next_attempt_at is not None  # retried like any failure
    assert row.last_error == (
        "refused: hooks.example.test resolves to 127.0.0.1, a loopback address "
        "(webhooks may only reach public addresses)"
    )


async def test_one_private_address_among_public_ones_is_enough_to_refuse(api):
    await subscribe(api, "https://hooks.example.test/hooks", ["*"])
    await _queue_one(api)
    # refused before any connection: nothing is sent to the public address either
    dns = FakeDns({"hooks.example.test": ["93.184.215.14", "10.0.0.7"]})
    w = worker(api, replace(FAST, max_attempts=1), resolve=dns)
    assert await w.run_once() == 1
    await w.aclose()
    [row] = await deliveries(api)
    assert row.status == "failed"
    assert row.last_error is not None
    assert row.last_error.startswith("refused: hooks.example.test resolves to 10.0.0.7, a private")


async def test_localhost_set_after_creation_is_refused_at_delivery(api):
    """The system resolver: `localhost` written into the row behind the API's back."""
    async with receiving(Receiver()) as rx:
        hook = await subscribe(api, "https://example.com/hooks", ["*"])
        async with api.app.state.ringcast.sessions.begin() as s:
            await s.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == hook["id"])
                .values(url=f"http://localhost:{rx.port}/hooks")
            )
        await _queue_one(api)
        w = worker(api)
        assert await w.run_once() == 1
        await w.aclose()
    assert rx.requests == []
    [row] = await deliveries(api)
    assert row.status == "pending" and row.last_error is not None
    assert row.last_error.startswith("refused: localhost resolves to "), row.last_error
    assert "a loopback address" in row.last_error


async def test_an_unresolvable_name_is_a_failed_attempt(api):
    await subscribe(api, "https://nowhere.example.test/hooks", ["*"])
    await _queue_one(api)
    w = worker(api, resolve=FakeDns({}))
    assert await w.run_once() == 1
    await w.aclose()
    [row] = await deliveries(api)
    assert row.status == "pending"
    assert row.last_error is not None
    assert row.last_error.startswith("ConnectError: cannot resolve nowhere.example.test")


async def test_allowed_deliveries_connect_to_the_address_that_was_checked(api):
    """Allowed: the request goes to the address the seam returned (the system
    resolver does not know the name), once resolved, with the URL's Host."""
    async with receiving(Receiver()) as rx:
        hook = await subscribe(api, f"http://hooks.example.test:{rx.port}/hooks", ["*"])
        rx.secret = hook["secret"]
        await _queue_one(api)
        dns = FakeDns({"hooks.example.test": ["127.0.0.1"]})
        sessions = api.app.state.ringcast.sessions
        secrets = api.app.state.ringcast.settings.secret_box()
        allowed = replace(FAST, allow_private_networks=True, secrets=secrets)
        w = DeliveryWorker(sessions, allowed, resolve=dns)
        assert await w.run_once() == 1
        await w.aclose()
    assert dns.lookups == ["hooks.example.test"]
    [received] = rx.requests
    assert received.headers["host"] == f"hooks.example.test:{rx.port}"
    assert received.signature_ok
    [row] = await deliveries(api)
    assert (row.status, row.last_status_code) == ("delivered", 200)
