"""What the app holds for its lifetime: settings, engine, sessions, limiter."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ringcast.api.ratelimit import RateLimiter
from ringcast.audiofiles.library import ClipLibrary
from ringcast.auth.cache import AuthCache
from ringcast.flows.compiled_versions import CompiledVersions
from ringcast.settings import Settings
from ringcast.storage.base import Storage


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    limiter: RateLimiter
    storage: Storage
    clips: ClipLibrary
    auth_cache: AuthCache = field(default_factory=AuthCache)
    compiled_flows: CompiledVersions = field(default_factory=CompiledVersions)
    extras: dict[str, object] = field(default_factory=dict)
