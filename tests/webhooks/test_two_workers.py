"""Two workers (two dialer processes) share the outbox: each delivery is sent once."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace

from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.webhooks.events import Event
from ringcast.webhooks.outbox import publish
from ringcast.webhooks.worker import DeliveryWorker
from webhooks.webhook_kit import FAST, Receiver, deliveries, now, receiving, subscribe

EVENTS = 200


async def test_two_workers_deliver_each_event_exactly_once(api, db_url):
    async with receiving(Receiver(delay_s=0.002)) as rx:
        hook = await subscribe(api, rx.url, ["*"])
        rx.secret = hook["secret"]
        at = now()
        async with api.app.state.ringcast.sessions.begin() as s:
            events = [
                Event(api.acme.organization_id, "webhook.test", {"n": n}, at) for n in range(EVENTS)
            ]
            assert await publish(s, events) == EVENTS
        # each worker has its own engine, as two processes would
        engines = [create_engine(db_url) for _ in range(2)]
        secrets = api.app.state.ringcast.settings.secret_box()
        config = replace(FAST, batch=10, allow_private_networks=True, secrets=secrets)
        workers = [DeliveryWorker(create_sessionmaker(e), config) for e in engines]

        async def drain(w: DeliveryWorker) -> None:
            for _ in range(200):
                if await w.run_once() == 0 and len(rx.requests) >= EVENTS:
                    return
                await asyncio.sleep(0)

        try:
            await asyncio.wait_for(asyncio.gather(*(drain(w) for w in workers)), 60)
        finally:
            for w in workers:
                await w.aclose()
            for e in engines:
                await e.dispose()

    per_delivery = Counter(r.headers["ringcast-delivery"] for r in rx.requests)
    assert len(per_delivery) == EVENTS
    assert set(per_delivery.values()) == {1}, "a delivery was sent twice"
    assert sorted(r.event["data"]["n"] for r in rx.requests) == list(range(EVENTS))
    assert all(r.signature_ok for r in rx.requests)
    assert all(w.sent > 0 for w in workers), [w.sent for w in workers]
    assert {row.status for row in await deliveries(api)} == {"delivered"}
