"""Who owns each conversation, the queue of chats waiting for a person, and handling times.

A conversation without a record belongs to the bot. A handoff record moves from
``queued`` to ``agent`` (claimed) and is deleted when the agent resolves the chat.
Frustrated customers are served first, then everyone by waiting time; claiming is
a Redis transaction, so two agents can never claim the same chat. The messages quoted
in the handoff's summary are redacted as the transcript is (``bot.redaction``); the
details the customer gave (order number, order email, new address) stay for the agent.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from bot.redaction import redact

QUEUE = "handoff:queue"
ASSIGNED = "handoff:assigned"
HANDLING_TIMES = "handoff:handling_seconds"
QUEUE_WAITS = "handoff:wait_seconds"
RECORD = "handoff:{conversation}"
# Subtracted from a priority chat's queue score: it sorts before anyone queued in the last 30 years.
PRIORITY_HEAD_START = 1e9
SAMPLES_KEPT = 500
# The lists of messages in a handoff's ``summary`` (actions/handoff.py, conversation_summary).
SUMMARY_MESSAGES = ("customer_said", "bot_said")


@dataclass(frozen=True)
class Handoff:
    """A conversation handed to people: why, since when, and who has it."""

    conversation: str
    channel: str
    reason: str
    priority: bool
    queued_at: float
    state: str = "queued"
    agent: str | None = None
    claimed_at: float | None = None
    callback_offered: bool = False
    told_position: int | None = None
    context: dict[str, Any] = field(default_factory=dict)

    def to_redis(self) -> dict[str, str]:
        """The record's fields as stored."""
        fields = {
            "conversation": self.conversation,
            "channel": self.channel,
            "reason": self.reason,
            "priority": "1" if self.priority else "0",
            "queued_at": repr(self.queued_at),
            "state": self.state,
            "callback_offered": "1" if self.callback_offered else "0",
            "context": json.dumps(self.context),
        }
        if self.agent:
            fields["agent"] = self.agent
        if self.claimed_at is not None:
            fields["claimed_at"] = repr(self.claimed_at)
        if self.told_position is not None:
            fields["told_position"] = str(self.told_position)
        return fields

    @classmethod
    def from_redis(cls, raw: dict[bytes, bytes]) -> Handoff:
        """A record read back from Redis."""
        fields = {key.decode(): value.decode() for key, value in raw.items()}
        return cls(
            conversation=fields["conversation"],
            channel=fields["channel"],
            reason=fields["reason"],
            priority=fields["priority"] == "1",
            queued_at=float(fields["queued_at"]),
            state=fields["state"],
            agent=fields.get("agent"),
            claimed_at=float(fields["claimed_at"]) if "claimed_at" in fields else None,
            callback_offered=fields.get("callback_offered") == "1",
            told_position=int(fields["told_position"]) if "told_position" in fields else None,
            context=json.loads(fields.get("context") or "{}"),
        )


def redacted_context(context: dict[str, Any]) -> dict[str, Any]:
    """The handoff's context with the messages quoted in its summary redacted; everything else as it is."""
    summary = context.get("summary")
    if not isinstance(summary, dict):
        return context
    said = {
        key: [redact(text) if isinstance(text, str) else text for text in summary[key]]
        for key in SUMMARY_MESSAGES
        if isinstance(summary.get(key), list)
    }
    return {**context, "summary": {**summary, **said}}


