from __future__ import annotations

import logging
from typing import Any

import typer
from typer.testing import CliRunner

from ringcast.cli import banner
from ringcast.cli.main import app
from ringcast.settings import get_settings


def _commands(group: Any, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (typer ships its own click)
            found += _commands(command, [*prefix, name])
        else:
            found.append([*prefix, name])
    return found


def test_every_help_text_is_clean():
    runner = CliRunner()
    for path in _commands(typer.main.get_command(app), []):
        r = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
        assert r.exit_code == 0, (path, r.output)
        assert "<bool>" not in r.output, (path, r.output)
        assert "['" not in r.output and "None" not in r.output, (path, r.output)
    farm = runner.invoke(app, ["callee-farm", "--help"]).output
    assert "presses 9, then 1" in farm and "presses nothing" in farm


def test_keys_list_shows_whole_ids_and_create_no_none(tmp_path, monkeypatch):
    monkeypatch.setenv("RINGCAST_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        made = runner.invoke(app, ["keys", "create", "--org", "acme", "--name", "ops"])
        assert made.exit_code == 0, made.output
        assert "None" not in made.output and "expires=never" in made.output
        key_id = made.output.split("id=", 1)[1].split()[0]
        listed = runner.invoke(app, ["keys", "list"], env={"COLUMNS": "60"})
        assert key_id in listed.output, listed.output
        revoked = runner.invoke(app, ["keys", "revoke", key_id])
        assert revoked.exit_code == 0, revoked.output
    finally:
        get_settings.cache_clear()


def test_serve_banner_names_api_docs_and_dashboard():
    text = banner.addresses("0.0.0.0", 8080)
    for path in ("/api", "/docs", "/redoc", "/dashboard"):
        assert f"http://127.0.0.1:8080{path}" in text
    assert banner.base_url("::1", 9000) == "http://[::1]:9000"
    banner.quiet_libraries("INFO")
    assert not logging.getLogger("alembic").isEnabledFor(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.NOTSET)
