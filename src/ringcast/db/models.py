"""Imports every model module so `Base.metadata` knows all tables (Alembic, tests)."""

from ringcast.audiences import models as audiences_models  # noqa: F401
from ringcast.audiofiles import models as audiofiles_models
from ringcast.auth import models as auth_models
from ringcast.calls import models as calls_models  # noqa: F401
from ringcast.contacts import models as contacts_models  # noqa: F401
from ringcast.db.base import Base
from ringcast.dictionaries import models as dictionaries_models
from ringcast.dids import models as dids_models  # noqa: F401
from ringcast.dnc import models as dnc_models  # noqa: F401
from ringcast.flows import models as flows_models
from ringcast.idempotency import models as idempotency_models
from ringcast.programs import models as programs_models  # noqa: F401
from ringcast.trunks import models as trunks_models  # noqa: F401
from ringcast.webhooks import models as webhooks_models  # noqa: F401

__all__ = [
    "Base",
    "audiofiles_models",
    "auth_models",
    "dictionaries_models",
    "flows_models",
    "idempotency_models",
]