class HandoffStore:
    """The queue, the ownership records and the handling-time samples."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def get(self, conversation: str) -> Handoff | None:
        """The conversation's handoff, or None while the bot owns it."""
        raw = await self._redis.hgetall(RECORD.format(conversation=conversation))
        return Handoff.from_redis(raw) if raw else None

    async def enqueue(self, handoff: Handoff) -> bool:
        """Queues the conversation, its summary redacted; False (and no change) if already queued or with an agent."""
        handoff = replace(handoff, context=redacted_context(handoff.context))
        key = RECORD.format(conversation=handoff.conversation)
        score = handoff.queued_at - (PRIORITY_HEAD_START if handoff.priority else 0)

        async def absent(pipe: Pipeline) -> bool:
            return not await pipe.exists(key)

        def add(pipe: Pipeline) -> None:
            pipe.hset(key, mapping=handoff.to_redis())
            pipe.zadd(QUEUE, {handoff.conversation: score})

        return await self._update_if([key], absent, add)

    async def position(self, conversation: str) -> int | None:
        """1 for the next chat to be claimed; None if the chat is not queued."""
        rank = await self._redis.zrank(QUEUE, conversation)
        return None if rank is None else int(rank) + 1

    async def queued(self) -> list[Handoff]:
        """Every queued chat, next first."""
        conversations = await self._redis.zrange(QUEUE, 0, -1)
        return await self._records([c.decode() for c in conversations])

    async def assigned(self) -> list[Handoff]:
        """Every chat an agent is handling."""
        conversations = await self._redis.hkeys(ASSIGNED)
        return await self._records(sorted(c.decode() for c in conversations))

    async def claim(self, conversation: str, agent: str, now: float) -> Handoff | None:
        """Gives a queued chat to the agent; None if someone else got it first or it is not queued."""
        key = RECORD.format(conversation=conversation)
        queued_at: list[float] = []

        async def still_queued(pipe: Pipeline) -> bool:
            current = await pipe.hgetall(key)
            if not current or current.get(b"state") != b"queued":
                return False
            queued_at.append(float(current[b"queued_at"]))
            return True

        def assign(pipe: Pipeline) -> None:
            pipe.zrem(QUEUE, conversation)
            pipe.hset(key, mapping={"state": "agent", "agent": agent, "claimed_at": repr(now)})
            pipe.hset(ASSIGNED, conversation, agent)
            pipe.lpush(QUEUE_WAITS, repr(now - queued_at[0]))
            pipe.ltrim(QUEUE_WAITS, 0, SAMPLES_KEPT - 1)

        if not await self._update_if([key, QUEUE], still_queued, assign):
            return None
        return await self.get(conversation)

    async def assign(self, handoff: Handoff, agent: str, now: float) -> bool:
        """Gives a conversation nobody holds straight to the agent (no queue); False if it has a handoff already."""
        key = RECORD.format(conversation=handoff.conversation)
        record = replace(handoff, context=redacted_context(handoff.context), state="agent", agent=agent, claimed_at=now)

        async def absent(pipe: Pipeline) -> bool:
            return not await pipe.exists(key)

        def add(pipe: Pipeline) -> None:
            pipe.hset(key, mapping=record.to_redis())
            pipe.hset(ASSIGNED, handoff.conversation, agent)

        return await self._update_if([key], absent, add)

    async def transfer(self, conversation: str, from_agent: str, to_agent: str) -> bool:
        """Moves a claimed chat between agents; False unless ``from_agent`` has it."""
        key = RECORD.format(conversation=conversation)

        async def held_by_sender(pipe: Pipeline) -> bool:
            return bool(await pipe.hget(key, "agent") == from_agent.encode())

        def reassign(pipe: Pipeline) -> None:
            pipe.hset(key, "agent", to_agent)
            pipe.hset(ASSIGNED, conversation, to_agent)

        return await self._update_if([key], held_by_sender, reassign)

    async def mark_callback_offered(self, conversation: str) -> bool:
        """Records that a callback was offered; True only the first time (one offer per handoff)."""
        key = RECORD.format(conversation=conversation)

        async def not_offered(pipe: Pipeline) -> bool:
            return bool(await pipe.hget(key, "callback_offered") == b"0")

        return await self._update_if([key], not_offered, lambda pipe: pipe.hset(key, "callback_offered", "1"))

    async def tell_position(self, conversation: str, position: int) -> bool:
        """Records the place in the queue the customer was told; True only if it is news to them.

        Every gateway instance announces positions; only the one that records the change tells the customer.
        """
        key = RECORD.format(conversation=conversation)

        async def news_to_a_queued_customer(pipe: Pipeline) -> bool:
            state, told = await pipe.hmget(key, ["state", "told_position"])
            return bool(state == b"queued" and told != str(position).encode())

        def record(pipe: Pipeline) -> None:
            pipe.hset(key, "told_position", position)

        return await self._update_if([key], news_to_a_queued_customer, record)

    async def close(self, conversation: str, now: float) -> Handoff | None:
        """Ends the handoff (resolved, or left the queue) and gives the chat back to the bot."""
        handoff = await self.get(conversation)
        if handoff is None:
            return None
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(RECORD.format(conversation=conversation))
            pipe.zrem(QUEUE, conversation)
            pipe.hdel(ASSIGNED, conversation)
            if handoff.claimed_at is not None:
                pipe.lpush(HANDLING_TIMES, repr(now - handoff.claimed_at))
                pipe.ltrim(HANDLING_TIMES, 0, SAMPLES_KEPT - 1)
            await pipe.execute()
        return handoff

    async def handling_times(self, count: int) -> list[float]:
        """The most recent ``count`` handling times in seconds, newest first."""
        return [float(v) for v in await self._redis.lrange(HANDLING_TIMES, 0, count - 1)]

    async def queue_waits(self, count: int) -> list[float]:
        """The most recent ``count`` waits from queueing to claim, in seconds, newest first."""
        return [float(v) for v in await self._redis.lrange(QUEUE_WAITS, 0, count - 1)]

    async def _update_if(
        self, keys: list[str], condition: Callable[[Pipeline], Awaitable[bool]], changes: Callable[[Pipeline], Any]
    ) -> bool:
        """Applies ``changes`` in one transaction if ``condition`` holds and nobody touched ``keys`` meanwhile."""
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(*keys)
                if not await condition(pipe):
                    return False
                pipe.multi()
                changes(pipe)
                await pipe.execute()
            except WatchError:
                return False
        return True

    async def _records(self, conversations: list[str]) -> list[Handoff]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for conversation in conversations:
                pipe.hgetall(RECORD.format(conversation=conversation))
            raws = await pipe.execute()
        return [Handoff.from_redis(raw) for raw in raws if raw]
