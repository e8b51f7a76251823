"""Survey state per conversation: which rating is asked, what was answered, and who was asked already."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from redis.asyncio import Redis

STATE = "survey:{conversation}"
ASKED = "survey:asked:{conversation}"
# The subject is the proven customer ("customer:<id>") or, for anyone else, the conversation.
NPS_ASKED = "nps:asked:{subject}"
IDLE = "survey:idle"
IDLE_CHANNELS = "survey:idle_channel"
CHECK_INS = "checkins"
CHECK_IN = "checkin:{conversation}"
CHECK_IN_SENT = "checkin:sent:{conversation}"
STATE_SECONDS = 24 * 3600
ASKED_SECONDS = 30 * 24 * 3600
CHECK_IN_REPLY_SECONDS = 3 * 24 * 3600


@dataclass(frozen=True)
class Survey:
    """An end-of-chat rating in progress."""

    id: str
    channel: str
    language: str
    parts: list[str]
    stage: str = "rating"
    scores: dict[str, int] = field(default_factory=dict)
    agent: str = ""
    agent_name: str = ""
    asked_at: float = 0.0

    @property
    def next_part(self) -> str | None:
        """The part (``agent`` or ``bot``) still to be rated."""
        pending = [part for part in self.parts if part not in self.scores]
        return pending[0] if pending else None


class SurveyStore:
    """Survey state, the once-only flags, the inactivity timers and the check-in schedule."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def start(self, conversation: str, survey: Survey) -> Survey | None:
        """Starts a survey unless this conversation was asked before (it is never asked twice)."""
        if not await self._redis.set(ASKED.format(conversation=conversation), 1, nx=True, ex=ASKED_SECONDS):
            return None
        started = replace(survey, id=secrets.token_hex(6))
        await self.save(conversation, started)
        return started

    async def get(self, conversation: str) -> Survey | None:
        """The survey in progress."""
        raw = await self._redis.get(STATE.format(conversation=conversation))
        return Survey(**json.loads(raw)) if raw else None

    async def save(self, conversation: str, survey: Survey) -> None:
        """Stores the survey's progress."""
        await self._redis.set(STATE.format(conversation=conversation), json.dumps(asdict(survey)), ex=STATE_SECONDS)

    async def end(self, conversation: str) -> None:
        """Forgets the survey in progress (the once-only flag stays)."""
        await self._redis.delete(STATE.format(conversation=conversation))

    async def claim_nps(self, subject: str, cooldown_seconds: int) -> bool:
        """True if this customer may be asked NPS now (then not again for the cooldown)."""
        return bool(await self._redis.set(NPS_ASKED.format(subject=subject), 1, nx=True, ex=cooldown_seconds))

    async def answered(self, conversation: str, channel: str, now: float) -> None:
        """Starts the inactivity timer after a question was answered."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(IDLE, {conversation: now})
            pipe.hset(IDLE_CHANNELS, conversation, channel)
            await pipe.execute()

    async def active(self, conversation: str) -> None:
        """The customer wrote again: the inactivity timer stops."""
        await self._redis.zrem(IDLE, conversation)

    async def idle_since(self, cutoff: float) -> list[tuple[str, str]]:
        """Conversations (and channels) quiet since before ``cutoff``; taken off the timer."""
        conversations = [c.decode() for c in await self._redis.zrangebyscore(IDLE, 0, cutoff)]
        found = []
        for conversation in conversations:
            if await self._redis.zrem(IDLE, conversation):
                channel = await self._redis.hget(IDLE_CHANNELS, conversation)
                found.append((conversation, channel.decode() if channel else "web"))
        return found

    async def schedule_check_in(self, conversation: str, due: float, context: dict[str, Any]) -> None:
        """Plans a check-in message for ``due``."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(CHECK_INS, {conversation: due})
            pipe.set(CHECK_IN.format(conversation=conversation), json.dumps(context), ex=ASKED_SECONDS)
            await pipe.execute()

    async def due_check_ins(self, now: float) -> list[tuple[str, dict[str, Any]]]:
        """Check-ins that are due, each taken off the schedule by exactly one caller."""
        due = []
        for raw in await self._redis.zrangebyscore(CHECK_INS, 0, now):
            conversation = raw.decode()
            if await self._redis.zrem(CHECK_INS, conversation):
                context = await self._redis.get(CHECK_IN.format(conversation=conversation))
                due.append((conversation, json.loads(context) if context else {}))
        return due

    async def check_in_sent(self, conversation: str, context: dict[str, Any]) -> None:
        """Remembers that a check-in went out, so a reply reopens the conversation."""
        await self._redis.set(
            CHECK_IN_SENT.format(conversation=conversation), json.dumps(context), ex=CHECK_IN_REPLY_SECONDS
        )

    async def forget(self, conversation: str) -> None:
        """Drops the conversation's survey, timers and check-in (the customer deleted their data)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in (STATE, ASKED, CHECK_IN, CHECK_IN_SENT):
                pipe.delete(key.format(conversation=conversation))
            pipe.zrem(IDLE, conversation)
            pipe.hdel(IDLE_CHANNELS, conversation)
            pipe.zrem(CHECK_INS, conversation)
            await pipe.execute()

    async def take_check_in_reply(self, conversation: str) -> dict[str, Any] | None:
        """The check-in context if the customer is replying to one (only the first reply counts)."""
        raw = await self._redis.getdel(CHECK_IN_SENT.format(conversation=conversation))
        return json.loads(raw) if raw else None
