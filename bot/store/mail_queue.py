"""Mail to customers: stored before any send is tried, settled once sent or given up.

Any gateway instance may send (``bot/mail/sender.py``). Keys:

- ``mail:<id>``: the mail and what became of it (JSON);
- ``mail:due``: id -> when to try it next, for queued mail only. A sender claims a mail by
  moving its time forward by a lease (one Lua script, so two instances never take the same
  mail); a sender that stops mid-send leaves it to be claimed again when the lease ends;
- ``mail:conversation:<conversation>``: the conversation's mail ids, oldest first (the console
  shows them; erasing the customer's data drops them);
- ``mail:failed``: id -> when it was given up, so agents see the mail that never went.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import asdict, dataclass, replace

from redis.asyncio import Redis

RECORD = "mail:{id}"
DUE = "mail:due"
CONVERSATION = "mail:conversation:{conversation}"
FAILED = "mail:failed"
# Long after the last try (a day at most), short enough not to keep customers' mail for long.
RETENTION_SECONDS = 30 * 24 * 3600
STATES = ("queued", "sent", "failed")

# Takes the mail whose time has come and leases it to the caller.
CLAIM = """
local ready = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ready) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ready
"""


@dataclass(frozen=True)
class Mail:
    """One mail to a customer and its delivery so far.

    Attributes:
        kind: What it is: ``callback_booked``, ``callback_reply`` or ``check_in``.
        callback: The callback it belongs to, if any.
        agent: The console user who wrote it, for a reply.
        attempts: Sends tried so far (one that stopped half-way is not counted).
        next_attempt_at: When a queued mail is tried next.
        last_error: Why the last try failed: the mailer's reason, which never holds a secret.
    """

    id: str
    to: str
    subject: str
    body: str
    language: str
    kind: str
    conversation: str
    queued_at: float
    callback: str | None = None
    agent: str | None = None
    state: str = "queued"
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str | None = None
    sent_at: float | None = None
    failed_at: float | None = None

    def encode(self) -> str:
        """The mail as stored."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def decode(cls, raw: bytes | str) -> Mail:
        """A stored mail."""
        return cls(**json.loads(raw))


class MailQueue:
    """Queues, leases and settles mail to customers."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._claim = redis.register_script(CLAIM)
        self._queued = asyncio.Event()

    def queued_signal(self) -> asyncio.Event:
        """Set when this process queues mail, so its sender need not wait for the next poll."""
        return self._queued

    async def enqueue(self, mail: Mail) -> Mail:
        """Stores a new mail with a fresh id, due at once."""
        stored = replace(mail, id=secrets.token_hex(8), state="queued", next_attempt_at=mail.queued_at)
        index = CONVERSATION.format(conversation=stored.conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(RECORD.format(id=stored.id), stored.encode(), ex=RETENTION_SECONDS)
            pipe.zadd(DUE, {stored.id: stored.next_attempt_at})
            pipe.rpush(index, stored.id)
            pipe.expire(index, RETENTION_SECONDS)
            await pipe.execute()
        self._queued.set()
        return stored

    async def claim(self, now: float, lease_seconds: float, limit: int) -> list[Mail]:
        """Leases up to ``limit`` mails that are due; mail erased meanwhile is dropped from the queue."""
        ids = [i.decode() for i in await self._claim(keys=[DUE], args=[now, now + lease_seconds, limit])]
        if not ids:
            return []
        records = await self._redis.mget([RECORD.format(id=i) for i in ids])
        gone = [i for i, raw in zip(ids, records, strict=True) if raw is None]
        if gone:
            await self._redis.zrem(DUE, *gone)
        return [Mail.decode(raw) for raw in records if raw is not None]

    async def sent(self, mail: Mail, now: float) -> Mail:
        """Records that the mail server accepted the mail."""
        done = replace(mail, state="sent", attempts=mail.attempts + 1, sent_at=now, last_error=None)
        await self._settle(done)
        return done

    async def retry(self, mail: Mail, reason: str, at: float) -> Mail:
        """Counts a failed try and leaves the mail until ``at``."""
        again = replace(mail, attempts=mail.attempts + 1, last_error=reason, next_attempt_at=at)
        await self._settle(again)
        return again

    async def give_up(self, mail: Mail, reason: str, now: float) -> Mail:
        """Counts a failed try and gives the mail up, for agents to see."""
        failed = replace(mail, state="failed", attempts=mail.attempts + 1, last_error=reason, failed_at=now)
        await self._settle(failed)
        return failed

    async def get(self, mail_id: str) -> Mail | None:
        """A mail by id."""
        raw = await self._redis.get(RECORD.format(id=mail_id))
        return Mail.decode(raw) if raw else None

    async def of_conversation(self, conversation: str) -> list[Mail]:
        """The conversation's mail, oldest first."""
        ids = [i.decode() for i in await self._redis.lrange(CONVERSATION.format(conversation=conversation), 0, -1)]
        return await self._records(ids)

    async def of_callback(self, conversation: str, callback: str) -> list[Mail]:
        """The mail of one callback, oldest first."""
        return [mail for mail in await self.of_conversation(conversation) if mail.callback == callback]

    async def failed_since(self, since: float, limit: int = 50) -> list[Mail]:
        """Mail given up since ``since``, latest first."""
        ids = [i.decode() for i in await self._redis.zrevrangebyscore(FAILED, "+inf", since, start=0, num=limit)]
        return await self._records(ids)

    async def forget(self, conversation: str) -> None:
        """Drops the conversation's mail, queued or not (the customer deleted their data)."""
        index = CONVERSATION.format(conversation=conversation)
        ids = [i.decode() for i in await self._redis.lrange(index, 0, -1)]
        async with self._redis.pipeline(transaction=True) as pipe:
            if ids:
                pipe.delete(*[RECORD.format(id=i) for i in ids])
                pipe.zrem(DUE, *ids)
                pipe.zrem(FAILED, *ids)
            pipe.delete(index)
            await pipe.execute()

    async def _settle(self, mail: Mail) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            # xx: mail erased while it was being sent stays erased.
            pipe.set(RECORD.format(id=mail.id), mail.encode(), xx=True, keepttl=True)
            if mail.state == "queued":
                pipe.zadd(DUE, {mail.id: mail.next_attempt_at}, xx=True)
            else:
                pipe.zrem(DUE, mail.id)
            if mail.state == "failed":
                pipe.zadd(FAILED, {mail.id: mail.failed_at or 0.0})
                pipe.zremrangebyscore(FAILED, "-inf", (mail.failed_at or 0.0) - RETENTION_SECONDS)
            await pipe.execute()

    async def _records(self, ids: list[str]) -> list[Mail]:
        if not ids:
            return []
        records = await self._redis.mget([RECORD.format(id=i) for i in ids])
        return [Mail.decode(raw) for raw in records if raw is not None]
