"""Test helpers: a contact list, an audience, a flow and DIDs, made through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert

from ringcast.audiences.models import Audience, AudienceMember

SIMPLE_GRAPH: dict[str, Any] = {
    "startNodeId": "dial-1",
    "nodes": [
        {
            "id": "dial-1",
            "type": "dial",
            "config": {"timeout": 30000, "enableAMD": False},
            "outputs": {"onAnswer": "bye", "default": "bye"},
        },
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}


def phone(i: int) -> str:
    return f"+3361{i:07d}"


@dataclass
class Campaign:
    audience_id: str
    flow_id: str
    dids: list[str]
    contact_ids: list[str]

    def program(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": "reminders",
            "audienceId": self.audience_id,
            "flowId": self.flow_id,
            "didPool": self.dids,
        }
        body.update(overrides)
        return body


async def make_audience(api: Any, organization_id: str, contact_ids: list[str]) -> str:
    """Written straight to the tables: the audience API is another package's."""
    async with api.app.state.ringcast.sessions.begin() as s:
        audience = Audience(organization_id=organization_id, name=f"aud-{len(contact_ids)}")
        s.add(audience)
        await s.flush()
        if contact_ids:
            await s.execute(
                insert(AudienceMember),
                [{"audience_id": audience.id, "contact_id": c} for c in contact_ids],
            )
        return audience.id


async def seed_campaign(
    api: Any,
    contacts: int = 3,
    dids: int = 2,
    tenant: Any = None,
    phones: list[str] | None = None,
) -> Campaign:
    """`phones` replaces the generated French mobiles (and sets `contacts`)."""
    tenant = tenant or api.acme
    if phones is not None:
        contacts = len(phones)
    h = tenant.headers()
    ids: list[str] = []
    for start in range(0, contacts, 1000):
        rows = [
            {"primaryPhone": phones[i] if phones else phone(i), "firstName": f"c{i}"}
            for i in range(start, min(contacts, start + 1000))
        ]
        r = await api.client.post("/api/contact/upsert", json={"data": rows}, headers=h)
        assert r.status_code == 200, r.text
    page = 1
    while len(ids) < contacts:
        r = await api.client.get(f"/api/contact?limit=100&page={page}", headers=h)
        ids += [c["id"] for c in r.json()["data"]]
        page += 1
        if not r.json()["data"]:
            break
    audience_id = await make_audience(api, tenant.organization_id, ids)
    flow = await api.client.post(
        "/api/flows", json={"name": "simple", "graph": SIMPLE_GRAPH}, headers=h
    )
    assert flow.status_code == 201, flow.text
    numbers = []
    for i in range(dids):
        number = f"+3398765432{i}"
        r = await api.client.post("/api/dids", json={"number": number, "country": "FR"}, headers=h)
        assert r.status_code == 201, r.text
        numbers.append(number)
    return Campaign(audience_id, flow.json()["id"], numbers, ids)
