"""`ringcast keys create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.auth import service
from ringcast.auth.models import ApiKey
from ringcast.auth.repository import OrganizationRepository
from ringcast.auth.schemas import ApiKeyCreate, Role
from ringcast.cli._async import run_in_session
from ringcast.db.base import utcnow
from ringcast.errors import AppError

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
console = Console()


@app.command("create")
def create(
    org: Annotated[str, typer.Option(help="Organization name (created if new)")],
    name: Annotated[str, typer.Option(help="A name for the key")],
    prefix: Annotated[str, typer.Option(help="Key prefix, e.g. prod_")] = "prod_",
    role: Annotated[Role, typer.Option(help="admin, manager or agent")] = Role.admin,
    expires: Annotated[str | None, typer.Option(help="Lifetime, e.g. 90d, 12h")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the secret")] = False,
) -> None:
    """Create a key and print its secret (shown this once only)."""
    try:
        expires_at = utcnow() + service.parse_duration(expires) if expires else None
        data = ApiKeyCreate(name=name, prefix=prefix, role=role, expires_at=expires_at)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc

    async def work(session: AsyncSession) -> tuple[ApiKey, str, str]:
        organization = await service.get_or_create_organization(session, org)
        key, secret = await service.create_key(session, organization.id, data)
        return key, secret, organization.id

    try:
        key, secret, org_id = run_in_session(work)
    except AppError as exc:
        console.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from exc
    if quiet:
        typer.echo(secret)
        return
    console.print(f"Organization [bold]{org}[/] ({org_id})")
    expires_text = key.expires_at.isoformat() if key.expires_at else "never"
    console.print(f"Key [bold]{key.name}[/] id={key.id} role={key.role} expires={expires_text}")
    console.print("Secret (store it now, it is not shown again):")
    typer.echo(secret)


@app.command("list")
def list_keys(
    org: Annotated[str | None, typer.Option(help="Only this organization")] = None,
) -> None:
    """List keys (never their secrets)."""

    async def work(session: AsyncSession) -> list[ApiKey]:
        org_id = None
        if org is not None:
            organization = await OrganizationRepository(session).get_by_name(org)
            if organization is None:
                return []
            org_id = organization.id
        return list(await service.list_keys(session, org_id))

    keys = run_in_session(work)
    # ids are pasted into `keys revoke`: never cut or wrapped, whatever the width
    id_width = max((len(k.id) for k in keys), default=2)
    table = Table(
        Column("id", no_wrap=True, min_width=id_width),
        "name",
        "prefix",
        "role",
        "active",
        "expires",
        "last used",
    )
    for key in keys:
        table.add_row(
            key.id,
            key.name,
            key.key_prefix,
            key.role,
            "yes" if key.is_active else "revoked",
            str(key.expires_at or "-"),
            str(key.last_used_at or "-"),
        )
    console.print(table)


@app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id")]) -> None:
    """Revoke a key: it answers 401 API_KEY_REVOKED from now on."""

    async def work(session: AsyncSession) -> ApiKey | None:
        for key in await service.list_keys(session, None):
            if key.id == key_id:
                return await service.revoke_key(session, key.organization_id, key_id)
        return None

    key = run_in_session(work)
    if key is None:
        console.print(f"[red]error:[/] no key {key_id}")
        raise typer.Exit(1)
    console.print(f"Revoked {key.id} ({key.name})")
