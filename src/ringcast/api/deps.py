"""FastAPI dependencies: the request's session, principal and app state."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.api.state import AppState
from ringcast.auth.principal import Principal
from ringcast.errors import UnauthorizedError

# Declared for the OpenAPI document; the gate middleware does the checking.
_api_key_scheme = APIKeyHeader(name="x-api-key", auto_error=False)


def state_of(request: Request) -> AppState:
    return cast(AppState, request.app.state.ringcast)


# The dependencies are coroutines: FastAPI runs a plain `def` dependency in a worker
# thread, a hop per dependency per request for what is an attribute read.
async def get_state(request: Request) -> AppState:
    return state_of(request)


async def get_session(request: Request) -> AsyncSession:
    return cast(AsyncSession, request.state.session)


async def get_principal(
    request: Request, _key: Annotated[str | None, Depends(_api_key_scheme)] = None
) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:  # only reachable if the gate was bypassed
        raise UnauthorizedError("Missing API key", code="API_KEY_MISSING")
    return cast(Principal, principal)


async def get_writer(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    principal.require_write()
    return principal


StateDep = Annotated[AppState, Depends(get_state)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
WriterDep = Annotated[Principal, Depends(get_writer)]
