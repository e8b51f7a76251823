"""The durable outbox: messages waiting to reach a customer's channel, in order per conversation.

Every message for a channel that needs an API call (Telegram today) is queued here
before anything is sent, and removed only when the channel confirmed it. Any gateway
instance that has the channel sends; the others only queue.

Keys, per channel:
- ``delivery:<channel>:queue:<conversation>``: a list of items, oldest first;
- ``delivery:<channel>:due``: conversation -> when its head may be sent next. A sender
  claims a conversation by moving its time forward by a lease; a sender that dies
  mid-send leaves it to be claimed again once the lease ends.

Per conversation, whatever the channel: ``delivery:undelivered:<conversation>``
(message id -> why it never arrived) and ``delivery:unreachable:<conversation>``
(the customer blocked the bot).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from redis.asyncio import Redis

QUEUE = "delivery:{channel}:queue:{conversation}"
DUE = "delivery:{channel}:due"
UNDELIVERED = "delivery:undelivered:{conversation}"
UNREACHABLE = "delivery:unreachable:{conversation}"
SLOT = "delivery:{channel}:slot:{scope}:{window}"
RECORD_SECONDS = 90 * 24 * 3600
STATS_LIMIT = 1000

# Takes the conversations whose head is due, and leases them to the caller.
CLAIM = """
local ready = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, conversation in ipairs(ready) do redis.call('ZADD', KEYS[1], ARGV[2], conversation) end
return ready
"""
# Settles the head if it is still the item tried: removed (sent or given up), or replaced by ARGV[4]
# (its attempt counted). Then keeps the conversation until ARGV[3] if more waits, or lets it go.
SETTLE = """
local head = redis.call('LINDEX', KEYS[1], 0)
if head and cjson.decode(head)['id'] == ARGV[1] then
  if ARGV[4] == '' then redis.call('LPOP', KEYS[1]) else redis.call('LSET', KEYS[1], 0, ARGV[4]) end
