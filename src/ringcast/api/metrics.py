"""Prometheus metrics for the HTTP edge (`GET /metrics`) and the dialer child of `ringcast serve`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ringcast.dialer.supervisor import DialerProcessState, DialerStatus

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "ringcast_http_requests_total",
    "HTTP requests by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "ringcast_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
RATE_LIMIT_DEGRADED = Gauge(
    "ringcast_rate_limit_degraded",
    "1 while the shared rate-limit store (Redis) fails and limits are per process",
    registry=REGISTRY,
)

DIALER_STATE = Gauge(
    "ringcast_dialer_process_state",
    "The dialer child of `ringcast serve`: 1 for its current state, 0 for the others",
    ["state"],
    registry=REGISTRY,
)
DIALER_RESTARTS = Gauge(
    "ringcast_dialer_process_restarts",
    "Dialer child processes started after the first (it died or was killed)",
    registry=REGISTRY,
)


def observe(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def observe_dialer(status: DialerStatus | None) -> None:
    """Set the dialer child's gauges (left out when this process supervises none)."""
    if status is None:
        return
    for state in DialerProcessState:
        DIALER_STATE.labels(state.value).set(1 if state == status.state else 0)
    DIALER_RESTARTS.set(status.restarts)
