"""Audiences: CRUD, membership add/remove/list/count, isolation."""

from __future__ import annotations


async def make_contacts(api, n, tenant=None):
    tenant = tenant or api.acme
    rows = [{"primaryPhone": f"+2126123456{i:02d}", "firstName": f"c{i}"} for i in range(n)]
    r = await api.client.post("/api/contact/upsert", json={"data": rows}, headers=tenant.headers())
    assert r.json()["created"] == n
    r = await api.client.get(
        "/api/contact", params={"limit": 100, "sortBy": "firstName", "sortOrder": "asc"},
        headers=tenant.headers(),
    )  # fmt: skip
    return [c["id"] for c in r.json()["data"]]


async def make_audience(api, name="VIP", tenant=None):
    tenant = tenant or api.acme
    r = await api.client.post(
        "/api/audience", json={"name": name, "description": "d"}, headers=tenant.headers()
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_crud(api):
    audience = await make_audience(api)
    assert audience["contactCount"] == 0 and audience["description"] == "d"
    url = f"/api/audience/{audience['id']}"
    r = await api.client.put(url, json={"name": "Gold"}, headers=api.acme.headers())
    assert r.json()["name"] == "Gold" and r.json()["description"] == "d"
    await make_audience(api, "Silver")
    r = await api.client.get(
        "/api/audience", params={"sortBy": "name", "sortOrder": "asc"}, headers=api.acme.headers()
    )
    assert [a["name"] for a in r.json()["data"]] == ["Gold", "Silver"]
    r = await api.client.get("/api/audience", params={"search": "sil"}, headers=api.acme.headers())
    assert [a["name"] for a in r.json()["data"]] == ["Silver"]
    assert (await api.client.delete(url, headers=api.acme.headers())).status_code == 200
    assert (await api.client.get(url, headers=api.acme.headers())).status_code == 404
    r = await api.client.post("/api/audience", json={"name": ""}, headers=api.acme.headers())
    assert r.status_code == 400


async def test_membership(api):
    ids = await make_contacts(api, 5)
    audience = await make_audience(api)
    other = await make_audience(api, "Other")
    base = f"/api/audience/{audience['id']}"
    h = api.acme.headers()
    r = await api.client.post(f"{base}/add-contacts", json={"contacts": ids[:3]}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["added"], r.json()["contactCount"]) == (3, 3)
    # adding again is a no-op; a contact can be in many audiences
    r = await api.client.post(f"{base}/add-contacts", json={"contacts": ids[:4]}, headers=h)
    assert (r.json()["added"], r.json()["contactCount"]) == (1, 4)
    r = await api.client.post(
        f"/api/audience/{other['id']}/add-contacts", json={"contacts": ids[:2]}, headers=h
    )
    assert r.json()["contactCount"] == 2
    r = await api.client.get(
        f"{base}/contacts", params={"limit": 3, "sortBy": "firstName", "sortOrder": "asc"},
        headers=api.acme.headers("agent"),
    )  # fmt: skip
    assert [c["firstName"] for c in r.json()["data"]] == ["c0", "c1", "c2"]
    assert r.json()["meta"]["total"] == 4 and r.json()["meta"]["hasNextPage"]
    r = await api.client.post(
        f"{base}/remove-contacts", json={"contacts": [ids[0], ids[4]]}, headers=h
    )
    assert (r.json()["removed"], r.json()["contactCount"]) == (1, 3)
    # a soft-deleted contact no longer counts
    await api.client.delete(f"/api/contact/{ids[1]}", headers=h)
    r = await api.client.get(base, headers=h)
    assert r.json()["contactCount"] == 2
    r = await api.client.get(f"/api/audience/{other['id']}", headers=h)
    assert r.json()["contactCount"] == 1


async def test_unknown_or_foreign_contacts_are_404_and_nothing_applied(api):
    ids = await make_contacts(api, 2)
    foreign = await make_contacts(api, 1, api.globex)
    audience = await make_audience(api)
    base = f"/api/audience/{audience['id']}"
    r = await api.client.post(
        f"{base}/add-contacts",
        json={"contacts": [ids[0], foreign[0], "nope"]},
        headers=api.acme.headers(),
    )
    assert r.status_code == 404 and r.json()["code"] == "CONTACT_NOT_FOUND"
    assert r.json()["missingContactIds"] == [foreign[0], "nope"]
    r = await api.client.get(base, headers=api.acme.headers())
    assert r.json()["contactCount"] == 0
    await api.client.post(
        f"{base}/add-contacts", json={"contacts": ids}, headers=api.acme.headers()
    )
    r = await api.client.post(
        f"{base}/remove-contacts", json={"contacts": [ids[0], "nope"]}, headers=api.acme.headers()
    )
    assert r.status_code == 404
    assert (await api.client.get(base, headers=api.acme.headers())).json()["contactCount"] == 2


async def test_other_organization_gets_404_on_every_route(api):
    ids = await make_contacts(api, 1)
    audience = await make_audience(api)
    base = f"/api/audience/{audience['id']}"
    await api.client.post(
        f"{base}/add-contacts", json={"contacts": ids}, headers=api.acme.headers()
    )
    h = api.globex.headers()
    globex_ids = await make_contacts(api, 1, api.globex)
    calls = [
        ("GET", base, None),
        ("PUT", base, {"name": "x"}),
        ("DELETE", base, None),
        ("POST", f"{base}/add-contacts", {"contacts": globex_ids}),
        ("POST", f"{base}/remove-contacts", {"contacts": globex_ids}),
        ("GET", f"{base}/contacts", None),
    ]
    for method, url, body in calls:
        r = await api.client.request(method, url, json=body, headers=h)
        assert r.status_code == 404, (method, url, r.text)
        assert r.json()["code"] == "AUDIENCE_NOT_FOUND"
    assert (await api.client.get("/api/audience", headers=h)).json()["meta"]["total"] == 0
    r = await api.client.get(base, headers=api.acme.headers())
    assert r.json()["name"] == "VIP" and r.json()["contactCount"] == 1


async def test_agent_is_read_only(api):
    audience = await make_audience(api)
    r = await api.client.post(
        f"/api/audience/{audience['id']}/add-contacts",
        json={"contacts": ["x"]},
        headers=api.acme.headers("agent"),
    )
    assert r.status_code == 403
