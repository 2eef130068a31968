from __future__ import annotations

from typer.testing import CliRunner

from ringcast.cli.main import app
from ringcast.settings import get_settings


def test_keys_create_list_revoke(tmp_path, monkeypatch):
    monkeypatch.setenv("RINGCAST_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "keys",
            "create",
            "--org",
            "acme",
            "--name",
            "ops",
            "--prefix",
            "prod_",
            "--role",
            "admin",
            "--expires",
            "90d",
            "-q",
        ],
    )
    assert r.exit_code == 0, r.output
    secret = r.output.strip()
    assert secret.startswith("prod_") and len(secret) == 5 + 55
    r = runner.invoke(app, ["keys", "list", "--org", "acme"])
    assert r.exit_code == 0 and "ops" in r.output and secret not in r.output
    r = runner.invoke(app, ["keys", "create", "--org", "acme", "--name", "x", "--expires", "soon"])
    assert r.exit_code != 0
    get_settings.cache_clear()
