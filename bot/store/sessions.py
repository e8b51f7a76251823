"""Console login sessions: a random id in a signed cookie, the session itself in Redis.

Keeping sessions server-side means logout and role changes take effect at once,
on every gateway instance. Each session carries its own CSRF token.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

KEY = "console:session:{id}"
LIFETIME_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    """A logged-in console user."""

    id: str
    user: str
    role: str
    display_name: str
    csrf: str


class SessionStore:
    """Opens, reads and closes console sessions."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def open(self, user: str, role: str, display_name: str) -> Session:
        """A new session with fresh id and CSRF token."""
        session = Session(secrets.token_urlsafe(24), user, role, display_name, secrets.token_urlsafe(24))
        await self._redis.set(KEY.format(id=session.id), json.dumps(asdict(session)), ex=LIFETIME_SECONDS)
        return session

    async def get(self, session_id: str) -> Session | None:
        """The session, while it lasts."""
        raw = await self._redis.get(KEY.format(id=session_id))
        return Session(**json.loads(raw)) if raw else None

    async def close(self, session_id: str) -> None:
        """Logs out."""
        await self._redis.delete(KEY.format(id=session_id))
