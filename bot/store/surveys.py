"""Survey state per conversation: which rating is asked, what was answered, and who was asked already.

Each check-in also has a log entry (``checkin:entry:<id>``, listed newest first in ``checkins:log``)
that the console reads: scheduled, sent, answered (and how) or replaced by a later one.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

STATE = "survey:{conversation}"
ASKED = "survey:asked:{conversation}"
# The subject is the proven customer ("customer:<id>") or, for anyone else, the conversation.
NPS_ASKED = "nps:asked:{subject}"
# The agent rating's per-customer cap, by the same subject.
AGENT_ASKED = "survey:agent_asked:{subject}"
IDLE = "survey:idle"
IDLE_CHANNELS = "survey:idle_channel"
CHECK_INS = "checkins"
CHECK_IN = "checkin:{conversation}"
CHECK_IN_SENT = "checkin:sent:{conversation}"
CHECK_IN_LOG = "checkins:log"
CHECK_IN_ENTRY = "checkin:entry:{id}"
CHECK_IN_IDS = "checkin:ids:{conversation}"
STATE_SECONDS = 24 * 3600
ASKED_SECONDS = 30 * 24 * 3600
CHECK_IN_REPLY_SECONDS = 3 * 24 * 3600
CHECK_IN_LOG_SECONDS = 30 * 24 * 3600


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


@dataclass(frozen=True)
class CheckIn:
    """One check-in as the console lists it."""

    id: str
    conversation: str
    channel: str
    agent: str
    agent_name: str
    customer: str
    due: float
    # scheduled → sent → answered; "replaced" when a later chat planned a new one first.
    state: str = "scheduled"
    sent_at: float | None = None
    answered_at: float | None = None
    # How the reply was read: sorted, reopened or question (bot.surveys).
    outcome: str | None = None


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

    async def start_agent_rating(
        self, conversation: str, survey: Survey, subject: str, now: float, min_seconds_between: float
    ) -> Survey | None:
        """Starts an agent-chat rating unless this customer (``subject``) was asked one within the gap.

        The conversation counts as asked too, so the bot-only rating keeps its once-per-conversation rule.
        """
        key = AGENT_ASKED.format(subject=subject)
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                last = await pipe.get(key)
                if last is not None and now - float(last) < min_seconds_between:
                    return None
                pipe.multi()
                pipe.set(key, repr(now), ex=max(1, int(min_seconds_between)))
                pipe.set(ASKED.format(conversation=conversation), 1, ex=ASKED_SECONDS)
                await pipe.execute()
            except WatchError:
                return None  # another instance asked this customer just now
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
        """Plans a check-in message for ``due`` (replacing one still planned for the conversation)."""
        earlier = await self._redis.get(CHECK_IN.format(conversation=conversation))
        if earlier and json.loads(earlier).get("id"):
            await self._update_entry(json.loads(earlier)["id"], state="replaced")
        customer = context.get("customer") or {}
        entry = CheckIn(
            id=secrets.token_hex(6),
            conversation=conversation,
            channel=str(context.get("channel") or "web"),
            agent=str(context.get("agent") or ""),
            agent_name=str(context.get("agent_name") or ""),
            customer=str(customer.get("name") or "") if isinstance(customer, dict) else "",
            due=due,
        )
        planned = {**context, "id": entry.id}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(CHECK_INS, {conversation: due})
            pipe.set(CHECK_IN.format(conversation=conversation), json.dumps(planned), ex=ASKED_SECONDS)
            pipe.set(CHECK_IN_ENTRY.format(id=entry.id), json.dumps(asdict(entry)), ex=CHECK_IN_LOG_SECONDS)
            pipe.zadd(CHECK_IN_LOG, {entry.id: due})
            pipe.zremrangebyscore(CHECK_IN_LOG, 0, due - CHECK_IN_LOG_SECONDS)
            pipe.sadd(CHECK_IN_IDS.format(conversation=conversation), entry.id)
            pipe.expire(CHECK_IN_IDS.format(conversation=conversation), CHECK_IN_LOG_SECONDS)
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

    async def check_in_sent(self, conversation: str, context: dict[str, Any], now: float) -> None:
        """Remembers that a check-in went out, so the customer's reply is read as its answer."""
        await self._redis.set(
            CHECK_IN_SENT.format(conversation=conversation), json.dumps(context), ex=CHECK_IN_REPLY_SECONDS
        )
        if context.get("id"):
            await self._update_entry(str(context["id"]), state="sent", sent_at=now)

    async def check_in_answered(self, check_in_id: str, outcome: str, now: float) -> None:
        """Records how the customer's reply to a check-in was read."""
        await self._update_entry(check_in_id, state="answered", answered_at=now, outcome=outcome)

    async def check_ins(self, limit: int = 200) -> list[CheckIn]:
        """The check-ins of the last 30 days, latest due first."""
        ids = [i.decode() for i in await self._redis.zrevrange(CHECK_IN_LOG, 0, limit - 1)]
        if not ids:
            return []
        raws = await self._redis.mget([CHECK_IN_ENTRY.format(id=i) for i in ids])
        return [CheckIn(**json.loads(raw)) for raw in raws if raw]

    async def _update_entry(self, check_in_id: str, **changes: Any) -> None:
        key = CHECK_IN_ENTRY.format(id=check_in_id)
        raw = await self._redis.get(key)
        if raw:
            updated = replace(CheckIn(**json.loads(raw)), **changes)
            await self._redis.set(key, json.dumps(asdict(updated)), keepttl=True)

    async def forget(self, conversation: str) -> None:
        """Drops the conversation's survey, timers and check-ins (the customer deleted their data)."""
        ids = [i.decode() for i in await self._redis.smembers(CHECK_IN_IDS.format(conversation=conversation))]
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in (STATE, ASKED, CHECK_IN, CHECK_IN_SENT, CHECK_IN_IDS):
                pipe.delete(key.format(conversation=conversation))
            pipe.delete(AGENT_ASKED.format(subject=conversation))
            for check_in_id in ids:
                pipe.delete(CHECK_IN_ENTRY.format(id=check_in_id))
                pipe.zrem(CHECK_IN_LOG, check_in_id)
            pipe.zrem(IDLE, conversation)
            pipe.hdel(IDLE_CHANNELS, conversation)
            pipe.zrem(CHECK_INS, conversation)
            await pipe.execute()

    async def take_check_in_reply(self, conversation: str) -> dict[str, Any] | None:
        """The check-in context if the customer is replying to one (only the first reply counts)."""
        raw = await self._redis.getdel(CHECK_IN_SENT.format(conversation=conversation))
        return json.loads(raw) if raw else None
