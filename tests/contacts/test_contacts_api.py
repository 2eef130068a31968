"""Contacts CRUD, list, soft delete, phone rules and field limits over HTTP."""

from __future__ import annotations

import pytest


async def create(api, tenant=None, **fields):
    tenant = tenant or api.acme
    body = {"primaryPhone": "+212612345678", **fields}
    return await api.client.post("/api/contact", json=body, headers=tenant.headers("manager"))


async def test_create_get_update_delete(api):
    r = await create(api, firstName="Amina", lastName="Idrissi", gender="female", channels=["sms"])
    assert r.status_code == 201, r.text
    contact = r.json()
    assert contact["primaryPhone"] == "+212612345678"
    assert contact["organizationId"] == api.acme.organization_id
    assert contact["customAttributes"] == {}
    cid = contact["id"]
    h = api.acme.headers("agent")
    r = await api.client.get(f"/api/contact/{cid}", headers=h)
    assert r.status_code == 200 and r.json()["firstName"] == "Amina"
    r = await api.client.put(
        f"/api/contact/{cid}", json={"city": "Rabat"}, headers=api.acme.headers()
    )
    assert r.status_code == 200, r.text
    assert r.json()["city"] == "Rabat" and r.json()["firstName"] == "Amina"
    r = await api.client.delete(f"/api/contact/{cid}", headers=api.acme.headers())
    assert r.status_code == 200
    assert (await api.client.get(f"/api/contact/{cid}", headers=h)).status_code == 404
    # the phone of a deleted contact is free again
    r = await create(api)
    assert r.status_code == 201 and r.json()["id"] != cid


async def test_duplicate_phone_is_409(api):
    assert (await create(api)).status_code == 201
    r = await create(api, firstName="Other")
    assert r.status_code == 409
    assert r.json()["code"] == "CONTACT_PHONE_EXISTS"
    # another organization may hold the same phone
    assert (await create(api, tenant=api.globex)).status_code == 201


async def test_update_to_taken_phone_is_409(api):
    await create(api)
    other = (await create(api, primaryPhone="+14155551234")).json()
    r = await api.client.put(
        f"/api/contact/{other['id']}",
        json={"primaryPhone": "+212612345678"},
        headers=api.acme.headers(),
    )
    assert r.status_code == 409 and r.json()["code"] == "CONTACT_PHONE_EXISTS"


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("06-12-34-56-78", "e164_format"),
        ("0612345678", "e164_format"),
        ("+212 612 345 678", "e164_format"),
        ("+21261234", "invalid_number"),
        ("+999123456789", "invalid_country_code"),
    ],
)
async def test_bad_phone_says_which_rule(api, phone, code):
    r = await create(api, primaryPhone=phone)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert body["fieldDetails"]["primaryPhone"][0]["code"] == code


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("firstName", "x" * 101),
        ("fullName", "x" * 201),
        ("zip", "1" * 21),
        ("primaryEmail", "not-an-email"),
        ("gender", "other"),
        ("channels", ["x" * 51]),
        ("unknownField", "x"),
    ],
)
async def test_field_rules(api, field, value):
    r = await create(api, **{field: value})
    assert r.status_code == 400, r.text
    assert any(path.startswith(field) for path in r.json()["fieldErrors"])


async def test_missing_phone(api):
    r = await api.client.post("/api/contact", json={"firstName": "A"}, headers=api.acme.headers())
    assert r.status_code == 400 and "primaryPhone" in r.json()["fieldErrors"]


async def test_list_search_sort_and_pagination(api):
    people = [
        ("+212612345671", "Zineb", "Alaoui", "zineb@example.com"),
        ("+212612345672", "Amine", "Bennani", "amine@example.com"),
        ("+212612345673", "Omar", "Chraibi", "omar@sample.org"),
    ]
    for phone, first, last, email in people:
        r = await create(
            api, primaryPhone=phone, firstName=first, lastName=last, primaryEmail=email
        )
        assert r.status_code == 201
    await create(api, tenant=api.globex, primaryPhone="+212612345674", firstName="Zed")
    h = api.acme.headers("agent")
    r = await api.client.get(
        "/api/contact", params={"sortBy": "firstName", "sortOrder": "asc"}, headers=h
    )
    assert [c["firstName"] for c in r.json()["data"]] == ["Amine", "Omar", "Zineb"]
    assert r.json()["meta"]["total"] == 3
    r = await api.client.get("/api/contact", params={"search": "example"}, headers=h)
    assert {c["firstName"] for c in r.json()["data"]} == {"Zineb", "Amine"}
    r = await api.client.get("/api/contact", params={"search": "345673"}, headers=h)
    assert [c["firstName"] for c in r.json()["data"]] == ["Omar"]
    r = await api.client.get("/api/contact", params={"search": "chRAIbi"}, headers=h)
    assert [c["lastName"] for c in r.json()["data"]] == ["Chraibi"]
    r = await api.client.get("/api/contact", params={"search": "%"}, headers=h)
    assert r.json()["data"] == []
    r = await api.client.get(
        "/api/contact",
        params={"sortBy": "lastName", "sortOrder": "desc", "limit": 2, "page": 2},
        headers=h,
    )
    meta = r.json()["meta"]
    assert [c["lastName"] for c in r.json()["data"]] == ["Alaoui"]
    assert meta["totalPages"] == 2 and meta["hasPreviousPage"] and not meta["hasNextPage"]
    r = await api.client.get("/api/contact", params={"sortBy": "city"}, headers=h)
    assert r.status_code == 400


async def test_other_organization_gets_404_everywhere(api):
    cid = (await create(api)).json()["id"]
    h = api.globex.headers()
    assert (await api.client.get(f"/api/contact/{cid}", headers=h)).status_code == 404
    r = await api.client.put(f"/api/contact/{cid}", json={"city": "X"}, headers=h)
    assert r.status_code == 404 and r.json()["code"] == "CONTACT_NOT_FOUND"
    assert (await api.client.delete(f"/api/contact/{cid}", headers=h)).status_code == 404
    r = await api.client.get("/api/contact", headers=h)
    assert r.json()["meta"]["total"] == 0
    # and acme still has it untouched
    r = await api.client.get(f"/api/contact/{cid}", headers=api.acme.headers())
    assert r.status_code == 200 and r.json()["city"] is None


async def test_agent_cannot_write(api):
    r = await api.client.post(
        "/api/contact", json={"primaryPhone": "+14155551234"}, headers=api.acme.headers("agent")
    )
    assert r.status_code == 403
