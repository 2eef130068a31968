"""Operator commands against a server: `ringcast programs ...`, `watch`, `export`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ringcast.cli.remote import DEFAULT_URL, KeyOption, Remote, UrlOption, fail

programs_app = typer.Typer(
    help="List, show, launch, pause, resume, cancel and relaunch programs.", no_args_is_help=True
)
FINISHED = frozenset({"completed", "stopped", "cancelled"})
LIVE = frozenset({"scheduled", "running", "paused", "paused_threshold"})


def _dash(value: object) -> str:
    return "-" if value in (None, "") else str(value)


def _executions(remote: Remote, program_id: str, limit: int = 5) -> list[dict[str, Any]]:
    page = remote.get(f"/api/programs/{program_id}/executions", limit=limit)
    return list(page["data"])


def _target_execution(remote: Remote, ident: str) -> str:
    """A program id means its live execution; anything else is an execution id."""
    try:
        response = remote.client.get(f"/api/programs/{ident}")
    except Exception as exc:  # reached below with a proper message
        fail(f"cannot reach {remote.url}: {exc}")
    if response.status_code != 200:
        return ident
    for execution in _executions(remote, ident, 20):
        if execution["status"] in LIVE:
            return str(execution["id"])
    fail(f"program {ident} has no scheduled, running or paused execution")


def _progress_line(e: dict[str, Any], live: dict[str, Any] | None = None) -> str:
    total = e["totalContacts"] or 0
    done = e["contactsCompleted"] + e["contactsFailed"]
    pct = round(100 * done / total) if total else 0
    line = (
        f"{time.strftime('%H:%M:%S')} {e['id']} {e['effectiveStatus']:<14} "
        f"{done}/{total} done ({pct}%) completed={e['contactsCompleted']} "
        f"failed={e['contactsFailed']} pending={e['contactsPending']} "
        f"calling={e['contactsInProgress']}"
    )
    if live is not None:
        outcomes = " ".join(f"{k}={v}" for k, v in live["outcomes"].items()) or "none yet"
        amd = " ".join(f"{k}={v}" for k, v in live["amd"].items()) or "-"
        line += f" | {live['callsPerMinute']:.1f} calls/min | outcomes: {outcomes} | AMD: {amd}"
        if live["pausedBy"]:
            rules = ", ".join(
                f"node {r['nodeId']} ran {r['count']}/{r['threshold']}" for r in live["pausedBy"]
            )
            line += f" | paused by autoPause rule: {rules}"
    return line


@programs_app.command("list")
def programs_list(url: UrlOption = DEFAULT_URL, key: KeyOption = "") -> None:
    """Programs with their latest execution."""
    with Remote(url, key) as remote:
        page = remote.get("/api/programs", limit=100)
        if not page["data"]:
            typer.echo("no programs")
        for p in page["data"]:
            latest = _executions(remote, p["id"], 1)
            run = (
                f"{latest[0]['id']} {latest[0]['effectiveStatus']}" if latest else "never launched"
            )
            typer.echo(f"{p['id']}  {p['name']}  [{p['status']}]  latest: {run}")


@programs_app.command("show")
def programs_show(
    program_id: Annotated[str, typer.Argument(help="Program id")],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = "",
) -> None:
    """A program's settings and its recent executions."""
    with Remote(url, key) as remote:
        p = remote.get(f"/api/programs/{program_id}")
        typer.echo(f"{p['name']}  ({p['id']})  status {p['status']}")
        for label, field in (
            ("audience", "audienceId"),
            ("flow", "flowId"),
            ("caller ids", "didPool"),
            ("starts", "startAt"),
            ("stops", "stopAt"),
            ("timezone", "timezone"),
            ("max concurrent calls", "maxConcurrentCalls"),
            ("calls per second", "callsPerSecond"),
        ):
            value = p.get(field)
            if isinstance(value, list):
                value = ", ".join(value)
            typer.echo(f"  {label:<21} {_dash(value)}")
        retry = p.get("retryStrategy") or {}
        typer.echo(f"  {'retry':<21} {_dash(retry.get('type'))}")
        runs = _executions(remote, program_id, 5)
        typer.echo("executions:" if runs else "executions: none")
        for e in runs:
            typer.echo("  " + _progress_line(e))


@programs_app.command("launch")
def programs_launch(
    program_id: Annotated[str, typer.Argument(help="Program id")],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = "",
) -> None:
    """Launch a program; prints the new execution's id."""
    with Remote(url, key) as remote:
        result = remote.call("POST", f"/api/programs/{program_id}/launch")
        typer.echo(result["executionId"])


