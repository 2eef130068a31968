"""The error envelope, and the handlers that make every error use it.

`{"statusCode", "code", "error", "message", "fieldErrors"?, "fieldDetails"?,
"timestamp", "path"}` — for our own `AppError`s, FastAPI's validation errors,
Starlette's HTTP errors (404 route, 405), a NUL the database refused (400)
and any unexpected exception (500, logged with a request id, no stack trace
in the body).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ringcast.api.responses import ApiJSONResponse
from ringcast.db.dialect import is_busy
from ringcast.errors import AppError, DatabaseBusyError, FieldIssue, cap_issues
from ringcast.kit.logs import ThrottledWarning
from ringcast.kit.schemas import is_nul_rejection

log = logging.getLogger("ringcast.api")
_busy_log = ThrottledWarning(log)


def _status_name(status: int) -> str:
    try:
        return HTTPStatus(status).name
    except ValueError:
        return "ERROR"


def envelope(
    status: int,
    code: str,
    message: str,
    path: str,
    issues: list[FieldIssue] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "statusCode": status,
        "code": code,
        "error": _status_name(status),
        "message": message,
    }
    if issues:
        field_errors: dict[str, list[str]] = {}
        field_details: dict[str, list[dict[str, Any]]] = {}
        for issue in cap_issues(issues):
            field_errors.setdefault(issue.path, []).append(issue.message)
            field_details.setdefault(issue.path, []).append(
                {"code": issue.code, "params": issue.params}
            )
        body["fieldErrors"] = field_errors
        body["fieldDetails"] = field_details
    if extra:
        body.update(extra)
    body["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body["path"] = path
    return body


def error_response(
    status: int,
    code: str,
    message: str,
    path: str,
    issues: list[FieldIssue] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    return ApiJSONResponse(envelope(status, code, message, path, issues, extra), status, headers)


def app_error_response(exc: AppError, path: str) -> JSONResponse:
    return error_response(
        exc.status_code, exc.code, exc.message, path, exc.issues, exc.headers, exc.extra
    )


def loc_to_path(loc: tuple[int | str, ...]) -> str:
    """('body', 'data', 3, 'primaryPhone') → 'data[3].primaryPhone'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def _json_safe(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)


def validation_issues(errors: list[dict[str, Any]]) -> list[FieldIssue]:
    issues = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        kind = str(err.get("type", "invalid"))
        message = str(err.get("msg", "Invalid value"))
        if kind == "extra_forbidden":
            message = "Unknown property"
        elif kind == "missing":
            message = "Field required"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        params = _json_safe(err.get("ctx") or {})
        params.pop("error", None)
        issues.append(FieldIssue(loc_to_path(loc), kind, message, params))
    return issues


async def _on_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return app_error_response(exc, request.url.path)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(
            400, "MALFORMED_JSON", "Request body is not valid JSON", request.url.path
        )
    issues = validation_issues(errors)
    return error_response(400, "VALIDATION_FAILED", "Validation failed", request.url.path, issues)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, AppError):
        # FastAPI turns any error raised while it reads a body into a 400 "error
        # parsing the body"; ours (the gate's 413 on a streamed body) keeps its status
        return app_error_response(exc.__cause__, request.url.path)
    codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}
    code = codes.get(exc.status_code, _status_name(exc.status_code))
    message = exc.detail if isinstance(exc.detail, str) else _status_name(exc.status_code)
    if exc.status_code == 404 and message == "Not Found":
        message = f"No route for {request.method} {request.url.path}"
    return error_response(
        exc.status_code,
        code,
        message,
        request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """Input that only the database refused: a NUL in a field no schema checks
    (a form field, an upload's file name). The route has rolled back already."""
    assert isinstance(exc, DBAPIError)
    if is_busy(exc):  # another connection held the lock past the timeout: retry, not a 500
        _busy_log.warning("%s %s: the database is busy (503)", request.method, request.url.path)
        return app_error_response(DatabaseBusyError(), request.url.path)
    if is_nul_rejection(exc):
        return error_response(
            400,
            "INVALID_CHARACTER",
            "Text must not contain NUL (\\u0000) characters",
            request.url.path,
        )
    return await _on_unexpected(request, exc)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    log.exception(
        "unhandled error on %s %s (request %s)", request.method, request.url.path, request_id
    )
    return error_response(
        500,
        "INTERNAL_ERROR",
        "Internal server error; quote the requestId when reporting it",
        request.url.path,
        extra={"requestId": request_id},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _on_app_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
