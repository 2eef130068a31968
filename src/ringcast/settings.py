"""Runtime settings, read from the environment (prefix ``RINGCAST_``).

Only the edges (API, CLI, dialer wiring) import this module; the engines get
plain config objects passed in.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RINGCAST_", extra="ignore")

    data_dir: Path = Path(".ringcast")
    database_url: SecretStr | None = None
    redis_url: SecretStr | None = None

    host: str = "127.0.0.1"
    port: int = 8080
    # the address our SIP and RTP sockets bind to (and advertise in SDP):
    # a routable address of this host when the trunk is not on loopback
    sip_local_host: str = "127.0.0.1"

    rate_limit_per_second: int = Field(default=10, ge=1)
    rate_limit_burst: int = Field(default=20, ge=1)

    idempotency_ttl_hours: int = 24
    auth_cache_seconds: float = 5.0
    max_upload_bytes: int = 50 * 1024 * 1024
    log_level: str = "INFO"

    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'ringcast.db').resolve()}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
