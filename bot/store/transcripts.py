"""Every customer, bot and agent message per conversation, with time and channel.

Every message is redacted before storage, whoever wrote it (customer, bot, agent or a
gateway notice): card numbers, emails, phone numbers and Korean identifiers become [card],
[email], [phone], [rrn], [business_no] and [account], in the text and in button titles.
The store's own public phone numbers and emails stay readable
(``data/support/public_contacts.yml``, see ``bot.redaction``).
Button payloads are kept as sent: the web channel checks a pressed button against them.
The phone number or email a customer leaves for a callback stays in full in the
callback record (``bot.store.callbacks``), which only agents see.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis

from bot.redaction import redact
from support.plain_text import plain_text

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
        """Stores the entry redacted, whatever its role, and returns what was stored."""
        stored = Entry(
            role=entry.role,
            text=redact(plain_text(entry.text)),
            channel=entry.channel,
            ts=entry.ts,
            buttons=[_redacted_title(button) for button in entry.buttons],
            meta=entry.meta,
        )
        key = KEY.format(conversation=conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(asdict(stored)))
            pipe.expire(key, RETENTION_SECONDS)
            await pipe.execute()
        return stored

    async def read(self, conversation: str, last: int = 100) -> list[Entry]:
        """The newest ``last`` entries, oldest first, each message once.

        An append retried after Redis restarted may have been stored twice (its reply was lost,
        not the write); the copy has the same message id and is skipped.
        """
        raw = await self._redis.lrange(KEY.format(conversation=conversation), -last, -1)
        return _once_each([Entry(**json.loads(item)) for item in raw])

    async def delete(self, conversation: str) -> None:
        """Erases the transcript (data deletion)."""
        await self._redis.delete(KEY.format(conversation=conversation))


def _once_each(entries: list[Entry]) -> list[Entry]:
    seen: set[str] = set()
    unique = []
    for entry in entries:
        message_id = entry.meta.get("message_id")
        if message_id in seen:
            continue
        if message_id:
            seen.add(message_id)
        unique.append(entry)
    return unique


def _redacted_title(button: dict[str, str]) -> dict[str, str]:
    """The button with its title redacted; the payload stays, the web channel matches presses against it."""
    return {**button, "title": redact(button["title"])} if "title" in button else button
