"""The dashboard's pages and forms, under `/dashboard` (hidden from /openapi.json).

Reads go through the same services as the API, scoped to the viewer's
organization (another organization's id is a 404); writes are POSTed forms
carrying the session's CSRF token and call the API's own service functions.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.api.deps import SessionDep, state_of
from ringcast.api.errors import validation_issues
from ringcast.auth import service as auth_service
from ringcast.calls import service as calls
from ringcast.dashboard import browse_routes, live_routes, views
from ringcast.dashboard.forms import check_csrf, read_form
from ringcast.dashboard.render import STYLESHEET, error_page, page
from ringcast.dashboard.route import LOGIN_REASONS, DashboardRoute
from ringcast.dashboard.session import COOKIE, MAX_AGE_S, new_nonce
from ringcast.dashboard.viewer import ViewerDep, dashboard_state
from ringcast.db.base import utcnow
from ringcast.dialer.supervisor import supervised_status
from ringcast.dnc import service as dnc
from ringcast.dnc.schemas import DncCreate
from ringcast.errors import NotFoundError, UnauthorizedError, ValidationFailedError
from ringcast.kit.pagination import PageParams, page_params
from ringcast.programs import executions
from ringcast.programs import service as programs
from ringcast.programs.models import Execution

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)
PageQuery = Annotated[str | None, Query(alias="page", max_length=10)]


def _page(raw: str | None, limit: int) -> PageParams:
    if raw is not None and not (raw.isascii() and raw.isdigit()):
        raise ValidationFailedError.single("page", "not_integer", "page must be a whole number")
    return page_params(page=int(raw or 1), limit=limit)


# ---- session -------------------------------------------------------------------


@router.get("/login")
async def login_form(request: Request, why: Annotated[str | None, Query()] = None) -> Response:
    return page(request, "login.html", notice=LOGIN_REASONS.get(why or ""), error=None)


@router.post("/login")
async def login(request: Request, session: SessionDep) -> Response:
    dash = dashboard_state(request)
    address = request.client.host if request.client else "unknown"
    wait_s = dash.sign_ins.retry_after_s(address, time.monotonic())
    if wait_s:
        refused = page(
            request,
            "login.html",
            status=429,
            notice=None,
            error=f"Too many failed sign-ins from your address. Try again in {wait_s} s.",
        )
        refused.headers["Retry-After"] = str(wait_s)
        return refused
    fields = await read_form(request)
    now = utcnow()
    try:
        principal = await auth_service.authenticate(session, fields.get("key", "").strip(), now)
    except UnauthorizedError as exc:
        dash.sign_ins.failed(address, time.monotonic())
        return page(request, "login.html", status=401, notice=None, error=exc.message)
    dash.keys.put(principal.key_id, principal, principal.expires_at)
    nonce = new_nonce()
    await auth_service.start_dashboard_session(
        session, principal, nonce, now, timedelta(seconds=MAX_AGE_S)
    )
    token = dash.signer.issue(
        principal.key_id, principal.organization_id, now.timestamp(), nonce=nonce
    )
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=MAX_AGE_S,
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    check_csrf(request, viewer, await read_form(request))
    await auth_service.end_dashboard_session(session, viewer.session.nonce, utcnow())
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard")
    return response


# ---- pages ---------------------------------------------------------------------


@router.get("")
async def overview(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    live = await views.live(session, viewer.principal.organization_id, utcnow())
    dialer = supervised_status(state_of(request).extras)
    return page(request, "overview.html", live=live, dialer=dialer)


@router.get("/programs")
async def program_list(
    request: Request, viewer: ViewerDep, session: SessionDep, page_no: PageQuery = None
) -> Response:
    params = _page(page_no, 50)
    rows, total = await programs.page(session, viewer.principal.organization_id, params)
    return page(request, "programs.html", programs=rows, total=total, params=params)


@router.get("/programs/{program_id}")
async def program_page(
    request: Request,
    program_id: str,
    viewer: ViewerDep,
    session: SessionDep,
    page_no: PageQuery = None,
) -> Response:
    org = viewer.principal.organization_id
    params = _page(page_no, 20)
    program = await programs.get(session, org, program_id)
    rows, total = await executions.page_for_program(session, org, program.id, params)
    runs = await views.for_program(session, program.name, rows, utcnow())
    return page(
        request,
        "program.html",
        program=program,
        runs=runs,
        total=total,
        params=params,
    )


Action = Callable[[AsyncSession, str, str], Awaitable[Execution]]


async def _resume(session: AsyncSession, org: str, execution_id: str) -> Execution:
    return await executions.resume(session, org, execution_id, None)


ACTIONS: dict[str, Action] = {
    "pause": executions.pause,
    "resume": _resume,
    "cancel": executions.cancel,
}


@router.post("/executions/{execution_id}/{action}")
async def execution_action(
    request: Request, execution_id: str, action: str, viewer: ViewerDep, session: SessionDep
) -> Response:
    run = ACTIONS.get(action)
    if run is None:
        raise NotFoundError(f"There is no {action!r} action.")
    check_csrf(request, viewer, await read_form(request))
    viewer.principal.require_write()
    execution = await run(session, viewer.principal.organization_id, execution_id)
    return RedirectResponse(f"/dashboard/executions/{execution.id}", status_code=303)


@router.get("/call-report/{job_id}")
async def call_report(job_id: str, viewer: ViewerDep, session: SessionDep) -> Response:
    """The API's call report (`GET /api/call-report/{jobId}`), for a browser session."""
    report = await calls.call_report(session, viewer.principal.organization_id, job_id)
    return JSONResponse(report.model_dump(mode="json", by_alias=True))


