"""Who is calling: the authenticated key, its organization and role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ringcast.auth.schemas import Role
from ringcast.errors import ForbiddenError


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    organization_id: str
    role: Role
    rate_limit_per_second: int | None = None
    rate_limit_burst: int | None = None
    expires_at: datetime | None = None

    @property
    def can_write(self) -> bool:
        return self.role in (Role.admin, Role.manager)

    def require_admin(self) -> None:
        if self.role is not Role.admin:
            raise ForbiddenError("This action needs an admin key", code="ROLE_FORBIDDEN")

    def require_write(self) -> None:
        if not self.can_write:
            raise ForbiddenError("This key is read-only (agent role)", code="ROLE_FORBIDDEN")
