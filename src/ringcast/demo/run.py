"""Run the demo: the API + dialer (one process, embedded SQLite), the callee
farm on loopback (a process of its own), the campaign built over HTTP, live progress, a summary and
the self-check against each contact's script.
"""

from __future__ import annotations

import asyncio
import collections
import csv
import io
import itertools
import json
import os
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.live import Live
from rich.table import Table

from ringcast.api.app import create_app
from ringcast.auth import service as auth
from ringcast.auth.schemas import ApiKeyCreate, Role
from ringcast.calleefarm import Behaviour, BehaviourBook
from ringcast.calleefarm.process import FarmProcess
from ringcast.demo import campaign
from ringcast.demo.script import (
    AGENT,
    AGENT_TALK_MS,
    LONGEST_CALL_MS,
    MAX_RETRIES,
    ScriptedContact,
    build_contacts,
)
from ringcast.dialer.loop import DialerConfig
from ringcast.dialer.service import DialerHooks
from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.settings import Settings

FINAL = {"completed", "stopped", "cancelled"}


@dataclass(frozen=True, slots=True)
class DemoOptions:
    contacts: int = 200
    language: str = "fr"
    keep_running: bool = False
    data_dir: Path | None = None
    port: int = 0
    concurrency: int = 40
    pause_after_s: int = 25
    pause_for_s: int = 15
    timeout_s: int = 900
    database_url: str | None = None  # default: SQLite in the data dir
    dialer_processes: int = 0  # 0: the dialer runs in the API process
    kill_dialer_after_s: float | None = None  # kill -9 a dialer process, start a new one
    dialer_lease_s: float = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    def __init__(self, options: DemoOptions, console: Console | None = None) -> None:
        self.opts = options
        self.console = console or Console()
        self.contacts = build_contacts(options.contacts)
        self.data_dir = options.data_dir or Path(tempfile.mkdtemp(prefix="ringcast-demo-"))
        self.port = options.port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.key = ""
        self.execution_id = ""
        self.reports: dict[str, dict[str, Any]] = {}
        self.dialers: list[asyncio.subprocess.Process] = []
        self.killed = False
        self.crash: asyncio.Task[None] | None = None

    def step(self, text: str) -> None:
        # soft_wrap: a long line (a URL, a path) is never broken mid-word
        self.console.print(f"[green]✓[/] {text}", soft_wrap=True)

    def say(self, text: str) -> None:
        self.console.print(text, soft_wrap=True, highlight=False)

    async def run(self) -> int:
        book = BehaviourBook()
        for c in self.contacts:
            book.set(c.phone, *c.behaviours)
        book.set(AGENT, Behaviour("human", (), hangup_after_ms=AGENT_TALK_MS))
        # the callees in a process of their own: a far end never shares the
        # dialer's event loop (or its core) with the calls it checks
        farm = self.farm = FarmProcess(book)
        await farm.start()
        settings = Settings(
            data_dir=self.data_dir,
            database_url=self.opts.database_url,
            host="127.0.0.1",
            port=self.port,
            log_level="WARNING",
            sip_port=0,  # a free SIP port: the demo's callees need no fixed address
        )
        self.settings = settings
        hooks = DialerHooks(SipLauncher.from_state, DialerConfig(tick_s=0.1))
        in_process = self.opts.dialer_processes == 0
        app = create_app(
            settings,
            on_startup=[hooks.start] if in_process else [],
            on_shutdown=[hooks.stop] if in_process else [],
        )
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.05)
            self.console.rule("[bold]ringcast demo")
            if not self.opts.keep_running:
                self.say(
                    "The links printed at the end work only while the demo runs: "
                    "add --keep-running to keep the server up and explore them."
                )
            self.step(f"API and dialer on {self.base_url} (data in {self.data_dir})")
            self.step(f"callee farm on sip:127.0.0.1:{farm.address[1]} (process {farm.pid})")
            for _ in range(self.opts.dialer_processes):
                self.dialers.append(await self._spawn_dialer(settings))
            if self.dialers:
                self.step(f"{len(self.dialers)} separate `ringcast dialer` processes")
            state = app.state.ringcast
            async with state.sessions.begin() as session:
                org = await auth.get_or_create_organization(session, "Demo Bank")
                _, self.key = await auth.create_key(
                    session,
                    org.id,
                    ApiKeyCreate(
                        name="demo",
                        prefix="demo_",
                        role=Role.admin,
                        rate_limit_per_second=1000,
                        rate_limit_burst=2000,
                    ),
                )
            self.step("organization 'Demo Bank' and an admin key")
            async with httpx.AsyncClient(
                base_url=self.base_url, headers={"x-api-key": self.key}, timeout=60
            ) as client:
                ok = await self._campaign(client, farm)
            if self.opts.keep_running:
                self.console.print("[bold]--keep-running:[/] the server stays up; Ctrl-C to stop.")
                await asyncio.Event().wait()
            return 0 if ok else 1
        finally:
            for process in self.dialers:
                if process.returncode is None:
                    process.terminate()
                    await process.wait()
            server.should_exit = True
            await serving
            await farm.stop()

    async def _spawn_dialer(self, settings: Settings) -> asyncio.subprocess.Process:
        env = dict(os.environ)
        env["RINGCAST_DATA_DIR"] = str(self.data_dir)
        env["RINGCAST_LOG_LEVEL"] = "WARNING"
        env["RINGCAST_SIP_PORT"] = "0"  # several dialer processes on one host
        if settings.database_url is not None:
            env["RINGCAST_DATABASE_URL"] = settings.database_url.get_secret_value()
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ringcast.cli.main",
            "dialer",
            "--tick-ms",
            "100",
            "--lease-s",
            str(self.opts.dialer_lease_s),
            env=env,
        )

    async def _campaign(self, client: httpx.AsyncClient, farm: FarmProcess) -> bool:
        lang = self.opts.language
        host, port = farm.address
        await campaign.create_trunk(client, host, port)
        self.step(f"SIP trunk → callee farm, DIDs {', '.join(campaign.DIDS)}")
        prompts = await campaign.upload_prompts(client, lang)
        self.step(f"{len(prompts)} prompts uploaded ({lang}), converted to 8 kHz")
        audience_id = await campaign.load_contacts(client, self.contacts)
        self.step(f"{len(self.contacts)} contacts upserted with balances, audience created")
        flow_id = await campaign.create_flow(client, campaign.reminder_graph(prompts, lang))
        self.step("payment-reminder flow saved (version 1)")
        sim = await campaign.simulate(client, flow_id, self.contacts[0])
        path = " → ".join(p["nodeId"] for p in sim["executionPath"])
        self.step(f"simulated a human pressing 1: {path} ({sim['outcome']})")
        program_id, self.execution_id = await campaign.launch_program(
            client,
            audience_id,
            flow_id,
            now=datetime.now(UTC),
            pause_after_s=self.opts.pause_after_s,
            pause_for_s=self.opts.pause_for_s,
            concurrency=self.opts.concurrency,
        )
        self.step(
            f"program launched (execution {self.execution_id}); a pause window opens in "
            f"{self.opts.pause_after_s} s for {self.opts.pause_for_s} s; retries after 1 min"
        )
        await self._watch(client)
        await self._collect(client)
        await farm.refresh()  # what the callees saw, for the self-check
        self._summary()
        mismatches = self._check()
        self._next_steps(program_id)
        return not mismatches

    async def _crash_a_dialer(self, settings: Settings) -> None:
        """kill -9 the first dialer mid-campaign and start a fresh one."""
        assert self.opts.kill_dialer_after_s is not None
        await asyncio.sleep(self.opts.kill_dialer_after_s)
        victim = self.dialers[0]
        victim.kill()
        await victim.wait()
        self.killed = True
        self.dialers.append(await self._spawn_dialer(settings))
        self.console.print("[yellow]killed a dialer process (SIGKILL) and started a new one")

    async def _watch(self, client: httpx.AsyncClient) -> None:
        started = time.monotonic()
        seen_window = False
        if self.opts.kill_dialer_after_s is not None and self.dialers:
            self.crash = asyncio.create_task(self._crash_a_dialer(self.settings))
        # a terminal gets a table redrawn in place; a pipe or a file gets plain lines
        live = (
            Live(console=self.console, refresh_per_second=4) if self.console.is_terminal else None
        )
        last_line, last_at = "", 0.0
        if live is not None:
            live.start()
        try:
            while True:
                execution = campaign.ok(
                    "execution",
                    await client.get(f"/api/program-executions/{self.execution_id}"),
                )
                seen_window |= execution["effectiveStatus"] == "paused_window"
                elapsed = time.monotonic() - started
                calls = self.farm.calls_seen
                finished = execution["status"] in FINAL
                if live is not None:
                    live.update(self._progress_table(execution, elapsed, calls))
                else:
                    line = _progress_line(execution, calls)
                    if line != last_line and (finished or elapsed - last_at >= 2):
                        self.say(f"{elapsed:5.0f} s  {line}")
                        last_line, last_at = line, elapsed
                if finished:
                    break
                if elapsed > self.opts.timeout_s:
                    self.console.print("[red]timed out waiting for the execution")
                    break
                await asyncio.sleep(0.5)
        finally:
            if live is not None:
                live.stop()
        self.say(f"\nexecution {execution['status']} after {time.monotonic() - started:.0f} s\n")
        self.window_seen = seen_window

    def _progress_table(self, execution: dict[str, Any], elapsed: float, calls: int) -> Table:
        table = Table(title=f"execution {_status(execution)}")
        columns = (
            "total",
            "completed",
            "failed",
            "in flight",
            "pending",
            "calls placed",
            "calls/s",
        )
        for column in columns:
            table.add_column(column, justify="right")
        table.add_row(
            str(execution["totalContacts"]),
            str(execution["contactsCompleted"]),
            str(execution["contactsFailed"]),
            str(execution["contactsInProgress"]),
            str(execution["contactsPending"]),
            str(calls),
            f"{calls / elapsed:.1f}" if elapsed > 0 else "-",
        )
        table.caption = f"{elapsed:.0f} s elapsed"
        return table

    async def _collect(self, client: httpx.AsyncClient) -> None:
        export = await client.post(
            "/api/call-report/export", json={"executionId": self.execution_id}
        )
        jobs: dict[str, str] = {}
        for row in csv.DictReader(io.StringIO(export.text)):
            # a spreadsheet-safe cell may carry a leading quote ('+33...)
            jobs[row["phone"].lstrip("'")] = row["jobId"]
        self.job_ids = jobs
        semaphore = asyncio.Semaphore(20)

        async def fetch(phone: str, job_id: str) -> None:
            async with semaphore:
                response = await client.get(f"/api/call-report/{job_id}")
                self.reports[phone] = campaign.ok("call report", response)

        await asyncio.gather(*(fetch(p, j) for p, j in jobs.items()))

    def _summary(self) -> None:
        outcomes = collections.Counter(r["finalOutcome"] for r in self.reports.values())
        attempts = sum(len(r["attempts"]) for r in self.reports.values())
        # AMD only judges answered calls; unanswered attempts have no verdict
        amd = collections.Counter(
            a.get("answeredBy") or "not judged (AMD off)"
            for r in self.reports.values()
            for a in r["attempts"]
            if (a.get("call") or {}).get("answeredAt")
        )
        digits = collections.Counter((_choice(r) or "none") for r in self.reports.values())
        table = Table(title="Campaign summary")
        table.add_column("what")
        table.add_column("count", justify="right")
        for name, n in sorted(outcomes.items(), key=lambda kv: str(kv[0])):
            table.add_row(f"final outcome: {name}", str(n))
        table.add_row("attempts (calls placed)", str(attempts))
        for name, n in sorted(amd.items()):
            table.add_row(f"answered calls, AMD said: {name}", str(n))
        for name, n in sorted(digits.items()):
            table.add_row(f"key collected: {name}", str(n))
        agents = sum(_talked_to_agent(r) for r in self.reports.values())
        table.add_row("forwarded to the agent (bridged, recorded)", str(agents))
        table.add_row("pause window crossed", "yes" if self.window_seen else "no")
        self.console.print(table)

    def _check(self) -> list[str]:
        mismatches: list[str] = []
        self.lost_calls = 0
        for contact in self.contacts:
            report = self.reports.get(contact.phone)
            if report is None:
                mismatches.append(f"{contact.phone} ({contact.label}): no call report")
                continue
            got = (report["finalOutcome"], len(report["attempts"]), _choice(report))
            want = (contact.expect.outcome, contact.expect.attempts, contact.expect.choice)
            lost = sum(a.get("outcomeReason") == "worker_lost" for a in report["attempts"])
            if lost:
                # a call cut by the killed dialer is one failed attempt that the
                # retry strategy follows: the budget still holds, nothing is lost
                self.lost_calls += lost
                if len(report["attempts"]) > MAX_RETRIES + 1:
                    mismatches.append(
                        f"{contact.phone}: {len(report['attempts'])} attempts exceed the strategy"
                    )
                continue
            if got != want:
                mismatches.append(
                    f"{contact.phone} ({contact.label}): expected outcome/attempts/key "
                    f"{want}, got {got} — GET /api/call-report/{report['jobId']}"
                )
            elif contact.expect.agent != _talked_to_agent(report):
                mismatches.append(
                    f"{contact.phone} ({contact.label}): expected "
                    f"{'a' if contact.expect.agent else 'no'} forward the agent answered and "
                    f"hung up, got legs {report['attempts'][-1].get('legs')} — "
                    f"GET /api/call-report/{report['jobId']}"
                )
        mismatches += self._overlaps()
        mismatches += self._overlong()
        if self.lost_calls:
            self.console.print(
                f"{self.lost_calls} call(s) cut by the killed dialer came back as "
                "worker_lost attempts and followed the retry strategy"
            )
        if not self.window_seen and self.opts.pause_for_s > 0:
            mismatches.append("the execution never showed paused_window")
        if mismatches:
            self.console.print(f"[red bold]self-check failed: {len(mismatches)} mismatch(es)")
            for line in mismatches[:50]:
                self.console.print(f"  [red]✗[/] {line}")
            self.console.print(f"the mismatched calls, both ends: {self._dump(mismatches)}")
        else:
            self.console.print(
                f"[green bold]self-check passed:[/] all {len(self.contacts)} contacts match "
                "their script (outcome, attempts, key)"
            )
        return mismatches

    def _dump(self, mismatches: list[str]) -> Path:
        """Write the call reports and the callees' records of the numbers the
        self-check named, to read after the server has stopped."""
        named = [c.phone for c in self.contacts if any(c.phone in m for m in mismatches)]
        path = self.data_dir / "self-check-mismatches.json"
        wall = time.time() - time.monotonic()  # the callees keep monotonic times

        def utc(at: Any) -> Any:
            return datetime.fromtimestamp(wall + at, UTC).isoformat() if at else at

        out = {
            phone: {
                "report": self.reports.get(phone),
                "callee": [
                    {
                        **vars(r),
                        "behaviour": repr(r.behaviour),
                        **{
                            k: utc(getattr(r, k))
                            for k in ("started_at", "ended_at", "last_heard_at")
                        },
                    }
                    for r in self.farm.records_for(phone)
                ],
            }
            for phone in named
        }
        path.write_text(json.dumps(out, indent=1, default=str))
        return path

    def _overlong(self) -> list[str]:
        """No call may outlast every script (a flow stuck in a node, say)."""
        found = []
        for report in self.reports.values():
            for attempt in report["attempts"]:
                duration = (attempt.get("call") or {}).get("durationMs") or 0
                if duration > LONGEST_CALL_MS:
                    found.append(
                        f"{report['jobId']} attempt {attempt.get('attempt')}: the call lasted "
                        f"{duration / 1000:.0f} s, longer than any script allows "
                        f"({LONGEST_CALL_MS // 1000} s; reason {attempt.get('outcomeReason')})"
                    )
        return found

    def _overlaps(self) -> list[str]:
        """No number may be in two calls at once (what the callees saw)."""
        found = []
        by_number: dict[str, list[Any]] = collections.defaultdict(list)
        for record in self.farm.records:
            by_number[record.number].append(record)
        for number, records in by_number.items():
            if number.lstrip("+") == AGENT.lstrip("+"):
                continue  # the agent's line takes many forwarded calls at once
            records.sort(key=lambda r: r.started_at)
            for before, after in itertools.pairwise(records):
                left = before.caller_left_at
                if left is None or after.started_at < left:
                    found.append(f"+{number.lstrip('+')}: two calls at the same time")
        return found

    def _next_steps(self, program_id: str) -> None:
        sample = next(iter(self.reports.values()), {"jobId": "-"})
        base = self.base_url
        self.say(f"\nAPI key: {self.key}")
        for label, url in (
            ("Docs", f"{base}/docs"),
            ("Dashboard (sign in with the API key)", f"{base}/dashboard"),
            ("Execution", f"{base}/dashboard/executions/{self.execution_id}"),
            ("A call report", f"{base}/api/call-report/{sample['jobId']}"),
            ("Program", f"{base}/api/programs/{program_id}"),
        ):
            # the URL alone on its line: copied whole, never wrapped mid-id
            self.say(f"{label}:\n  {url}")
        if not self.opts.keep_running:
            self.say("(the server stops now; run with --keep-running to explore these)")


