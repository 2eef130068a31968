"""Bulk upsert: mixed rows, duplicates, limits, isolation, atomicity."""

from __future__ import annotations

from sqlalchemy import func, select

from ringcast.contacts.models import Contact


async def upsert(api, rows, tenant=None):
    tenant = tenant or api.acme
    return await api.client.post(
        "/api/contact/upsert", json={"data": rows}, headers=tenant.headers("manager")
    )


async def count_contacts(api, organization_id):
    async with api.app.state.ringcast.sessions() as s:
        return (
            await s.execute(
                select(func.count())
                .select_from(Contact)
                .where(Contact.organization_id == organization_id, Contact.deleted_at.is_(None))
            )
        ).scalar_one()


async def test_mixed_good_and_bad_rows(api):
    await api.client.post(
        "/api/custom-attributes",
        json={"displayName": "Score", "type": "number"},
        headers=api.acme.headers(),
    )
    rows = [
        {"primaryPhone": "+212612345671", "firstName": "A", "customAttributes": {"score": 1}},
        {"primaryPhone": "06-12-34-56-78", "firstName": "bad phone"},
        {"primaryPhone": "+212612345672", "gender": "robot"},
        {"primaryPhone": "+212612345673", "customAttributes": {"score": "high"}},
        {"primaryPhone": "+14155551234", "lastName": "B"},
        "not an object",
        {"firstName": "no phone"},
    ]
    r = await upsert(api, rows)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["updated"]) == (2, 0)
    failed = {f["index"]: f for f in body["failed"]}
    assert sorted(failed) == [1, 2, 3, 5, 6]
    assert failed[1]["primaryPhone"] == "06-12-34-56-78"
    assert failed[1]["fieldDetails"]["primaryPhone"][0]["code"] == "e164_format"
    assert "gender" in failed[2]["fieldErrors"]
    assert "customAttributes.score" in failed[3]["fieldErrors"]
    assert "primaryPhone" in failed[6]["fieldErrors"]
    assert await count_contacts(api, api.acme.organization_id) == 2

    # second pass: existing phones update, new ones create, unsent fields stay
    r = await upsert(
        api,
        [
            {"primaryPhone": "+212612345671", "lastName": "Z"},
            {"primaryPhone": "+212612345679", "firstName": "C"},
        ],
    )
    assert (r.json()["created"], r.json()["updated"]) == (1, 1)
    listed = await api.client.get(
        "/api/contact", params={"search": "+212612345671"}, headers=api.acme.headers()
    )
    (contact,) = listed.json()["data"]
    assert (contact["firstName"], contact["lastName"]) == ("A", "Z")
    assert contact["customAttributes"] == {"score": 1}
    assert await count_contacts(api, api.acme.organization_id) == 3


async def test_duplicates_in_one_request_last_wins(api):
    rows = [
        {"primaryPhone": "+212612345671", "firstName": "first"},
        {"primaryPhone": "+212612345672", "firstName": "other"},
        {"primaryPhone": "+212612345671", "firstName": "second"},
        {"primaryPhone": "+212612345671", "firstName": "third"},
    ]
    body = (await upsert(api, rows)).json()
    assert body["created"] == 2 and body["failed"] == []
    assert body["duplicates"] == [
        {"index": 0, "primaryPhone": "+212612345671", "supersededBy": 2},
        {"index": 2, "primaryPhone": "+212612345671", "supersededBy": 3},
    ]
    r = await api.client.get(
        "/api/contact", params={"search": "345671"}, headers=api.acme.headers()
    )
    assert [c["firstName"] for c in r.json()["data"]] == ["third"]


async def test_too_many_rows(api):
    rows = [{"primaryPhone": f"+1415555{i:04d}"} for i in range(1001)]
    r = await upsert(api, rows)
    assert r.status_code == 413 and r.json()["code"] == "UPSERT_TOO_MANY_ROWS"
    assert await count_contacts(api, api.acme.organization_id) == 0


async def test_full_batch_of_1000(api):
    rows = [{"primaryPhone": f"+1415555{i:04d}", "firstName": f"n{i}"} for i in range(1000)]
    r = await upsert(api, rows)
    assert r.status_code == 200
    body = r.json()
    # some 555-xxxx numbers are invalid in libphonenumber's US metadata; all are accounted for
    assert body["created"] + len(body["failed"]) == 1000
    assert await count_contacts(api, api.acme.organization_id) == body["created"]