end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[2]) return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1
"""
# Queues a message; the caller also takes the lease if nobody holds one and no back-off is pending.
ENQUEUE_LEASED = """
redis.call('RPUSH', KEYS[1], ARGV[1])
if redis.call('ZSCORE', KEYS[2], ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1
"""
# Counts one send in the chat's window and in the channel's; returns the ms to wait if either is full.
TAKE_SLOTS = """
for i = 1, 2 do
  local limit, window_ms = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('PEXPIRE', KEYS[i], window_ms * 2) end
  if count > limit then return i end
end
return 0
"""


@dataclass(frozen=True)
class Item:
    """One queued message and what happened to it so far."""

    id: str
    conversation: str
    message: dict[str, Any]
    queued_at: float
    attempts: int = 0

    def encode(self) -> str:
        """The item as stored."""
        return json.dumps(asdict(self))

    @classmethod
    def decode(cls, raw: bytes | str) -> Item:
        """The stored item."""
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class Backlog:
    """How much waits in one channel's outbox."""

    conversations: int
    messages: int
    oldest_queued_at: float | None


class DeliveryQueue:
    """Queues, leases and settles messages to customers' channels."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._claim = redis.register_script(CLAIM)
        self._settle = redis.register_script(SETTLE)
        self._take_slots = redis.register_script(TAKE_SLOTS)
        self._enqueue_leased = redis.register_script(ENQUEUE_LEASED)
        self._queued: dict[str, asyncio.Event] = {}

    def queued_signal(self, channel: str) -> asyncio.Event:
        """Set when this process queues for the channel, so its sender need not wait for the next poll."""
        return self._queued.setdefault(channel, asyncio.Event())

    async def enqueue(self, channel: str, conversation: str, message: dict[str, Any], now: float) -> Item:
        """Queues a message behind the conversation's earlier ones; a conversation in back-off stays in it."""
        item = Item(uuid.uuid4().hex, conversation, message, now)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(QUEUE.format(channel=channel, conversation=conversation), item.encode())
            pipe.zadd(DUE.format(channel=channel), {conversation: now}, nx=True)
            await pipe.execute()
        self.queued_signal(channel).set()
        return item

    async def enqueue_leased(
        self, channel: str, conversation: str, message: dict[str, Any], now: float, lease_seconds: float
    ) -> bool:
        """Queues a message and leases the conversation to the caller, who then sends at once.

        False if another sender holds the conversation (it sends this message after its
        earlier ones) or it waits out a back-off.
        """
        item = Item(uuid.uuid4().hex, conversation, message, now)
        keys = [QUEUE.format(channel=channel, conversation=conversation), DUE.format(channel=channel)]
        return bool(await self._enqueue_leased(keys=keys, args=[item.encode(), conversation, now + lease_seconds]))

    async def claim(self, channel: str, now: float, lease_seconds: float, limit: int) -> list[str]:
        """Leases up to ``limit`` conversations whose next message is due."""
        claimed = await self._claim(keys=[DUE.format(channel=channel)], args=[now, now + lease_seconds, limit])
        return [c.decode() if isinstance(c, bytes) else str(c) for c in claimed]

    async def done(self, channel: str, item: Item, lease_until: float) -> bool:
        """Removes a sent (or given up) message; True while the conversation has more, still leased."""
        return await self._settle_head(channel, item.conversation, item.id, "", lease_until)

    async def settle(self, channel: str, conversation: str, lease_until: float) -> bool:
        """Ends the lease of a conversation with nothing left to send; True if it has more after all."""
        return await self._settle_head(channel, conversation, "", "", lease_until)

    async def retry_at(self, channel: str, item: Item, when: float) -> None:
        """Counts a failed attempt and leaves the conversation's queue alone until ``when``."""
        counted = replace(item, attempts=item.attempts + 1)
        await self._settle_head(channel, item.conversation, item.id, counted.encode(), when)

    async def _settle_head(self, channel: str, conversation: str, item_id: str, updated: str, until: float) -> bool:
        keys = [QUEUE.format(channel=channel, conversation=conversation), DUE.format(channel=channel)]
        return bool(await self._settle(keys=keys, args=[item_id, conversation, until, updated]))

    async def postpone(self, channel: str, conversation: str, when: float) -> None:
        """Leaves the conversation's queue alone until ``when``, without counting an attempt."""
        await self._redis.zadd(DUE.format(channel=channel), {conversation: when}, xx=True)

    async def take_slots(
        self, channel: str, conversation: str, pacing: Sequence[tuple[int, float]], now: float
    ) -> float:
        """Counts a send against the chat's and the channel's limits (count, window seconds) in that order.

        Returns 0 if it may go now, else the seconds until the full window ends.
        """
        keys, args = [], []
        for scope, (limit, window) in zip((conversation, "*"), pacing, strict=True):
            keys.append(SLOT.format(channel=channel, scope=scope, window=int(now // window)))
            args += [limit, int(window * 1000)]
        full = int(await self._take_slots(keys=keys, args=args))
        if not full:
            return 0.0
        window = pacing[full - 1][1]
        return window - now % window

    async def next_for(self, channel: str, conversation: str) -> tuple[Item | None, bool]:
        """The conversation's oldest waiting message, and whether the customer is reachable."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.lindex(QUEUE.format(channel=channel, conversation=conversation), 0)
            pipe.exists(UNREACHABLE.format(conversation=conversation))
            raw, unreachable = await pipe.execute()
        return (Item.decode(raw) if raw else None), not unreachable

    async def mark_undelivered(self, item: Item, reason: str, now: float) -> None:
        """Records that a message never reached the customer, so agents see it."""
        key = UNDELIVERED.format(conversation=item.conversation)
        record = {"reason": reason, "at": now, "text": item.message.get("text", "")}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, str(item.message.get("id") or item.id), json.dumps(record))
            pipe.expire(key, RECORD_SECONDS)
            await pipe.execute()

    async def undelivered(self, conversation: str) -> dict[str, dict[str, Any]]:
        """Message id -> why it never arrived, for one conversation."""
        raw = await self._redis.hgetall(UNDELIVERED.format(conversation=conversation))
        return {key.decode(): json.loads(value) for key, value in raw.items()}

    async def mark_unreachable(self, conversation: str, reason: str, now: float) -> None:
        """The customer can't be written to (they blocked the bot) until they write again."""
        key = UNREACHABLE.format(conversation=conversation)
        await self._redis.set(key, json.dumps({"reason": reason, "since": now}), ex=RECORD_SECONDS)

    async def unreachable(self, conversation: str) -> dict[str, Any] | None:
        """Why the customer can't be written to, if they can't."""
        raw = await self._redis.get(UNREACHABLE.format(conversation=conversation))
        return json.loads(raw) if raw else None

    async def reachable_again(self, conversation: str) -> None:
        """The customer wrote: whatever blocked them is over."""
        await self._redis.delete(UNREACHABLE.format(conversation=conversation))

    async def forget(self, conversation: str, channels: Iterable[str]) -> None:
        """Drops what waits for the conversation and its delivery records (the customer deleted their data)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for channel in channels:
                pipe.delete(QUEUE.format(channel=channel, conversation=conversation))
                pipe.zrem(DUE.format(channel=channel), conversation)
            pipe.delete(UNDELIVERED.format(conversation=conversation), UNREACHABLE.format(conversation=conversation))
            await pipe.execute()

    async def backlog(self, channel: str) -> Backlog:
        """How many conversations and messages wait, and since when the oldest does."""
        conversations = await self._redis.zrange(DUE.format(channel=channel), 0, STATS_LIMIT - 1)
        async with self._redis.pipeline(transaction=False) as pipe:
            for raw in conversations:
                key = QUEUE.format(channel=channel, conversation=raw.decode())
                pipe.llen(key)
                pipe.lindex(key, 0)
            replies = await pipe.execute()
        lengths, heads = replies[0::2], [Item.decode(h) for h in replies[1::2] if h]
        oldest = min((h.queued_at for h in heads), default=None)
        return Backlog(len(conversations), sum(int(n) for n in lengths), oldest)
