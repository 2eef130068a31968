"""Which flows use a resource: a delete of an audio file or dictionary in use is a 409."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.errors import ConflictError
from ringcast.flows.repository import FlowRepository


async def ensure_unused(
    session: AsyncSession,
    organization_id: str,
    kind: Literal["audio", "dictionary"],
    resource_id: str,
) -> None:
    """A 409 (`AUDIO_IN_USE` / `DICTIONARY_IN_USE`) naming the flows that use it."""
    users = await FlowRepository(session).referencing(organization_id, kind, resource_id)
    if users:
        label = "Audio file" if kind == "audio" else "Dictionary"
        raise ConflictError(
            f"{label} is used by flow(s): {', '.join(users)}",
            code=f"{kind.upper()}_IN_USE",
            extra={"flowIds": users},
        )
