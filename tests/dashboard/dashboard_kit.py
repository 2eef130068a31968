"""Dashboard test helpers: sign in, read pages with html.parser, post forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx

from ringcast.dashboard.session import COOKIE


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[dict[str, str | None]] = field(default_factory=list)


class Page(HTMLParser):
    """Text, `data-*` counters, links, forms and table rows of one page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text_parts: list[str] = []
        self.data: dict[str, list[str]] = {}
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.rows: dict[str, list[list[str]]] = {}
        self._open_data: list[tuple[str, str] | None] = []
        self._table: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._script = False
        self.feed(html)
        self.text = " ".join(" ".join(self.text_parts).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self._script = True
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "form":
            self.forms.append(Form(a.get("action") or ""))
        if tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"] or ""] = a.get("value") or ""
        if tag == "button" and self.forms:
            self.forms[-1].buttons.append(a)
        if tag == "table":
            self._table.append(a.get("id") or "")
        if tag == "tr" and self._table:
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = []
        keys = [(k, v or "") for k, v in attrs if k.startswith("data-")]
        self._open_data.append(keys[0] if keys else None)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None and self._table:
            self.rows.setdefault(self._table[-1], []).append(self._row)
            self._row = None
        if tag == "table" and self._table:
            self._table.pop()
        if self._open_data:
            self._open_data.pop()

    def handle_data(self, data: str) -> None:
        if self._script:
            return
        self.text_parts.append(data)
        if self._cell is not None:
            self._cell.append(data)
        for item in reversed(self._open_data):
            if item is not None:
                name, value = item
                self.data.setdefault(f"{name}={value}", []).append(data.strip())
                break

    def value(self, attr: str, key: str, index: int = 0) -> str:
        return self.data[f"{attr}={key}"][index]

    def counters(self, index: int = 0) -> dict[str, int]:
        """The `data-k` numbers of the `index`-th execution on the page."""
        return {
            k.removeprefix("data-k="): int(v[index])
            for k, v in self.data.items()
            if k.startswith("data-k=") and k != "data-k=cpm"
        }

    def form(self, action: str) -> Form:
        matches = [f for f in self.forms if f.action == action]
        assert matches, f"no form posting to {action}: {[f.action for f in self.forms]}"
        return matches[0]


def parse(response: httpx.Response) -> Page:
    assert response.headers["content-type"].startswith("text/html"), response.headers
    return Page(response.text)


def client_for(api: Any, base_url: str = "http://ringcast.test") -> httpx.AsyncClient:
    """A separate browser (its own cookie jar) on the same app."""
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def sign_in(client: httpx.AsyncClient, key: str) -> httpx.Response:
    response = await client.post("/dashboard/login", data={"key": key})
    assert response.status_code == 303, response.text
    assert client.cookies.get(COOKIE, path="/dashboard"), response.headers
    return response


async def csrf(client: httpx.AsyncClient, page: str = "/dashboard/dnc") -> str:
    r = await client.get(page)
    assert r.status_code == 200, r.text
    return parse(r).form("/dashboard/logout").fields["csrf"]
