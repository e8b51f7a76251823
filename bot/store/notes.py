"""Internal notes agents leave on a conversation; customers never see them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

KEY = "notes:{conversation}"
RETENTION_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True)
class Note:
    """One note."""

    agent: str
    text: str
    ts: float


class NoteStore:
    """Appends and reads notes."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def add(self, conversation: str, note: Note) -> None:
        """Stores a note."""
        key = KEY.format(conversation=conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(asdict(note)))
            pipe.expire(key, RETENTION_SECONDS)
            await pipe.execute()

    async def read(self, conversation: str) -> list[Note]:
        """All notes, oldest first."""
        return [
            Note(**json.loads(raw)) for raw in await self._redis.lrange(KEY.format(conversation=conversation), 0, -1)
        ]

    async def delete(self, conversation: str) -> None:
        """Erases the notes (data deletion)."""
        await self._redis.delete(KEY.format(conversation=conversation))