async def test_isolation_between_organizations(api):
    await upsert(api, [{"primaryPhone": "+212612345671", "firstName": "acme"}])
    body = (
        await upsert(api, [{"primaryPhone": "+212612345671", "firstName": "globex"}], api.globex)
    ).json()
    assert body["created"] == 1 and body["updated"] == 0
    r = await api.client.get("/api/contact", headers=api.acme.headers())
    assert [c["firstName"] for c in r.json()["data"]] == ["acme"]


async def test_soft_deleted_phone_is_created_again(api):
    await upsert(api, [{"primaryPhone": "+212612345671"}])
    (c,) = (await api.client.get("/api/contact", headers=api.acme.headers())).json()["data"]
    await api.client.delete(f"/api/contact/{c['id']}", headers=api.acme.headers())
    body = (await upsert(api, [{"primaryPhone": "+212612345671", "firstName": "new"}])).json()
    assert (body["created"], body["updated"]) == (1, 0)
    (fresh,) = (await api.client.get("/api/contact", headers=api.acme.headers())).json()["data"]
    assert fresh["id"] != c["id"] and fresh["firstName"] == "new"


async def test_failure_mid_request_writes_nothing(api, monkeypatch):
    """A crash after the rows were written rolls the whole batch back."""
    from ringcast.contacts import repository

    original = repository.ContactRepository.upsert
    written = []

    async def crash_after_write(self, rows, *args, **kwargs):
        await original(self, rows, *args, **kwargs)
        written.append(len(rows))
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(repository.ContactRepository, "upsert", crash_after_write)
    r = await upsert(api, [{"primaryPhone": "+212612345671"}, {"primaryPhone": "+14155551234"}])
    assert r.status_code == 500
    assert written == [2]  # the rows were written, then the crash
    assert await count_contacts(api, api.acme.organization_id) == 0


async def test_body_shape_errors(api):
    r = await api.client.post("/api/contact/upsert", json={"rows": []}, headers=api.acme.headers())
    assert r.status_code == 400
    r = await upsert(api, [])
    assert r.json() == {"created": 0, "updated": 0, "failed": [], "duplicates": []}


async def test_custom_attributes_new_and_existing_in_one_batch(api):
    """New rows are inserted first and rows that meet a live contact are then
    merged into it: nulls remove stored keys, an empty object keeps them, a null
    object clears them, other field sets in the same batch; ids stay."""
    for name in ("Score", "Tier"):
        r = await api.client.post(
            "/api/custom-attributes",
            json={"displayName": name, "type": "number"},
            headers=api.acme.headers(),
        )
        assert r.status_code == 201
    phones = [f"+21261234567{i}" for i in range(1, 5)]
    first = await upsert(
        api, [{"primaryPhone": p, "customAttributes": {"score": 1, "tier": 2}} for p in phones]
    )
    assert (first.json()["created"], first.json()["updated"]) == (4, 0)
    before = {
        c["primaryPhone"]: c["id"]
        for c in (await api.client.get("/api/contact", headers=api.acme.headers())).json()["data"]
    }
    rows = [
        {"primaryPhone": phones[0], "customAttributes": {"score": None, "tier": 3}},
        {"primaryPhone": phones[1], "customAttributes": {}},
        {"primaryPhone": phones[2], "customAttributes": None},
        {"primaryPhone": phones[3], "firstName": "only a name"},
        {"primaryPhone": "+212612345675", "customAttributes": {"score": None, "tier": 5}},
        {"primaryPhone": "+212612345676", "customAttributes": {"score": None}},
        {"primaryPhone": "+212612345677", "customAttributes": {}},
        {"primaryPhone": "+212612345678", "customAttributes": {"score": 8}},
    ]
    body = (await upsert(api, rows)).json()
    assert (body["created"], body["updated"], body["failed"]) == (4, 4, [])
    listed = (
        await api.client.get("/api/contact", params={"limit": 100}, headers=api.acme.headers())
    ).json()["data"]
    got = {c["primaryPhone"]: c for c in listed}
    assert {p: got[p]["id"] for p in phones} == before
    assert {p: c["customAttributes"] for p, c in got.items()} == {
        phones[0]: {"tier": 3},
        phones[1]: {"score": 1, "tier": 2},
        phones[2]: {},
        phones[3]: {"score": 1, "tier": 2},
        "+212612345675": {"tier": 5},
        "+212612345676": {},
        "+212612345677": {},
        "+212612345678": {"score": 8},
    }
    assert got[phones[3]]["firstName"] == "only a name"
