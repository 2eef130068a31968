"""A DID's `trunkGroup`: stored in priority order, `trunkId` its first trunk, bad groups 400 (the contract's
validation envelope)."""

from __future__ import annotations

import random

from ringcast.dialer.trunk_group import GroupMember, failover_order


async def _trunk(api, name: str) -> str:
    body = {"name": name, "host": "127.0.0.60"}
    r = await api.client.post("/api/trunks", json=body, headers=api.acme.headers())
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_trunk_group_round_trip_and_backward_compatible_trunk_id(api):
    h = api.acme.headers()
    a, b = await _trunk(api, "a"), await _trunk(api, "b")
    group = [{"trunkId": b, "priority": 2, "weight": 3}, {"trunkId": a}]
    r = await api.client.post(
        "/api/dids",
        json={"number": "+33612345678", "country": "FR", "trunkGroup": group},
        headers=h,
    )
    assert r.status_code == 201, r.text
    did = r.json()
    assert did["trunkId"] == a  # the first trunk of the group
    assert did["trunkGroup"] == [
        {"trunkId": a, "priority": 1, "weight": 1},
        {"trunkId": b, "priority": 2, "weight": 3},
    ]
    # a bare trunkId is today's single trunk: it replaces the group
    r = await api.client.put(f"/api/dids/{did['id']}", json={"trunkId": b}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["trunkId"], r.json()["trunkGroup"]) == (b, None)


async def test_bad_trunk_groups_are_400_with_the_field_named(api):
    h = api.acme.headers()
    a = await _trunk(api, "a")
    cases = [
        ({"trunkGroup": [{"trunkId": a}, {"trunkId": a}]}, "trunkGroup[1].trunkId"),
        ({"trunkGroup": [{"trunkId": "nope"}]}, "trunkGroup[0].trunkId"),
        ({"trunkGroup": [{"trunkId": a}], "trunkId": a}, "trunkId"),
    ]
    for extra, field in cases:
        body = {"number": "+33612345679", "country": "FR", **extra}
        r = await api.client.post("/api/dids", json=body, headers=h)
        assert r.status_code == 400, r.text
        assert field in r.json()["fieldErrors"], r.text
    for bad in ([], [{"trunkId": a, "weight": 0}], [{"trunkId": a, "priority": 0}]):
        body = {"number": "+33612345679", "country": "FR", "trunkGroup": bad}
        r = await api.client.post("/api/dids", json=body, headers=h)
        assert r.status_code == 400, r.text


def test_failover_order_is_by_priority_then_weighted():
    rng = random.Random(7)
    group = [GroupMember("backup", 2), GroupMember("a", 1, 3), GroupMember("b", 1, 1)]
    firsts = [failover_order(group, rng) for _ in range(4000)]
    assert all(order[-1] == "backup" for order in firsts)
    share = sum(order[0] == "a" for order in firsts) / len(firsts)
    assert 0.72 < share < 0.78  # weight 3 of 4
