from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from ringcast.api import metrics
from ringcast.api.deps import StateDep
from ringcast.dialer.metrics import FILE_NAME as DIALER_METRICS_FILE
from ringcast.dialer.metrics import overload_state, read_fresh
from ringcast.dialer.supervisor import DialerProcessState, supervised_status

router = APIRouter(tags=["Operations"])


def _ping(conn: Connection) -> None:
    """SELECT 1 on the driver's connection, outside any transaction: on SQLite a
    transaction starts with BEGIN IMMEDIATE and would wait for a long write."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("SELECT 1")
        cursor.fetchall()
    finally:
        cursor.close()


@router.get("/health", summary="Liveness and database check (no auth)")
async def health(state: StateDep) -> JSONResponse:
    try:
        async with state.engine.connect() as conn:
            await conn.run_sync(_ping)
        database = "ok"
    except Exception as exc:  # the point is to report any failure, not raise it
        database = f"error: {type(exc).__name__}"
    status = 200 if database == "ok" else 503
    body: dict[str, object] = {"database": database}
    dialer = supervised_status(state.extras)
    if dialer is not None:  # `ringcast serve`: its dialer child; a failed one is not "ok"
        body["dialer"] = dialer.as_json()
        if dialer.state == DialerProcessState.failed:
            status = 503
    load = overload_state(read_fresh(state.settings.data_dir / DIALER_METRICS_FILE))
    if load is not None:  # the dialer's calls against its cap; full is not unhealthy
        body["dialerLoad"] = load
    if state.limiter.degraded:  # Redis down: the API answers, limits are per process
        body["rateLimit"] = "degraded"
    return JSONResponse({"status": "ok" if status == 200 else "degraded", **body}, status)


@router.get(
    "/metrics",
    summary="Prometheus metrics (no auth)",
    response_class=Response,
    responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
)
async def prometheus_metrics(state: StateDep) -> Response:
    metrics.observe_dialer(supervised_status(state.extras))
    body, content_type = metrics.render()
    # the dialer process's media figures (the media clock's lateness...), while fresh
    body += read_fresh(state.settings.data_dir / DIALER_METRICS_FILE)
    return Response(body, media_type=content_type)
