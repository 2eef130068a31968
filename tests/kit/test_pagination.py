"""List parameters: out-of-range pages are a 400, never an SQL overflow."""

from __future__ import annotations

import pytest

from ringcast.errors import ValidationFailedError
from ringcast.kit.pagination import MAX_LIMIT, MAX_PAGE, page_params


def test_page_past_the_maximum_is_rejected() -> None:
    with pytest.raises(ValidationFailedError) as caught:
        page_params(page=MAX_PAGE + 1)
    assert [(i.path, i.code) for i in caught.value.issues] == [("page", "max_value")]


def test_largest_page_and_huge_limit_are_accepted() -> None:
    params = page_params(page=MAX_PAGE, limit=2**70)
    assert params.limit == MAX_LIMIT
    assert params.offset < 2**63


@pytest.mark.parametrize("page", [str(2**63), "99999999999999999999999"])
async def test_overflowing_page_is_a_400_on_every_database(api, page: str) -> None:
    # regression: the offset overflowed SQLite's 64-bit integer into a 500
    r = await api.client.get("/api/contact", params={"page": page}, headers=api.acme.headers())
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert "page" in body["fieldErrors"]


async def test_last_allowed_page_is_empty_not_an_error(api) -> None:
    r = await api.client.get(
        "/api/contact", params={"page": MAX_PAGE, "limit": 100}, headers=api.acme.headers()
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"] == []
