"""Questions editors dismissed from the unanswered inbox."""

from __future__ import annotations

from redis.asyncio import Redis

DISMISSED = "inbox:dismissed"


class InboxStore:
    """Remembers dismissed wordings so they stay out of the inbox."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def dismiss(self, texts: list[str]) -> None:
        """Hides these wordings from the inbox."""
        if texts:
            await self._redis.sadd(DISMISSED, *texts)

    async def dismissed(self) -> set[str]:
        """Every dismissed wording."""
        return {text.decode() for text in await self._redis.smembers(DISMISSED)}