def _status(execution: dict[str, Any]) -> str:
    """`running`, or `running (paused_window)` when the effective status says more."""
    status, effective = execution["status"], execution["effectiveStatus"]
    return status if effective == status else f"{status} ({effective})"


def _progress_line(execution: dict[str, Any], calls: int) -> str:
    e = execution
    return (
        f"{_status(e)}: {e['contactsCompleted']} completed, {e['contactsFailed']} failed, "
        f"{e['contactsInProgress']} in flight, {e['contactsPending']} pending "
        f"of {e['totalContacts']}; {calls} calls placed"
    )


def _choice(report: dict[str, Any]) -> str | None:
    if not report["attempts"]:
        return None
    last = report["attempts"][-1]
    value = (last.get("flowExecution") or {}).get("finalVariables", {}).get("choice")
    return str(value) if value is not None else None


def _talked_to_agent(report: dict[str, Any]) -> bool:
    """The last attempt was forwarded: the agent answered, the two talked (recorded),
    and the agent hung up."""
    if not report["attempts"]:
        return False
    legs = report["attempts"][-1].get("legs") or []
    return any(
        leg.get("to") == AGENT
        and leg.get("answeredAt")
        and leg.get("hungUpBy") == "agent"
        and leg.get("recordingId")
        for leg in legs
    )


def run_demo(options: DemoOptions) -> int:
    return asyncio.run(Demo(options).run())


__all__ = ["DemoOptions", "ScriptedContact", "run_demo"]
