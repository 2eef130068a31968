"""Imports every model module so `Base.metadata` knows all tables (Alembic, tests)."""

from ringcast.auth import models as auth_models
from ringcast.db.base import Base
from ringcast.idempotency import models as idempotency_models

__all__ = ["Base", "auth_models", "idempotency_models"]
