"""Build the demo campaign through the public HTTP API, as a user would.

Trunk → DIDs → prompts → custom attribute → contacts → audience → flow →
simulate → program. Every step is an ordinary API call with the demo's key,
so the demo exercises the same paths as any Gomobile client.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import httpx

from ringcast.demo.script import AGENT, MAX_RETRIES, ScriptedContact

PROMPTS = ("greeting", "currency", "menu", "confirm", "callback", "invalid", "voicemail")
DIDS = ("+212522000001", "+212522000002")


class DemoSetupError(Exception):
    def __init__(self, step: str, response: httpx.Response) -> None:
        super().__init__(f"{step}: HTTP {response.status_code} {response.text[:500]}")


def ok(step: str, response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise DemoSetupError(step, response)
    return response.json() if response.content else None


async def create_trunk(client: httpx.AsyncClient, host: str, port: int) -> str:
    body = {
        "name": "callee farm (loopback)",
        "host": host,
        "port": port,
        "transport": "udp",
        "maxChannels": 200,
        "callsPerSecond": 20,
        "isDefault": True,
    }
    trunk = ok("create trunk", await client.post("/api/trunks", json=body))
    for number in DIDS:
        ok(
            "create DID",
            await client.post(
                "/api/dids",
                json={
                    "number": number,
                    "country": "MA",
                    "status": "active",
                    "trunkId": trunk["id"],
                },
            ),
        )
    return str(trunk["id"])


async def upload_prompts(client: httpx.AsyncClient, language: str) -> dict[str, str]:
    ids: dict[str, str] = {}
    folder = resources.files("ringcast") / "assets" / "demo" / language
    for name in PROMPTS:
        data = (folder / f"{name}.wav").read_bytes()
        response = await client.post(
            "/api/audio-management/upload",
            files={"file": (f"{name}.wav", data, "audio/wav")},
            data={"title": f"{name} ({language})", "usageType": "prompt"},
        )
        ids[name] = ok(f"upload {name}", response)["id"]
    return ids


async def load_contacts(client: httpx.AsyncClient, contacts: list[ScriptedContact]) -> str:
    ok(
        "custom attribute",
        await client.post(
            "/api/custom-attributes", json={"displayName": "Balance", "type": "number"}
        ),
    )
    rows = [
        {
            "primaryPhone": c.phone,
            "firstName": c.first_name,
            "lastName": "Demo",
            "customAttributes": {"balance": c.balance},
        }
        for c in contacts
    ]
    result = ok("upsert contacts", await client.post("/api/contact/upsert", json={"data": rows}))
    if result["failed"]:
        raise RuntimeError(f"contacts rejected: {result['failed'][:3]}")
    audience = ok("audience", await client.post("/api/audience", json={"name": "Demo debtors"}))
    ids: list[str] = []
    page = 1
    while True:
        listing = ok(
            "list contacts", await client.get("/api/contact", params={"page": page, "limit": 100})
        )
        ids += [c["id"] for c in listing["data"]]
        if not listing["meta"]["hasNextPage"]:
            break
        page += 1
    ok(
        "add contacts",
        await client.post(f"/api/audience/{audience['id']}/add-contacts", json={"contacts": ids}),
    )
    return str(audience["id"])


def reminder_graph(prompts: dict[str, str], language: str) -> dict[str, Any]:
    """Gomobile's payment reminder: dial (AMD, wait for the beep) → greeting and
    balance → press 1 or 2 → confirm / call back, or 0 → forwarded to an agent (a
    bridged second leg, recorded); voicemail → leave a message."""

    def play(node_id: str, items: list[dict[str, Any]], nxt: str) -> dict[str, Any]:
        return {
            "id": node_id,
            "type": "play",
            "config": {"audioItems": items},
            "outputs": {"onComplete": nxt, "onError": nxt},
        }

    def audio(name: str) -> dict[str, Any]:
        return {"type": "audioFile", "audioId": prompts[name]}

    def hangup(node_id: str, reason: str) -> dict[str, Any]:
        return {"id": node_id, "type": "hangup", "config": {"reason": reason}, "outputs": {}}

    balance = {
        "type": "number",
        "value": {"source": "customAttribute", "attributeName": "balance"},
        "mode": "full",
        "language": language,
        "dictionaryId": None,
    }
    return {
        "startNodeId": "dial",
        "nodes": [
            {
                "id": "dial",
                "type": "dial",
                "label": "Call the debtor",
                "config": {"timeout": 8000, "enableAMD": True, "waitForBeep": True},
                "outputs": {
                    "onAnswer": "balance",
                    "onVoicemail": "message",
                    "onNoAnswer": "end",
                    "onBusy": "end",
                    "onRejected": "end",
                    "onError": "end",
                },
            },
            play("balance", [audio("greeting"), balance, audio("currency")], "menu"),
            {
                "id": "menu",
                "type": "dtmf",
                "label": "1 confirm, 2 call back, 0 agent",
                "config": {
                    "mode": "single_digit",
                    "variable": "choice",
                    "timeout": 5000,
                    "singleDigitConfig": {"allowedDigits": ["1", "2", "0"]},
                    "retry": {"maxRetries": 1},
                    "prompt": [audio("menu")],
                    "invalidPrompt": [audio("invalid")],
                },
                "outputs": {
                    "branches": {"1": "confirm", "2": "callback", "0": "agent"},
                    "onMaxRetries": "no-input",
                    "onError": "end",
                },
            },
            {
                "id": "agent",
                "type": "forward",
                "label": "Put through to an agent",
                "config": {"to": AGENT, "ringTimeoutSec": 20, "maxDurationSec": 60},
                "outputs": {
                    "onCompleted": "agent-talked",
                    "onNoAnswer": "end",
                    "onBusy": "end",
                    "onFailed": "end",
                },
            },
            play("confirm", [audio("confirm")], "confirmed"),
            play("callback", [audio("callback")], "callback-requested"),
            play("message", [audio("voicemail")], "message-left"),
            hangup("confirmed", "payment_confirmed"),
            hangup("agent-talked", "agent_talked"),
            hangup("callback-requested", "callback_requested"),
            hangup("message-left", "voicemail_left"),
            hangup("no-input", "no_input"),
            hangup("end", "completed"),
        ],
    }


async def create_flow(client: httpx.AsyncClient, graph: dict[str, Any]) -> str:
    flow = ok(
        "create flow",
        await client.post("/api/flows", json={"name": "Payment reminder", "graph": graph}),
    )
    return str(flow["id"])


async def simulate(
    client: httpx.AsyncClient, flow_id: str, contact: ScriptedContact
) -> dict[str, Any]:
    body = {
        "flowId": flow_id,
        "contact": {
            "primaryPhone": contact.phone,
            "customAttributes": {"balance": contact.balance},
        },
        "mode": "simulate",
        "simulate": {"answer": "human", "digits": ["1"]},
    }
    result: dict[str, Any] = ok("simulate", await client.post("/api/flows/execute", json=body))
    return result


async def launch_program(
    client: httpx.AsyncClient,
    audience_id: str,
    flow_id: str,
    *,
    now: datetime,
    pause_after_s: int,
    pause_for_s: int,
    concurrency: int,
) -> tuple[str, str]:
    window_start = now + timedelta(seconds=pause_after_s)
    body = {
        "name": "Demo payment reminders",
        "audienceId": audience_id,
        "flowId": flow_id,
        "didPool": list(DIDS),
        "retryStrategy": {"type": "fixed_delay", "delayMinutes": 1, "maxRetries": MAX_RETRIES},
        "pauseWindows": {
            "advanced": [
                {
                    "startAt": window_start.isoformat(),
                    "endAt": (window_start + timedelta(seconds=pause_for_s)).isoformat(),
                }
            ]
        },
        "timezone": "Africa/Casablanca",
        "maxConcurrentCalls": concurrency,
        "callsPerSecond": 10,
    }
    program = ok("create program", await client.post("/api/programs", json=body))
    launched = ok("launch", await client.post(f"/api/programs/{program['id']}/launch"))
    return str(program["id"]), str(launched["executionId"])
