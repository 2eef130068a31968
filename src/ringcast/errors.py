"""Application errors: every expected failure is an `AppError` with an HTTP
status and a stable machine-readable `code`. The API turns them into the
contract's error envelope; nothing expected ever becomes a 500.

    AppError
    ├── BadRequestError (400)
    │   └── ValidationFailedError (400, VALIDATION_FAILED, with field errors)
    ├── UnauthorizedError (401)
    ├── ForbiddenError (403)
    ├── NotFoundError (404)
    ├── ConflictError (409)
    ├── PayloadTooLargeError (413)
    ├── UnsupportedMediaTypeError (415)
    ├── RateLimitedError (429)
    └── NotImplementedFeatureError (501)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One problem with one field: `path` like ``data[3].primaryPhone``."""

    path: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


MAX_LISTED_ISSUES = 100
"""An error body lists at most this many field problems, then says how many more."""


def cap_issues(issues: list[FieldIssue], most: int = MAX_LISTED_ISSUES) -> list[FieldIssue]:
    """The first `most` issues and, past them, one that counts the rest (so a
    400,000-column header or a row with a million unknown keys answers small)."""
    if len(issues) <= most:
        return issues
    rest = len(issues) - most
    more = FieldIssue("(more)", "more_errors", f"{rest} more problems not listed", {"count": rest})
    return [*issues[:most], more]


class AppError(Exception):
    status_code: ClassVar[int] = 500
    default_code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        issues: list[FieldIssue] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.issues = issues or []
        self.headers = headers or {}
        self.extra = extra or {}


class BadRequestError(AppError):
    status_code = 400
    default_code = "BAD_REQUEST"


class ValidationFailedError(BadRequestError):
    default_code = "VALIDATION_FAILED"

    @classmethod
    def single(cls, path: str, code: str, message: str, **params: Any) -> ValidationFailedError:
        return cls(message, issues=[FieldIssue(path, code, message, params)])


class UnauthorizedError(AppError):
    status_code = 401
    default_code = "UNAUTHORIZED"


class ForbiddenError(AppError):
    status_code = 403
    default_code = "FORBIDDEN"


class NotFoundError(AppError):
    status_code = 404
    default_code = "NOT_FOUND"


class ConflictError(AppError):
    status_code = 409
    default_code = "CONFLICT"


class PayloadTooLargeError(AppError):
    status_code = 413
    default_code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaTypeError(AppError):
    status_code = 415
    default_code = "UNSUPPORTED_MEDIA_TYPE"


class RateLimitedError(AppError):
    status_code = 429
    default_code = "RATE_LIMITED"


class DatabaseBusyError(AppError):
    """The database could not take a lock in time (another connection held it past the
    timeout): nothing the request asked was stored; the client may retry."""

    status_code = 503
    default_code = "DATABASE_BUSY"
    RETRY_AFTER_S = 1

    def __init__(self) -> None:
        super().__init__(
            "The database is busy; retry shortly",
            headers={"Retry-After": str(self.RETRY_AFTER_S)},
        )


class NotImplementedFeatureError(AppError):
    status_code = 501
    default_code = "NOT_IMPLEMENTED"
