"""Follow-ups agents owe customers (a 😞, a low NPS, a reply to a check-in), and kudos for agents."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, replace

from redis.asyncio import Redis

RECORD = "followup:{id}"
OPEN = "followups:open"
KUDOS = "kudos:{agent}"
RETENTION_SECONDS = 400 * 24 * 3600
KUDOS_KEPT = 100


@dataclass(frozen=True)
class FollowUp:
    """Something to act on after a conversation, with what the customer said."""

    id: str
    conversation: str
    channel: str
    kind: str
    score: int
    created_at: float
    comment: str = ""
    agent: str = ""
    state: str = "open"
    note: str = ""
    done_by: str = ""


@dataclass(frozen=True)
class Kudos:
    """A happy customer's words about an agent."""

    conversation: str
    comment: str
    ts: float


class FollowUpStore:
    """Creates, lists and closes follow-ups; keeps agents' kudos."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def create(self, followup: FollowUp) -> FollowUp:
        """Stores a new open follow-up with a fresh id."""
        stored = replace(followup, id=secrets.token_hex(8))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(RECORD.format(id=stored.id), json.dumps(asdict(stored)), ex=RETENTION_SECONDS)
            pipe.zadd(OPEN, {stored.id: stored.created_at})
            await pipe.execute()
        return stored

    async def get(self, followup_id: str) -> FollowUp | None:
        """A follow-up by id."""
        raw = await self._redis.get(RECORD.format(id=followup_id))
        return FollowUp(**json.loads(raw)) if raw else None

    async def open(self) -> list[FollowUp]:
        """Open follow-ups, oldest first."""
        ids = [i.decode() for i in await self._redis.zrange(OPEN, 0, -1)]
        found = [await self.get(i) for i in ids]
        return [f for f in found if f is not None]

    async def done(self, followup_id: str, agent: str, note: str) -> FollowUp | None:
        """Closes an open follow-up with a note; None if it is unknown or closed."""
        current = await self.get(followup_id)
        if current is None or current.state != "open":
            return None
        closed = replace(current, state="done", note=note, done_by=agent)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(RECORD.format(id=followup_id), json.dumps(asdict(closed)), ex=RETENTION_SECONDS)
            pipe.zrem(OPEN, followup_id)
            await pipe.execute()
        return closed

    async def add_kudos(self, agent: str, kudos: Kudos) -> None:
        """Passes a customer's praise on to the agent."""
        key = KUDOS.format(agent=agent)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, json.dumps(asdict(kudos)))
            pipe.ltrim(key, 0, KUDOS_KEPT - 1)
            await pipe.execute()

    async def kudos(self, agent: str) -> list[Kudos]:
        """The agent's kudos, newest first."""
        return [Kudos(**json.loads(raw)) for raw in await self._redis.lrange(KUDOS.format(agent=agent), 0, -1)]
