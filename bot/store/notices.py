"""Proactive notices editors publish ("Deliveries to Jeju are delayed 2 days by the storm")."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, replace

from redis.asyncio import Redis

ALL = "notices"
SEEN = "notice:seen:{conversation}:{id}"
SEEN_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class Notice:
    """A message shown to customers between two times, for some topics."""

    id: str
    text: str
    language: str
    topics: list[str]
    starts: float
    ends: float
    author: str

    def active(self, now: float) -> bool:
        """True between its start and end."""
        return self.starts <= now < self.ends


class NoticeStore:
    """Publishes, lists, withdraws notices, and remembers who has seen which."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def publish(self, notice: Notice) -> Notice:
        """Stores a new notice with a fresh id."""
        stored = replace(notice, id=secrets.token_hex(6))
        await self._redis.hset(ALL, stored.id, json.dumps(asdict(stored)))
        return stored

    async def all(self) -> list[Notice]:
        """Every notice, soonest start first."""
        raw = await self._redis.hvals(ALL)
        return sorted((Notice(**json.loads(item)) for item in raw), key=lambda n: (n.starts, n.id))

    async def withdraw(self, notice_id: str) -> bool:
        """Removes a notice; False if there was none."""
        return bool(await self._redis.hdel(ALL, notice_id))

    async def first_sight(self, conversation: str, notice_id: str) -> bool:
        """True the first time this conversation is shown the notice."""
        key = SEEN.format(conversation=conversation, id=notice_id)
        return bool(await self._redis.set(key, 1, nx=True, ex=SEEN_SECONDS))
