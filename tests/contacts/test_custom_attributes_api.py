"""Custom attributes: slugs, immutable type, hidden after delete, values checked by type."""

from __future__ import annotations

import pytest


async def make_attr(api, display_name, type_, tenant=None):
    tenant = tenant or api.acme
    r = await api.client.post(
        "/api/custom-attributes",
        json={"displayName": display_name, "type": type_},
        headers=tenant.headers("manager"),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_slug_is_derived_unique_and_stable(api):
    first = await make_attr(api, "Due Date", "date")
    assert first["name"] == "due_date"
    second = await make_attr(api, "due-date", "text")
    assert second["name"] == "due_date_2"
    accented = await make_attr(api, "Région d'origine", "text")
    assert accented["name"] == "region_d_origine"
    # renaming keeps the slug (it is the key stored in contacts)
    r = await api.client.put(
        f"/api/custom-attributes/{first['id']}",
        json={"displayName": "Deadline"},
        headers=api.acme.headers(),
    )
    assert r.status_code == 200 and r.json()["name"] == "due_date"
    assert r.json()["displayName"] == "Deadline"
    # another organization gets its own namespace
    assert (await make_attr(api, "Due Date", "date", api.globex))["name"] == "due_date"
    r = await api.client.get("/api/custom-attributes", headers=api.acme.headers("agent"))
    assert r.json()["meta"]["total"] == 3


async def test_type_is_immutable(api):
    attr = await make_attr(api, "Score", "number")
    url = f"/api/custom-attributes/{attr['id']}"
    r = await api.client.put(url, json={"type": "text"}, headers=api.acme.headers())
    assert r.status_code == 400 and r.json()["code"] == "CUSTOM_ATTRIBUTE_TYPE_IMMUTABLE"
    r = await api.client.put(url, json={"type": "number"}, headers=api.acme.headers())
    assert r.status_code == 200


async def test_bad_type_is_400(api):
    r = await api.client.post(
        "/api/custom-attributes",
        json={"displayName": "X", "type": "color"},
        headers=api.acme.headers(),
    )
    assert r.status_code == 400 and "type" in r.json()["fieldErrors"]


VALID = {
    "text": "hello",
    "number": 12.5,
    "boolean": True,
    "date": "2026-02-28",
    "phone_number": "+14155551234",
    "email": "a@example.com",
    "url": "https://example.com/x",
}
INVALID = {
    "text": 12,
    "number": "12",
    "boolean": "yes",
    "date": "2026-02-30",
    "phone_number": "0612345678",
    "email": "a@",
    "url": "ftp://example.com",
}


@pytest.mark.parametrize("type_", sorted(VALID))
async def test_each_type_valid_and_invalid(api, type_):
    attr = await make_attr(api, f"Field {type_}", type_)
    key = attr["name"]
    h = api.acme.headers()
    r = await api.client.post(
        "/api/contact",
        json={"primaryPhone": "+212612345678", "customAttributes": {key: VALID[type_]}},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["customAttributes"] == {key: VALID[type_]}
    r = await api.client.post(
        "/api/contact",
        json={"primaryPhone": "+14155551234", "customAttributes": {key: INVALID[type_]}},
        headers=h,
    )
    assert r.status_code == 400, r.text
    path = f"customAttributes.{key}"
    assert path in r.json()["fieldErrors"]
    detail = r.json()["fieldDetails"][path][0]
    assert detail["code"] == "attribute_type"
    assert detail["params"] == {"attribute": key, "expectedType": type_}
    assert key in r.json()["fieldErrors"][path][0]


async def test_unknown_attribute_is_400(api):
    r = await api.client.post(
        "/api/contact",
        json={"primaryPhone": "+212612345678", "customAttributes": {"nope": 1}},
        headers=api.acme.headers(),
    )
    assert r.status_code == 400
    assert r.json()["fieldDetails"]["customAttributes.nope"][0]["code"] == "unknown_attribute"


async def test_delete_hides_values_and_keeps_slug_reserved(api):
    attr = await make_attr(api, "Plan", "text")
    h = api.acme.headers()
    contact = (
        await api.client.post(
            "/api/contact",
            json={"primaryPhone": "+212612345678", "customAttributes": {"plan": "gold"}},
            headers=h,
        )
    ).json()
    r = await api.client.delete(f"/api/custom-attributes/{attr['id']}", headers=h)
    assert r.status_code == 200
    r = await api.client.get(f"/api/contact/{contact['id']}", headers=h)
    assert r.json()["customAttributes"] == {}
    assert (await make_attr(api, "Plan", "number"))["name"] == "plan_2"
    r = await api.client.get(f"/api/contact/{contact['id']}", headers=h)
    assert r.json()["customAttributes"] == {}


async def test_put_merges_custom_attributes(api):
    await make_attr(api, "Plan", "text")
    await make_attr(api, "Seats", "number")
    h = api.acme.headers()
    cid = (
        await api.client.post(
            "/api/contact",
            json={"primaryPhone": "+212612345678", "customAttributes": {"plan": "gold"}},
            headers=h,
        )
    ).json()["id"]
    r = await api.client.put(
        f"/api/contact/{cid}", json={"customAttributes": {"seats": 3}}, headers=h
    )
    assert r.json()["customAttributes"] == {"plan": "gold", "seats": 3}
    r = await api.client.put(
        f"/api/contact/{cid}", json={"customAttributes": {"plan": None}}, headers=h
    )
    assert r.json()["customAttributes"] == {"seats": 3}


async def test_other_organization_gets_404(api):
    attr = await make_attr(api, "Plan", "text")
    url = f"/api/custom-attributes/{attr['id']}"
    h = api.globex.headers()
    assert (await api.client.get(url, headers=h)).status_code == 404
    assert (await api.client.put(url, json={"displayName": "x"}, headers=h)).status_code == 404
    assert (await api.client.delete(url, headers=h)).status_code == 404
    # globex cannot use acme's attribute either
    r = await api.client.post(
        "/api/contact",
        json={"primaryPhone": "+212612345678", "customAttributes": {"plan": "x"}},
        headers=h,
    )
    assert r.status_code == 400
