from __future__ import annotations

from ringcast.api.deps import PrincipalDep, SessionDep, StateDep
from ringcast.api.route import domain_router
from ringcast.auth import service
from ringcast.auth.schemas import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyList

router = domain_router("/api/auth/api-keys", "API keys")


@router.post("", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(
    body: ApiKeyCreate, principal: PrincipalDep, session: SessionDep
) -> ApiKeyCreated:
    principal.require_admin()
    key, secret = await service.create_key(session, principal.organization_id, body)
    return ApiKeyCreated.model_validate(
        {**ApiKey.model_validate(key).model_dump(), "secret": secret}
    )


@router.get("", response_model=ApiKeyList)
async def list_api_keys(principal: PrincipalDep, session: SessionDep) -> ApiKeyList:
    principal.require_admin()
    keys = await service.list_keys(session, principal.organization_id)
    return ApiKeyList(api_keys=[ApiKey.model_validate(k) for k in keys])


@router.delete("/{key_id}", response_model=ApiKey)
async def revoke_api_key(
    key_id: str, principal: PrincipalDep, session: SessionDep, state: StateDep
) -> ApiKey:
    principal.require_admin()
    state.auth_cache.invalidate_key(key_id)
    return ApiKey.model_validate(
        await service.revoke_key(session, principal.organization_id, key_id)
    )
