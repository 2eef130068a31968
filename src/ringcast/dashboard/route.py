"""The dashboard's route class: a unit of work whose failures are HTML pages.

Each request is one unit of work (`UnitOfWorkRoute`: rolled back when the
handler raises). What it raises becomes a page with the error's own status:
an `AppError` (404 not in your organization, 403 role or CSRF, 409 state
conflict, 400 bad form), a bad query parameter (400), a NUL the database
refused (400). No session → 303 to the login form. Anything else is a bug:
logged, and a 500 page without the stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import DBAPIError

from ringcast.api.route import UnitOfWorkRoute
from ringcast.dashboard.render import error_page
from ringcast.dashboard.session import COOKIE
from ringcast.dashboard.viewer import LoginRequiredError
from ringcast.errors import AppError
from ringcast.kit.schemas import is_nul_rejection, url_holds_nul

log = logging.getLogger("ringcast.dashboard")

LOGIN = "/dashboard/login"
# why the login form is shown again, by the 401 code (fixed texts: nothing from the URL is echoed)
LOGIN_REASONS = {
    "signin": "Sign in with an API key.",
    "API_KEY_REVOKED": "Your API key has been revoked. Sign in with another key.",
    "API_KEY_EXPIRED": "Your API key has expired. Sign in with another key.",
    "API_KEY_INVALID": "Your API key is no longer valid. Sign in with another key.",
}


def to_login(code: str) -> RedirectResponse:
    reason = code if code in LOGIN_REASONS else "signin"
    response = RedirectResponse(f"{LOGIN}?why={reason}", status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard")
    return response


class DashboardRoute(UnitOfWorkRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            query = request.scope.get("query_string", b"")
            if url_holds_nul(request.url.path, query):
                return error_page(request, 400, "The address must not contain NUL characters.")
            try:
                return await handler(request)
            except LoginRequiredError as exc:
                return to_login(exc.code)
            except AppError as exc:
                return error_page(request, exc.status_code, exc.message)
            except RequestValidationError:
                return error_page(request, 400, "This address has a malformed parameter.")
            except DBAPIError as exc:
                if is_nul_rejection(exc):
                    return error_page(request, 400, "Text must not contain NUL characters.")
                log.exception("dashboard: database error on %s", request.url.path)
                return error_page(request, 500, "Something went wrong on our side.")
            except Exception:
                log.exception("dashboard: unhandled error on %s", request.url.path)
                return error_page(request, 500, "Something went wrong on our side.")

        return run
