from __future__ import annotations


async def test_did_crud_and_available(api):
    h = api.acme.headers("manager")
    made = await api.client.post(
        "/api/dids", json={"number": "+33612345678", "country": "fr"}, headers=h
    )
    assert made.status_code == 201, made.text
    did = made.json()
    assert did["country"] == "FR" and did["status"] == "active"
    reserved = await api.client.post(
        "/api/dids",
        json={"number": "+12025550143", "country": "US", "status": "reserved"},
        headers=h,
    )
    assert reserved.status_code == 201, reserved.text
    dup = await api.client.post(
        "/api/dids", json={"number": "+33612345678", "country": "FR"}, headers=h
    )
    assert dup.status_code == 409 and dup.json()["code"] == "DID_EXISTS"
    available = (await api.client.get("/api/dids/available", headers=h)).json()
    assert [d["number"] for d in available["data"]] == ["+33612345678"]
    assert (await api.client.get("/api/dids", headers=h)).json()["meta"]["total"] == 2
    put = await api.client.put(f"/api/dids/{did['id']}", json={"status": "inactive"}, headers=h)
    assert put.json()["status"] == "inactive"
    assert (await api.client.get("/api/dids/available", headers=h)).json()["data"] == []
    assert (
        await api.client.get(f"/api/dids/{did['id']}", headers=api.globex.headers())
    ).status_code == 404
    assert (await api.client.delete(f"/api/dids/{did['id']}", headers=h)).status_code == 204


async def test_did_number_and_country_are_checked(api):
    h = api.acme.headers()
    cases = [
        ({"number": "0612345678", "country": "FR"}, "number"),
        ({"number": "+33 6 12 34 56 78", "country": "FR"}, "number"),
        ({"number": "+33612345678", "country": "MA"}, "country"),
        ({"number": "+33612345678", "country": "FRA"}, "country"),
        ({"number": "+33612345678", "country": "FR", "trunkId": "nope"}, "trunkId"),
        ({"number": "+33612345678", "country": "FR", "status": "gone"}, "status"),
    ]
    for body, field in cases:
        response = await api.client.post("/api/dids", json=body, headers=h)
        assert response.status_code == 400, body
        assert field in response.json()["fieldErrors"], (body, response.json())
