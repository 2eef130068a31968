"""The worker runs inside the dialer process (`DialerRunner`, as in `ringcast
serve` and `ringcast dialer`) and sends what the dialer's calls published."""

from __future__ import annotations

import asyncio

from dialer.dialer_kit import launch, scripted
from ringcast.dialer.loop import DialerConfig
from ringcast.dialer.service import DialerRunner, delivery_config
from ringcast.settings import Settings
from webhooks.webhook_kit import Receiver, receiving, subscribe


async def test_the_dialer_process_delivers_its_events(api, db_url, tmp_path):
    settings = Settings(
        data_dir=api.app.state.ringcast.settings.data_dir,  # the API's key file: one key
        database_url=db_url,
        webhook_poll_s=0.05,
        webhook_backoff_s=[0.1],
        webhook_allow_private_networks=True,  # the receiver is on 127.0.0.1
    )
    config = delivery_config(settings)
    assert (config.poll_s, config.backoff_s, config.allow_private_networks) == (0.05, (0.1,), True)
    other = Settings(data_dir=tmp_path / "other", database_url=db_url)
    assert delivery_config(other).allow_private_networks is False
    async with receiving(Receiver(statuses=[500])) as rx:
        hook = await subscribe(api, rx.url, ["call.completed", "execution.completed"])
        rx.secret = hook["secret"]
        await launch(api, contacts=2, callsPerSecond=100)
        runner = DialerRunner(
            api.app.state.ringcast.sessions, scripted(), DialerConfig(tick_s=0.05), config
        )
        runner.start()
        try:
            for _ in range(200):
                if len(rx.requests) >= 4:
                    break
                await asyncio.sleep(0.05)
        finally:
            await runner.stop()
    delivered = {r.headers["ringcast-delivery"] for r in rx.requests}
    assert len(delivered) == 3, [r.event["type"] for r in rx.requests]
    assert len(rx.requests) == 4  # the first got a 500 and was sent again
    types = sorted(r.event["type"] for r in rx.requests[1:])
    assert types == ["call.completed", "call.completed", "execution.completed"]
    assert all(r.signature_ok for r in rx.requests)
