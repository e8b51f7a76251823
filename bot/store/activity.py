"""Conversation sessions: when each started and went quiet, and whether the bot answered or a person was needed."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

SESSION = "activity:{conversation}"
LAST_SEEN = "activity:last"
SESSION_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Session:
    """One stretch of a conversation, ended by goodbye or by going quiet."""

    conversation: str
    channel: str
    language: str
    started: float
    last: float
    answered: bool
    handoff: bool


class ActivityStore:
    """Tracks the open session of every conversation."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def touch(self, conversation: str, channel: str, language: str, now: float) -> bool:
        """Something happened in the conversation now; True if that started a new session."""
        key = SESSION.format(conversation=conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, "started", repr(now))
            pipe.hset(key, mapping={"last": repr(now), "channel": channel, "language": language})
            pipe.expire(key, SESSION_SECONDS)
            pipe.zadd(LAST_SEEN, {conversation: now})
            started, *_ = await pipe.execute()
        return bool(started)

    async def mark(self, conversation: str, flag: str) -> None:
        """Notes that the bot answered (``answered``) or that a person was asked for (``handoff``)."""
        await self._redis.hset(SESSION.format(conversation=conversation), flag, "1")

    async def open_count(self) -> int:
        """How many sessions are open now (each ends after 30 quiet minutes, bot/analytics.py)."""
        return int(await self._redis.zcard(LAST_SEEN))

    async def quiet_since(self, cutoff: float) -> list[Session]:
        """Sessions with nothing new since ``cutoff``, each ended and returned by exactly one caller."""
        ended = []
        for raw in await self._redis.zrangebyscore(LAST_SEEN, 0, cutoff):
            session = await self.end(raw.decode())
            if session is not None:
                ended.append(session)
        return ended

    async def end(self, conversation: str) -> Session | None:
        """Ends the conversation's open session and returns it (None if none was open)."""
        if not await self._redis.zrem(LAST_SEEN, conversation):
            return None
        key = SESSION.format(conversation=conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(key)
            pipe.delete(key)
            raw, _ = await pipe.execute()
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return Session(
            conversation=conversation,
            channel=fields.get("channel", "web"),
            language=fields.get("language", "en"),
            started=float(fields.get("started", fields.get("last", "0"))),
            last=float(fields.get("last", "0")),
            answered=fields.get("answered") == "1",
            handoff=fields.get("handoff") == "1",
        )
