"""The operator commands' HTTP client: a ringcast server, local or remote.

`--url` / `RINGCAST_URL` (default http://127.0.0.1:8080) and `--key` /
`RINGCAST_API_KEY`. Errors come back as the contract's envelope: the command
prints its message (and field errors) and exits 1, never a traceback.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import httpx
import typer

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="RINGCAST_URL", help="Server address"),
]
KeyOption = Annotated[
    str,
    typer.Option("--key", envvar="RINGCAST_API_KEY", help="API key (or RINGCAST_API_KEY)"),
]
DEFAULT_URL = "http://127.0.0.1:8080"


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


class Remote:
    def __init__(self, url: str, key: str, timeout_s: float = 30.0) -> None:
        if not key:
            fail("no API key: pass --key or set RINGCAST_API_KEY")
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=self.url, headers={"x-api-key": key}, timeout=timeout_s)

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.client.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            fail(f"cannot reach {self.url}: {exc}")
        if response.status_code >= 400:
            fail(_problem(response))
        if not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params or None)

    def download(self, url: str, sink: Any) -> int:
        """Stream `url` into the binary file `sink`; returns the bytes written."""
        written = 0
        try:
            with self.client.stream("GET", url) as response:
                if response.status_code >= 400:
                    response.read()
                    fail(_problem(response))
                for chunk in response.iter_bytes():
                    sink.write(chunk)
                    written += len(chunk)
        except httpx.HTTPError as exc:
            fail(f"download failed: {exc}")
        return written


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    text = f"{body.get('message', 'request failed')} ({body.get('code', response.status_code)})"
    for field, messages in (body.get("fieldErrors") or {}).items():
        text += f"\n  {field}: {'; '.join(messages)}"
    return text
