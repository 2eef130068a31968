"""`ringcast secrets encrypt-existing`: seal what was stored before sealing."""

from __future__ import annotations

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.cli._async import run_in_session
from ringcast.settings import get_settings
from ringcast.trunks import service as trunks
from ringcast.webhooks import service as webhooks

app = typer.Typer(help="Stored secrets (trunk passwords, webhook secrets).", no_args_is_help=True)


@app.command("encrypt-existing")
def encrypt_existing() -> None:
    """Seal every trunk password and webhook secret still stored in clear (one transaction)."""
    secrets = get_settings().secret_box()

    async def work(session: AsyncSession) -> tuple[int, int]:
        return (
            await trunks.seal_existing(session, secrets),
            await webhooks.seal_existing(session, secrets),
        )

    passwords, signing_secrets = run_in_session(work)
    typer.echo(
        f"sealed {passwords} trunk password(s) and {signing_secrets} webhook secret(s) "
        f"({passwords + signing_secrets} in all)"
    )
