"""`ringcast` — the command line entry point."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from ringcast.cli import amd, banner, calleefarm, contacts, demo, keys, operate, secrets
from ringcast.cli import dialer as dialer_cli
from ringcast.kit.fds import prepare_fds

app = typer.Typer(
    help="ringcast: self-hosted outbound voice campaigns.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(keys.app, name="keys")
app.add_typer(amd.app, name="amd", help="Answering-machine detection tools.")
app.command("callee-farm")(calleefarm.callee_farm)
app.command("demo")(demo.demo)
app.command("dialer")(dialer_cli.dialer)
app.add_typer(contacts.app, name="contacts")
app.add_typer(secrets.app, name="secrets")
app.add_typer(operate.programs_app, name="programs")
app.command("watch")(operate.watch)
app.command("export")(operate.export)

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    from ringcast.db.migrate import upgrade
    from ringcast.settings import get_settings

    settings = get_settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url())
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Bind port")] = None,
    dialer: Annotated[
        bool,
        typer.Option("--dialer/--no-dialer", help="Run the dialer (a supervised child process)"),
    ] = True,
) -> None:
    """Run the HTTP API, and by default the dialer in a supervised child process."""
    import uvicorn

    from ringcast.api.app import create_app
    from ringcast.settings import get_settings

    settings = get_settings()
    prepare_fds()  # kit/fds.py
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    banner.quiet_libraries(settings.log_level)
    on_startup, on_shutdown = dialer_cli.serve_hooks(dialer)
    app_ = create_app(settings, on_startup=on_startup, on_shutdown=on_shutdown)
    app_.state.run_dialer = dialer
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(banner.addresses(bind_host, bind_port))
    uvicorn.run(app_, host=bind_host, port=bind_port, log_level="info", access_log=False)


if __name__ == "__main__":
    app()
