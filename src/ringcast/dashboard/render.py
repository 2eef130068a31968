"""Jinja2 templates and the HTML responses the dashboard sends.

Every page gets a fresh CSP nonce: the only scripts allowed are the inline
ones carrying it (auto-refresh, the execution page's event stream, which
`connect-src 'self'` lets reach the server; `media-src 'self'` lets audio play). Pages are never cached and never framed.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

HERE = Path(__file__).parent


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "—"


def _seconds(value_ms: int | None) -> str:
    return f"{value_ms / 1000:.1f} s" if value_ms is not None else "—"


env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["when"] = _when
env.filters["seconds"] = _seconds

STYLESHEET = (HERE / "static" / "dashboard.css").read_text()


def security_headers(nonce: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'self'; img-src 'self'; "
            "connect-src 'self'; media-src 'self'; "
            f"script-src 'nonce-{nonce}'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    context.setdefault("viewer", getattr(request.state, "dashboard_viewer", None))
    context.setdefault("refresh", False)
    html = env.get_template(template).render(nonce=nonce, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers=security_headers(nonce))


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    return page(
        request, "error.html", status=status, title=title, status_code=status, message=message
    )
