"""The OpenAPI document, corrected to say what the API really answers.

FastAPI documents a 422 with its own `HTTPValidationError` body on every
operation that takes input; ringcast answers validation errors with a 400 in
its error envelope instead (`ringcast.api.errors`), and the gate middleware
adds 401/403/409/413/415/429 that no route declares. `install(app)` wraps
`app.openapi` so the served document lists, for every `/api` operation, the
statuses the gate and the handlers can produce, each with the envelope schema,
plus the optional `Idempotency-Key` header on mutations. Clients and the
schemathesis fuzz test (`tests/api/test_openapi_fuzz.py`) rely on it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA_NAME = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}

ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "description": "Every error answers in this envelope; `code` is the stable discriminator.",
    "type": "object",
    "required": ["statusCode", "code", "error", "message", "timestamp", "path"],
    "properties": {
        "statusCode": {"type": "integer"},
        "code": {"type": "string"},
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fieldErrors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "fieldDetails": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "params"],
                    "properties": {"code": {"type": "string"}, "params": {"type": "object"}},
                },
            },
        },
        "requestId": {"type": ["string", "null"]},
        "timestamp": {"type": "string", "format": "date-time"},
        "path": {"type": "string"},
    },
    # some errors carry context (e.g. `flowIds` on a 409 for an audio file in use)
    "additionalProperties": True,
}

DESCRIPTIONS = {
    400: "Bad input (`VALIDATION_FAILED` with `fieldErrors`, `MALFORMED_JSON`, ...)",
    401: "Missing, invalid, expired or revoked API key",
    403: "The key's role may not do this (agent keys are read-only)",
    404: "Not found in your organization",
    409: "Duplicate, state conflict, or Idempotency-Key reused",
    413: "Request body too large",
    415: "Unsupported Content-Type",
    429: "Rate limited; see Retry-After",
}

MUTATIONS = frozenset({"post", "put", "patch", "delete"})
PAGE_PARAMS = frozenset({"page", "limit", "search", "sortBy", "sortOrder"})

IDEMPOTENCY_HEADER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Replays the first response for a repeat within 24 h (1-255 characters).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def file_responses(
    description: str, *media_types: str, errors: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route answering a file: its media types instead of JSON.

    Use with `response_class=Response`, so FastAPI adds no JSON body of its own;
    `errors` documents route-specific error statuses (the envelope is added).
    """
    binary = {"schema": {"type": "string", "format": "binary"}}
    out: dict[int | str, dict[str, Any]] = {
        200: {"description": description, "content": dict.fromkeys(media_types, binary)}
    }
    for status, text in (errors or {}).items():
        out[status] = {"description": text}
    return out


def _statuses(method: str, operation: dict[str, Any]) -> list[int]:
    params = {p["name"] for p in operation.get("parameters", []) if p.get("in") != "header"}
    has_body = "requestBody" in operation
    statuses = [400, 401, 429]
    if method in MUTATIONS:
        statuses += [403, 409]
    # a bare list (only paging params) has nothing to miss; anything naming a resource does
    if has_body or params - PAGE_PARAMS:
        statuses.append(404)
    if has_body:
        statuses += [413, 415]
    return sorted(statuses)


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def complete(spec: dict[str, Any]) -> dict[str, Any]:
    """Rewrite `spec` in place: envelope errors on every `/api` operation."""
    for path, item in spec.get("paths", {}).items():
        if not path.startswith("/api"):
            continue
        for method, operation in item.items():
            if method not in MUTATIONS | {"get"}:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _statuses(method, operation):
                responses.setdefault(str(status), _error_response(DESCRIPTIONS[status]))
            for code, response in responses.items():
                # errors a route declared itself (e.g. a 501) get the envelope too
                if not code.startswith("2") and "content" not in response:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
            if method in MUTATIONS:
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == IDEMPOTENCY_HEADER["name"] for p in parameters):
                    parameters.append(dict(IDEMPOTENCY_HEADER))
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    # FastAPI's 422 body is never sent; drop its schemas once nothing refers to them
    if not _refers_to(spec.get("paths", {}), "#/components/schemas/HTTPValidationError"):
        schemas.pop("HTTPValidationError", None)
        if not _refers_to(schemas, "#/components/schemas/ValidationError"):
            schemas.pop("ValidationError", None)
    return spec


def _refers_to(node: Any, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_refers_to(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_refers_to(v, ref) for v in node)
    return False


def install(app: FastAPI) -> None:
    """Serve the completed document at `/openapi.json`.

    FastAPI caches the document it builds (and rebuilds it when routes change);
    `complete` rewrites it in place, so each built document is completed once.
    """
    build = app.openapi
    completed: list[dict[str, Any] | None] = [None]

    def openapi() -> dict[str, Any]:
        spec = build()
        if spec is not completed[0]:
            completed[0] = complete(spec)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
