"""Proactive notices editors publish ("Deliveries to Jeju are delayed 2 days by the storm").

Each notice has a version (a digest of what is stored): an edit or a withdrawal names the version
the editor read and is refused with ``NoticeChanged`` if someone changed the notice meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, replace

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

ALL = "notices"
SEEN = "notice:seen:{conversation}:{id}"
SEEN_SECONDS = 30 * 24 * 3600
# A transaction that lost a race with another notice change is tried again this often.
ATTEMPTS = 5


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

    @property
    def version(self) -> str:
        """A digest of everything stored for the notice; any change gives another."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


class NoticeChanged(Exception):
    """The notice changed (``current``) or was withdrawn (``None``) since the editor read it."""

    def __init__(self, current: Notice | None) -> None:
        super().__init__("the notice was changed since it was read" if current else "the notice was withdrawn")
        self.current = current


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

    async def get(self, notice_id: str) -> Notice | None:
        """The notice with this id, if it is still there."""
        raw = await self._redis.hget(ALL, notice_id)
        return Notice(**json.loads(raw)) if raw else None

    async def update(self, notice: Notice, version: str) -> Notice:
        """Replaces the notice with ``notice.id`` if it still has ``version``; raises ``NoticeChanged`` if not."""
        for _ in range(ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(ALL)
                    _check(await self._read(pipe, notice.id), version)
                    pipe.multi()
                    pipe.hset(ALL, notice.id, json.dumps(asdict(notice)))
                    await pipe.execute()
                    return notice
                except WatchError:
                    continue
        raise NoticeChanged(await self.get(notice.id))

    async def withdraw(self, notice_id: str, version: str | None = None) -> bool:
        """Removes a notice (only if it still has ``version``, when given); False if there was none.

        Raises:
            NoticeChanged: the notice was changed since ``version`` was read.
        """
        if version is None:
            return bool(await self._redis.hdel(ALL, notice_id))
        for _ in range(ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(ALL)
                    current = await self._read(pipe, notice_id)
                    if current is None:
                        return False
                    _check(current, version)
                    pipe.multi()
                    pipe.hdel(ALL, notice_id)
                    await pipe.execute()
                    return True
                except WatchError:
                    continue
        raise NoticeChanged(await self.get(notice_id))

    @staticmethod
    async def _read(pipe: Pipeline, notice_id: str) -> Notice | None:
        raw = await pipe.hget(ALL, notice_id)
        return Notice(**json.loads(raw)) if raw else None

    async def first_sight(self, conversation: str, notice_id: str) -> bool:
        """True the first time this conversation is shown the notice."""
        key = SEEN.format(conversation=conversation, id=notice_id)
        return bool(await self._redis.set(key, 1, nx=True, ex=SEEN_SECONDS))


def _check(current: Notice | None, version: str) -> None:
    if current is None or current.version != version:
        raise NoticeChanged(current)
