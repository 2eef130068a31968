from __future__ import annotations

import csv
import io
import time

import pytest
from typer.testing import CliRunner

from ringcast.cli.main import app
from served_kit import Served, phone, pressing, seed_program, serve


@pytest.fixture
def served(tmp_path):
    scripts = {phone(0): pressing("1"), phone(1): pressing("2")}
    with serve(tmp_path / "data", lambda n: scripts.get(n, pressing())) as s:
        yield s


def _run(served: Served, *args: str) -> str:
    env = {"RINGCAST_URL": served.url, "RINGCAST_API_KEY": served.key}
    r = CliRunner().invoke(app, list(args), env=env)
    assert r.exit_code == 0, (args, r.output)
    return r.output


def _wait_finished(served: Served, execution_id: str) -> None:
    with served.client() as c:
        deadline = time.monotonic() + 30
        while c.get(f"/api/program-executions/{execution_id}").json()["status"] != "completed":
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_programs_launch_pause_resume_watch_export(served, tmp_path):
    program_id = seed_program(served, contacts=6, calls_per_second=2)
    listed = _run(served, "programs", "list")
    assert program_id in listed and "never launched" in listed
    execution_id = _run(served, "programs", "launch", program_id).strip()
    assert len(execution_id) == 36
    # a program id acts on its live execution
    assert f"{execution_id} is now paused_manual" in _run(served, "programs", "pause", program_id)
    assert "is now running" in _run(served, "programs", "resume", execution_id)
    shown = _run(served, "programs", "show", program_id)
    assert "reminders" in shown and execution_id in shown and "None" not in shown
    # piped (not a terminal): one progress line per update until it ends
    watched = _run(served, "watch", execution_id, "--interval", "0.3")
    lines = [line for line in watched.splitlines() if execution_id in line]
    assert len(lines) >= 2, watched
    assert "calls/min" in lines[-2] and "outcomes:" in lines[-2]
    assert watched.strip().endswith(f"execution {execution_id} completed")
    out = tmp_path / "result.csv"
    exported = _run(served, "export", execution_id, "-o", str(out))
    assert "wrote 6 rows" in exported
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    keys = {r["phone"]: r["key:menu"] for r in rows}
    assert keys[phone(0)] == "1" and keys[phone(1)] == "2"
    relaunched = _run(served, "programs", "relaunch", execution_id, "--outcome", "completed")
    _wait_finished(served, relaunched.strip())


def test_cli_errors_are_messages_not_tracebacks(served):
    env = {"RINGCAST_URL": served.url, "RINGCAST_API_KEY": served.key}
    r = CliRunner().invoke(app, ["programs", "show", "nope"], env=env)
    assert r.exit_code == 1 and "not found" in r.output.lower() and "Traceback" not in r.output
    r = CliRunner().invoke(
        app, ["programs", "list"], env={"RINGCAST_URL": served.url, "RINGCAST_API_KEY": "bad"}
    )
    assert r.exit_code == 1 and "API_KEY" in r.output
    r = CliRunner().invoke(app, ["programs", "list", "--url", "http://127.0.0.1:9", "--key", "x"])
    assert r.exit_code == 1 and "cannot reach" in r.output
