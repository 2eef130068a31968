"""The do-not-call page: list, add a number (validated like the API)."""

from __future__ import annotations

from dashboard.dashboard_kit import client_for, csrf, parse, sign_in


async def test_add_a_number_then_it_is_listed_here_and_in_the_api(api):
    await sign_in(api.client, api.acme.manager_key)
    token = await csrf(api.client)
    r = await api.client.post(
        "/dashboard/dnc", data={"csrf": token, "phone": " +212612345678 ", "reason": "asked"}
    )
    assert r.status_code == 303
    page = parse(await api.client.get(r.headers["location"]))
    assert "+212612345678 is on the list." in page.text
    [_header, row] = page.rows[""]
    assert row[:3] == ["+212612345678", "asked", "api"]
    listed = await api.client.get("/api/dnc", headers=api.acme.headers())
    assert [e["phone"] for e in listed.json()["data"]] == ["+212612345678"]
    # idempotent, like the API
    r = await api.client.post("/dashboard/dnc", data={"csrf": token, "phone": "+212612345678"})
    assert r.status_code == 303
    assert (await api.client.get("/api/dnc", headers=api.acme.headers())).json()["meta"][
        "total"
    ] == 1


async def test_bad_numbers_are_400_with_the_api_message(api):
    await sign_in(api.client, api.acme.admin_key)
    token = await csrf(api.client)
    for phone in ["0612345678", "06-12-34-56-78", "+2126 1234 5678", "+999123", ""]:
        r = await api.client.post("/dashboard/dnc", data={"csrf": token, "phone": phone})
        assert r.status_code == 400, phone
        via_api = await api.client.post(
            "/api/dnc", json={"phone": phone}, headers=api.acme.headers()
        )
        assert via_api.status_code == 400
        [message] = via_api.json()["fieldErrors"]["phone"]
        page = parse(r)
        assert f"phone: {message}" in page.text, (phone, message, page.text)
        assert page.form("/dashboard/dnc").fields["phone"] == phone  # kept for correction
    r = await api.client.post(
        "/dashboard/dnc", data={"csrf": token, "phone": "+212612345678", "reason": "x" * 201}
    )
    assert r.status_code == 400
    assert "reason:" in parse(r).text
    r = await api.client.post(
        "/dashboard/dnc", data={"csrf": token, "phone": "+212612345678", "reason": "a\x00b"}
    )
    assert r.status_code == 400
    assert (await api.client.get("/api/dnc", headers=api.acme.headers())).json()["meta"][
        "total"
    ] == 0


async def test_agent_sees_the_list_but_cannot_add(api):
    await sign_in(api.client, api.acme.agent_key)
    r = await api.client.get("/dashboard/dnc")
    assert r.status_code == 200
    assert not [f for f in parse(r).forms if f.action == "/dashboard/dnc"]
    token = await csrf(api.client)
    r = await api.client.post("/dashboard/dnc", data={"csrf": token, "phone": "+212612345678"})
    assert r.status_code == 403
    assert (await api.client.get("/api/dnc", headers=api.acme.headers())).json()["meta"][
        "total"
    ] == 0


async def test_missing_csrf_is_403(api):
    await sign_in(api.client, api.acme.admin_key)
    r = await api.client.post("/dashboard/dnc", data={"phone": "+212612345678"})
    assert r.status_code == 403
    assert (await api.client.get("/api/dnc", headers=api.acme.headers())).json()["meta"][
        "total"
    ] == 0


async def test_each_organization_sees_its_own_list(api):
    r = await api.client.post(
        "/api/dnc", json={"phone": "+212612345678"}, headers=api.acme.headers()
    )
    assert r.status_code == 201
    async with client_for(api) as globex:
        await sign_in(globex, api.globex.agent_key)
        page = parse(await globex.get("/dashboard/dnc"))
        assert "+212612345678" not in page.text
        assert "The list is empty." in page.text
