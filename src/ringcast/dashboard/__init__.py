"""The web dashboard: server-rendered pages under `/dashboard` for a campaign manager.

`session.py` signs the cookie and CSRF tokens; `viewer.py` turns the cookie
into the principal (re-checking the key); `route.py` makes failures HTML
pages; `views.py` builds what the pages show from the domain services;
`routes.py` holds the pages and forms; `render.py` the Jinja2 environment.
"""

from __future__ import annotations

from fastapi import FastAPI

from ringcast.api.state import AppState
from ringcast.auth.cache import AuthCache
from ringcast.dashboard.session import Signer
from ringcast.dashboard.throttle import SignInThrottle
from ringcast.dashboard.viewer import STATE_KEY, DashboardState


def install(app: FastAPI, state: AppState) -> None:
    """Mount the dashboard; its session secret comes from settings or is made now."""
    from ringcast.dashboard.routes import router

    secret = state.settings.dashboard_secret
    state.extras[STATE_KEY] = DashboardState(
        signer=Signer.from_setting(secret.get_secret_value() if secret else None),
        keys=AuthCache(state.settings.auth_cache_seconds),
        sign_ins=SignInThrottle(state.settings.dashboard_signin_failures_per_minute),
    )
    app.include_router(router)
