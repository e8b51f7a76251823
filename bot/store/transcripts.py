"""Every customer, bot and agent message per conversation, with time and channel.

Customers' messages are redacted before storage. The bot's and agents' messages are
stored as sent: the store's published phone number and email must stay readable.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis

from bot.redaction import redact

KEY = "transcript:{conversation}"
RETENTION_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True)
class Entry:
    """One message of a conversation as stored."""

    role: str
    text: str
    channel: str
    ts: float = field(default_factory=time.time)
    buttons: list[dict[str, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


class TranscriptStore:
    """Appends to and reads the transcripts."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def append(self, conversation: str, entry: Entry) -> Entry:
        """Stores the entry (a customer's text redacted) and returns what was stored."""
        stored = Entry(
            role=entry.role,
            text=redact(entry.text) if entry.role == "customer" else entry.text,
            channel=entry.channel,
            ts=entry.ts,
            buttons=entry.buttons,
            meta=entry.meta,
        )
        key = KEY.format(conversation=conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(asdict(stored)))
            pipe.expire(key, RETENTION_SECONDS)
            await pipe.execute()
        return stored

    async def read(self, conversation: str, last: int = 100) -> list[Entry]:
        """The newest ``last`` entries, oldest first."""
        raw = await self._redis.lrange(KEY.format(conversation=conversation), -last, -1)
        return [Entry(**json.loads(item)) for item in raw]

    async def delete(self, conversation: str) -> None:
        """Erases the transcript (data deletion)."""
        await self._redis.delete(KEY.format(conversation=conversation))