# ---- do-not-call ---------------------------------------------------------------


async def _dnc_page(
    request: Request,
    session: SessionDep,
    org: str,
    params: PageParams,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    form: dict[str, str] | None = None,
    added: str | None = None,
) -> Response:
    rows, total = await dnc.page(session, org, params)
    return page(
        request,
        "dnc.html",
        status=status,
        entries=rows,
        total=total,
        params=params,
        errors=errors or {},
        form=form or {},
        added=added,
    )


@router.get("/dnc")
async def dnc_list(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    page_no: PageQuery = None,
    added: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    params = _page(page_no, 50)
    return await _dnc_page(request, session, viewer.principal.organization_id, params, added=added)


@router.post("/dnc")
async def dnc_add(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    fields = await read_form(request)
    check_csrf(request, viewer, fields)
    viewer.principal.require_write()
    form = {"phone": fields.get("phone", ""), "reason": fields.get("reason", "")}
    try:
        # the API's own body schema: the same E.164 and length rules
        body = DncCreate.model_validate(
            {"phone": form["phone"].strip(), "reason": form["reason"].strip() or None}
        )
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for issue in validation_issues(list(exc.errors())):  # type: ignore[arg-type]
            errors.setdefault(issue.path, []).append(issue.message)
        org = viewer.principal.organization_id
        return await _dnc_page(
            request, session, org, _page(None, 50), status=400, errors=errors, form=form
        )
    await dnc.add(session, viewer.principal.organization_id, body.phone, body.reason)
    return RedirectResponse(f"/dashboard/dnc?added={quote(body.phone)}", status_code=303)


# ---- live views, exports, calls; browsing (before the catch-all below) ----------

router.include_router(live_routes.router)
router.include_router(browse_routes.router)


# ---- the rest ------------------------------------------------------------------


@router.get("/static/dashboard.css")
async def stylesheet() -> Response:
    return Response(
        STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=300"}
    )


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
async def not_found(request: Request, rest: str) -> Response:
    if rest == "":
        return RedirectResponse("/dashboard", status_code=308)
    return error_page(request, 404, "There is no such page.")