def _act(action: str, ident: str, url: str, key: str) -> None:
    with Remote(url, key) as remote:
        execution_id = _target_execution(remote, ident)
        e = remote.call("PATCH", f"/api/program-executions/{execution_id}/{action}")
        typer.echo(f"{e['id']} is now {e['effectiveStatus']}")


IdArg = Annotated[str, typer.Argument(help="Execution id, or a program id (its live execution)")]


@programs_app.command("pause")
def programs_pause(ident: IdArg, url: UrlOption = DEFAULT_URL, key: KeyOption = "") -> None:
    """Pause: no new calls; calls in progress finish."""
    _act("pause", ident, url, key)


@programs_app.command("resume")
def programs_resume(ident: IdArg, url: UrlOption = DEFAULT_URL, key: KeyOption = "") -> None:
    """Resume a paused execution."""
    _act("resume", ident, url, key)


@programs_app.command("cancel")
def programs_cancel(ident: IdArg, url: UrlOption = DEFAULT_URL, key: KeyOption = "") -> None:
    """Cancel for good: remaining contacts become cancelled."""
    _act("cancel", ident, url, key)


@programs_app.command("relaunch")
def programs_relaunch(
    execution_id: Annotated[str, typer.Argument(help="The execution to recycle")],
    outcome: Annotated[
        list[str] | None,
        typer.Option(help="Final outcome to call again (repeatable; default: all but completed)"),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = "",
) -> None:
    """Call again the contacts an execution did not reach; prints the new execution's id."""
    with Remote(url, key) as remote:
        body = {"outcomes": outcome} if outcome else None
        result = remote.call("POST", f"/api/program-executions/{execution_id}/relaunch", json=body)
        typer.echo(result["executionId"])


def _latest_live(remote: Remote) -> str:
    for p in remote.get("/api/programs", limit=100)["data"]:
        for e in _executions(remote, p["id"], 1):
            if e["status"] in LIVE:
                return str(e["id"])
    fail("no scheduled, running or paused execution; name one: ringcast watch EXECUTION")


def _in_flight(live: dict[str, Any]) -> list[str]:
    return [
        f"    calling {c['phone'] or '?'} (job {c['jobId']}, attempt {c['attempt']}, "
        f"{_dash(c['ageSeconds'])} s){_node(c)}"
        for c in live["inFlight"][:10]
    ]


def _node(call: dict[str, Any]) -> str:
    """Where a call in flight is in its flow (servers before the node field: nothing)."""
    if not call.get("nodeId"):
        return ""
    stalled = " STALLED" if call.get("stalled") else ""
    return f" in {call['nodeId']} for {_dash(call.get('nodeAgeSeconds'))} s{stalled}"


def watch(
    execution: Annotated[
        str | None, typer.Argument(help="Execution id (default: the live one, if only one)")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between updates", min=0.2)] = 2.0,
    calls: Annotated[bool, typer.Option("--calls", help="List the calls in flight")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = "",
) -> None:
    """Follow an execution until it ends: progress, calls per minute, outcomes, AMD.

    On a terminal the view is redrawn in place; piped, one line per update.
    """
    with Remote(url, key) as remote:
        execution_id = execution or _latest_live(remote)
        interactive = sys.stdout.isatty()
        console = None
        if interactive:
            from rich.console import Console

            console = Console()
        while True:
            live = remote.get(f"/api/program-executions/{execution_id}/live")
            e = live["execution"]
            lines = [_progress_line(e, live)]
            if calls or interactive:
                lines += _in_flight(live)
            if console is not None:
                console.clear()
                console.print("\n".join(lines), soft_wrap=True, highlight=False)
            else:
                typer.echo("\n".join(lines))
            if e["status"] in FINISHED:
                typer.echo(f"execution {e['id']} {e['status']}")
                return
            time.sleep(interval)


def export(
    execution: Annotated[str, typer.Argument(help="Execution id")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write")],
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = "",
) -> None:
    """Export one row per contact (outcome, keys pressed, variables...) to a file."""
    if fmt not in ("csv", "xlsx"):
        raise typer.BadParameter("--format is csv or xlsx")
    with Remote(url, key) as remote:
        job = remote.call("POST", "/api/exports", json={"executionId": execution, "format": fmt})
        shown = -1
        while job["status"] in ("pending", "running"):
            if job["rowsWritten"] != shown:
                shown = job["rowsWritten"]
                typer.echo(f"exporting: {shown}/{job['totalRows']} rows", err=True)
            time.sleep(0.5)
            job = remote.get(f"/api/exports/{job['id']}")
        if job["status"] != "completed":
            fail(f"export {job['status']}: {_dash(job['error'])}")
        with output.open("wb") as sink:
            size = remote.download(job["downloadUrl"], sink)
        typer.echo(f"wrote {job['rowsWritten']} rows ({size} bytes) to {output}")
