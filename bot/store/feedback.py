"""Ratings, surveys and the counters the dashboard reads.

Every rating is written twice: once to a Redis stream (the full record, for CSV
export and follow-ups) and once into per-day counter hashes, so a dashboard page
reads a few hashes per day of its range instead of scanning conversations.

Counter fields in ``stats:<YYYY-MM-DD>`` are ``<metric>|<channel>|<language>|<key>``:

- ``thumbs_up|web|en|shipping_cost`` / ``thumbs_down|…|<faq_id>``
- ``csat|…|1..3`` (😞 😐 😊, bot and agent parts) and ``csat_agent|…|<agent>:<score>``
- ``nps|…|0..10``
- ``comment|…|<category>``
- ``sessions|…|all``, ``contained|…|all``, ``reopened|…|all``
- ``handoff|…|<reason>``, ``frustration|…|<signal>``, ``bot_failure|…|<cause>``
- ``check_in|…|sent`` and ``check_in|…|<outcome>`` (sorted, reopened, question)

Queue waits are kept per day in ``waits:<date>|<channel>|<language>`` lists (one
number per handoff) for exact percentiles; the questions that were not understood
or got a thumbs-down in ``unanswered:<date>|<channel>|<language>`` sorted sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

STATS = "stats:{day}"
WAITS = "waits:{day}|{channel}|{language}"
UNANSWERED = "unanswered:{day}|{channel}|{language}"
RATINGS_STREAM = "ratings"
SESSIONS_STREAM = "sessions"
LAST_SESSION = "lastsession:{conversation}"
DEDUPE = "rated:{key}"
REOPEN_WINDOW_SECONDS = 24 * 3600
RETENTION_SECONDS = 400 * 24 * 3600
STORE_TIMEZONE = ZoneInfo("Asia/Seoul")


def day_of(ts: float) -> str:
    """The store-local calendar day of a timestamp, as YYYY-MM-DD."""
    return datetime.fromtimestamp(ts, STORE_TIMEZONE).date().isoformat()


def field(metric: str, channel: str, language: str, key: str) -> str:
    """A counter's field name in the day's hash."""
    return f"{metric}|{channel}|{language}|{key}"


@dataclass(frozen=True)
class Scope:
    """Where a rating came from."""

    conversation: str
    channel: str
    language: str
    ts: float


class FeedbackStore:
    """Writes ratings and session outcomes; reads the raw counters back."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def once(self, key: str) -> bool:
        """True the first time ``key`` is claimed (a rating can be given once)."""
        return bool(await self._redis.set(DEDUPE.format(key=key), 1, nx=True, ex=RETENTION_SECONDS))

    async def thumb(self, scope: Scope, faq_id: str, up: bool, question: str | None) -> None:
        """A thumbs up or down on a knowledge-base answer."""
        metric = "thumbs_up" if up else "thumbs_down"
        await self._count(scope, metric, faq_id)
        if not up and question:
            await self.unanswered(scope, question)
        await self._log(scope, RATINGS_STREAM, kind="thumb", faq_id=faq_id, score=1 if up else 0)

    async def csat(self, scope: Scope, part: str, score: int, agent: str | None) -> None:
        """An end-of-chat emoji rating (1 😞, 2 😐, 3 😊) of the bot's or an agent's part."""
        await self._count(scope, "csat", str(score))
        if agent:
            await self._count(scope, "csat_agent", f"{agent}:{score}")
        await self._log(scope, RATINGS_STREAM, kind="csat", part=part, score=score, agent=agent or "")

    async def nps(self, scope: Scope, score: int) -> None:
        """A 0–10 likelihood to recommend."""
        await self._count(scope, "nps", str(score))
        await self._log(scope, RATINGS_STREAM, kind="nps", score=score)

    async def comment(self, scope: Scope, category: str, text: str, agent: str | None) -> None:
        """A survey comment (already redacted) with its category."""
        await self._count(scope, "comment", category)
        await self._log(scope, RATINGS_STREAM, kind="comment", category=category, comment=text, agent=agent or "")

    async def check_in(self, scope: Scope, outcome: str) -> None:
        """A check-in went out (``sent``) or its reply was read (``sorted``, ``reopened``, ``question``)."""
        await self._count(scope, "check_in", outcome)

    async def handoff(self, scope: Scope, reason: str, frustration_signals: Iterable[str]) -> None:
        """A chat handed to people, and what frustrated the customer if that was why."""
        await self._count(scope, "handoff", reason)
        for signal in frustration_signals:
            await self._count(scope, "frustration", signal)

    async def bot_failure(self, scope: Scope, cause: str) -> None:
        """Counts a customer message the bot left unanswered, by cause (down, timeout, empty)."""
        await self._count(scope, "bot_failure", cause)

    async def frustration(self, scope: Scope, signal: str) -> None:
        """A frustration trigger the bot acknowledged."""
        await self._count(scope, "frustration", signal)

    async def queue_wait(self, scope: Scope, seconds: float) -> None:
        """How long a customer waited for an agent."""
        key = WAITS.format(day=day_of(scope.ts), channel=scope.channel, language=scope.language)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, repr(round(seconds, 1)))
            pipe.expire(key, RETENTION_SECONDS)
            await pipe.execute()

    async def unanswered(self, scope: Scope, question: str) -> None:
        """A question the bot did not understand, or whose answer got a thumbs-down."""
        key = UNANSWERED.format(day=day_of(scope.ts), channel=scope.channel, language=scope.language)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zincrby(key, 1, question.strip()[:300])
            pipe.expire(key, RETENTION_SECONDS)
            await pipe.execute()

    async def session_ended(self, scope: Scope, started: float, had_handoff: bool, answered: bool) -> None:
        """A conversation session ended; counts containment, and un-counts a reopened earlier one.

        A session is contained when the bot answered and no person was needed. If the
        same conversation starts a new session within 24 hours, the earlier session was
        not really solved: it moves from ``contained`` to ``reopened`` on its own day.
        """
        previous = await self._redis.hgetall(LAST_SESSION.format(conversation=scope.conversation))
        if previous and previous.get(b"contained") == b"1":
            ended = float(previous[b"ended"])
            if started - ended <= REOPEN_WINDOW_SECONDS:
                earlier = Scope(scope.conversation, scope.channel, scope.language, ended)
                await self._count(earlier, "contained", "all", -1)
                await self._count(earlier, "reopened", "all")
        contained = answered and not had_handoff
        await self._count(scope, "sessions", "all")
        if contained:
            await self._count(scope, "contained", "all")
        await self._redis.hset(
            LAST_SESSION.format(conversation=scope.conversation),
            mapping={"ended": repr(scope.ts), "contained": "1" if contained else "0"},
        )
        await self._redis.expire(LAST_SESSION.format(conversation=scope.conversation), RETENTION_SECONDS)
        session = {"started": repr(started), "handoff": int(had_handoff), "answered": int(answered)}
        await self._log(scope, SESSIONS_STREAM, contained=int(contained), **session)

    async def daily_counters(self, days: list[date]) -> dict[str, dict[str, int]]:
        """The counter hashes of the given days, keyed by YYYY-MM-DD."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for day in days:
                pipe.hgetall(STATS.format(day=day.isoformat()))
            raws = await pipe.execute()
        return {
            day.isoformat(): {key.decode(): int(value) for key, value in raw.items()}
            for day, raw in zip(days, raws, strict=True)
        }

    async def waits(self, days: list[date], channels: list[str], languages: list[str]) -> list[float]:
        """Every recorded queue wait of the days, channels and languages, in seconds."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for day in days:
                for channel in channels:
                    for language in languages:
                        pipe.lrange(WAITS.format(day=day.isoformat(), channel=channel, language=language), 0, -1)
            lists = await pipe.execute()
        return [float(value) for values in lists for value in values]

    async def top_unanswered(
        self, days: list[date], channels: list[str], languages: list[str], limit: int
    ) -> list[tuple[str, int]]:
        """The most frequent not-understood or thumbs-down questions, with counts."""
        keys = [
            UNANSWERED.format(day=day.isoformat(), channel=channel, language=language)
            for day in days
            for channel in channels
            for language in languages
        ]
        totals: dict[str, int] = {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zrange(key, 0, -1, withscores=True)
            results = await pipe.execute()
        for pairs in results:
            for member, score in pairs:
                text = member.decode()
                totals[text] = totals.get(text, 0) + int(score)
        return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]

    async def records(self, stream: str, start: float, end: float) -> list[dict[str, str]]:
        """Every rating (``RATINGS_STREAM``) or session (``SESSIONS_STREAM``) record between two times, oldest first."""
        # Stream ids are the server's receive time in ms, which the record's own ts matches to within a request.
        entries = await self._redis.xrange(stream, min=str(int(start * 1000)), max=str(int(end * 1000)))
        return [{k.decode(): v.decode() for k, v in values.items()} for _, values in entries]

    async def forget_comments(self, conversation: str) -> None:
        """Deletes the conversation's survey comments from the ratings stream (the customer deleted their data).

        The scores stay: counted per day, they say nothing about anyone once the conversation is gone.
        """
        entries = await self._redis.xrange(RATINGS_STREAM)
        erased = [
            entry_id
            for entry_id, values in entries
            if values.get(b"conversation") == conversation.encode() and b"comment" in values
        ]
        if erased:
            await self._redis.xdel(RATINGS_STREAM, *erased)

    async def _count(self, scope: Scope, metric: str, key: str, amount: int = 1) -> None:
        stats = STATS.format(day=day_of(scope.ts))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(stats, field(metric, scope.channel, scope.language, key), amount)
            pipe.expire(stats, RETENTION_SECONDS)
            await pipe.execute()

    async def _log(self, scope: Scope, stream: str, **values: Any) -> None:
        record = {
            "ts": repr(scope.ts),
            "conversation": scope.conversation,
            "channel": scope.channel,
            "language": scope.language,
            **{k: str(v) for k, v in values.items()},
        }
        await self._redis.xadd(stream, record)
