"""Follow-ups agents owe customers (a 😞, a low NPS, a reply to a check-in), and kudos for agents.

An open follow-up may be taken by one agent (its owner); taking and closing are Redis
transactions, so two agents can never own the same follow-up. What happened to it
(taken, done with the agent's note) is kept in its history; done ones stay listed.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

RECORD = "followup:{id}"
OPEN = "followups:open"
DONE = "followups:done"
# The newest follow-up filed for a conversation, so its console page can show it.
BY_CONVERSATION = "followup:conversation:{conversation}"
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
    language: str = ""
    # When the customer was promised an answer (Unix time).
    due: float = 0.0
    owner: str = ""
    # What happened, oldest first: {"event": "taken" | "done", "agent", "at", "note"?}.
    history: list[dict[str, Any]] = field(default_factory=list)


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
            pipe.set(BY_CONVERSATION.format(conversation=stored.conversation), stored.id, ex=RETENTION_SECONDS)
            await pipe.execute()
        return stored

    async def get(self, followup_id: str) -> FollowUp | None:
        """A follow-up by id."""
        raw = await self._redis.get(RECORD.format(id=followup_id))
        return FollowUp(**json.loads(raw)) if raw else None

    async def of_conversation(self, conversation: str) -> FollowUp | None:
        """The newest follow-up filed for a conversation."""
        followup_id = await self._redis.get(BY_CONVERSATION.format(conversation=conversation))
        return await self.get(followup_id.decode()) if followup_id else None

    async def open(self) -> list[FollowUp]:
        """Open follow-ups, oldest first."""
        return await self._listed(OPEN, 0, -1)

    async def done_list(self, count: int) -> list[FollowUp]:
        """The ``count`` follow-ups done most recently, newest first."""
        return list(reversed(await self._listed(DONE, -count, -1)))

    async def take(self, followup_id: str, agent: str, now: float) -> FollowUp | None:
        """Makes the agent the owner of an open follow-up nobody owns; None if it is done or someone else's."""

        def taken(current: FollowUp) -> FollowUp | None:
            if current.state != "open" or current.owner not in ("", agent):
                return None
            if current.owner == agent:
                return current
            event = {"event": "taken", "agent": agent, "at": now}
            return replace(current, owner=agent, history=[*current.history, event])

        return await self._change(followup_id, taken)

    async def release(self, followup_id: str, agent: str, now: float) -> FollowUp | None:
        """Gives up the agent's ownership (the conversation was someone else's); None unless the agent owned it."""

        def released(current: FollowUp) -> FollowUp | None:
            if current.state != "open" or current.owner != agent:
                return None
            event = {"event": "released", "agent": agent, "at": now}
            return replace(current, owner="", history=[*current.history, event])

        return await self._change(followup_id, released)

    async def done(self, followup_id: str, agent: str, note: str, now: float) -> FollowUp | None:
        """Closes an open follow-up with a note; None if it is unknown, closed or another agent's."""

        def closed(current: FollowUp) -> FollowUp | None:
            if current.state != "open" or current.owner not in ("", agent):
                return None
            event = {"event": "done", "agent": agent, "at": now, "note": note}
            return replace(current, state="done", note=note, done_by=agent, history=[*current.history, event])

        def listed(pipe: Any) -> None:
            pipe.zrem(OPEN, followup_id)
            pipe.zadd(DONE, {followup_id: now})

        return await self._change(followup_id, closed, listed)

    async def _change(
        self,
        followup_id: str,
        change: Callable[[FollowUp], FollowUp | None],
        also: Callable[[Any], None] | None = None,
    ) -> FollowUp | None:
        """Applies ``change`` in one transaction, unless it refuses (None) or the record changed meanwhile."""
        key = RECORD.format(id=followup_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                raw = await pipe.get(key)
                changed = change(FollowUp(**json.loads(raw))) if raw else None
                if changed is None:
                    return None
                pipe.multi()
                pipe.set(key, json.dumps(asdict(changed)), ex=RETENTION_SECONDS)
                if also is not None:
                    also(pipe)
                await pipe.execute()
            except WatchError:
                return None
        return changed

    async def _listed(self, index: str, start: int, end: int) -> list[FollowUp]:
        ids = [i.decode() for i in await self._redis.zrange(index, start, end)]
        found = [await self.get(i) for i in ids]
        return [f for f in found if f is not None]

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

    async def forget(self, conversation: str) -> None:
        """Erases the conversation's follow-ups and the kudos quoting it (the customer deleted their data).

        Every listed follow-up is read, not only the newest one the conversation points to: erasure
        is rare, and a conversation may have had several.
        """
        for index in (OPEN, DONE):
            for followup in await self._listed(index, 0, -1):
                if followup.conversation == conversation:
                    await self._redis.zrem(index, followup.id)
                    await self._redis.delete(RECORD.format(id=followup.id))
        await self._redis.delete(BY_CONVERSATION.format(conversation=conversation))
        async for key in self._redis.scan_iter(match=KUDOS.format(agent="*")):
            for raw in await self._redis.lrange(key, 0, -1):
                if json.loads(raw)["conversation"] == conversation:
                    await self._redis.lrem(key, 0, raw)
