"""Who is looking: the session cookie, checked, and the key it names, re-checked.

The session itself is looked up too (`auth.service.dashboard_session_live`,
one primary-key read): logout and revoking the key end it on the server, so
an old cookie (and the CSRF token tied to it) opens nothing afterwards.

The key is looked up through `auth.service.authenticate_id` (revoked, expired,
unknown → 401) and the answer kept `auth_cache_seconds` in a cache of the
dashboard's own, keyed by key id: a key revoked anywhere loses the dashboard
within that time. (The API's cache is keyed by the presented secret; sharing
it under a key id would let anyone who knows an id present it as a key.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from ringcast.api.deps import SessionDep
from ringcast.api.state import AppState
from ringcast.auth import service as auth_service
from ringcast.auth.cache import AuthCache
from ringcast.auth.principal import Principal
from ringcast.dashboard.session import COOKIE, SessionToken, Signer
from ringcast.dashboard.throttle import SignInThrottle
from ringcast.db.base import utcnow
from ringcast.errors import AppError, UnauthorizedError

STATE_KEY = "dashboard"


@dataclass(frozen=True, slots=True)
class DashboardState:
    signer: Signer
    keys: AuthCache
    sign_ins: SignInThrottle


@dataclass(frozen=True, slots=True)
class Viewer:
    principal: Principal
    session: SessionToken
    csrf: str

    @property
    def can_write(self) -> bool:
        return self.principal.can_write


class LoginRequiredError(AppError):
    """No usable session: the route answers with a redirect to the login form."""

    status_code = 401
    default_code = "DASHBOARD_LOGIN_REQUIRED"


def dashboard_state(request: Request) -> DashboardState:
    state = cast(AppState, request.app.state.ringcast)
    return cast(DashboardState, state.extras[STATE_KEY])


async def current_viewer(request: Request, session: SessionDep) -> Viewer:
    dash = dashboard_state(request)
    token = request.cookies.get(COOKIE)
    claims = dash.signer.verify(token, time.time()) if token else None
    if claims is None:
        raise LoginRequiredError("Sign in with an API key", code="signin")
    now = utcnow()
    try:
        principal = dash.keys.get(claims.key_id, now)
        if principal is None:
            principal = await auth_service.authenticate_id(
                session, claims.organization_id, claims.key_id, now
            )
            dash.keys.put(claims.key_id, principal, principal.expires_at)
        if not await auth_service.dashboard_session_live(session, claims.nonce, claims.key_id, now):
            # ended: say why when the key is the reason (revoked, expired)
            await auth_service.authenticate_id(session, claims.organization_id, claims.key_id, now)
            raise LoginRequiredError("Sign in with an API key", code="signin")
    except UnauthorizedError as exc:
        raise LoginRequiredError(exc.message, code=exc.code) from exc
    viewer = Viewer(principal, claims, dash.signer.csrf(claims))
    request.state.dashboard_viewer = viewer
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
