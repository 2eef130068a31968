from __future__ import annotations


async def test_dnc_add_is_idempotent_list_and_remove(api):
    h = api.acme.headers("manager")
    first = await api.client.post(
        "/api/dnc", json={"phone": "+33612345678", "reason": "opt-out"}, headers=h
    )
    assert first.status_code == 201, first.text
    again = await api.client.post("/api/dnc", json={"phone": "+33612345678"}, headers=h)
    assert again.json()["id"] == first.json()["id"] and again.json()["reason"] == "opt-out"
    listed = (await api.client.get("/api/dnc", headers=h)).json()
    assert [e["phone"] for e in listed["data"]] == ["+33612345678"]
    assert (await api.client.get("/api/dnc", headers=api.globex.headers())).json()["data"] == []
    bad = await api.client.post("/api/dnc", json={"phone": "0612345678"}, headers=h)
    assert bad.status_code == 400 and "phone" in bad.json()["fieldErrors"]
    other = await api.client.delete(f"/api/dnc/{first.json()['id']}", headers=api.globex.headers())
    assert other.status_code == 404
    assert (await api.client.delete(f"/api/dnc/{first.json()['id']}", headers=h)).status_code == 204
    assert (await api.client.get("/api/dnc", headers=h)).json()["meta"]["total"] == 0
