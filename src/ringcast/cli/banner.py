"""What `ringcast serve` says when it starts: where things are, and less noise."""

from __future__ import annotations

import logging

# libraries whose INFO lines say nothing an operator acts on (each migration
# step, each HTTP request line); WARNING and above still show
QUIET_LOGGERS = ("alembic", "alembic.runtime.migration", "uvicorn.access", "httpx")


def quiet_libraries(level: str) -> None:
    """Keep library INFO noise out unless the operator asked for DEBUG."""
    if logging.getLevelName(level.upper()) == logging.DEBUG:
        return
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def base_url(host: str, port: int) -> str:
    # a wildcard bind is reachable on loopback; IPv6 literals need brackets
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def addresses(host: str, port: int) -> str:
    base = base_url(host, port)
    return "\n".join(
        (
            f"ringcast is starting on {base}",
            f"  API        {base}/api",
            f"  API docs   {base}/docs  (ReDoc: {base}/redoc)",
            f"  dashboard  {base}/dashboard",
        )
    )
