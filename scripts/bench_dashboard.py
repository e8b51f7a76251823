"""Dashboard latency over 100,000 conversations of synthetic feedback.

Fills a Redis that has no keys (REDIS_URL or --redis-url; one with keys is refused
unless --force, so nobody writes into production by mistake) with --conversations
conversations spread over the last 90 days: sessions (some reopened within 24 h),
thumbs, not-understood questions, handoffs with queue waits and frustration signals,
end-of-chat ratings, comments and NPS answers. Then it starts a gateway on that Redis
(``python -m bot`` on a free port; Rasa is not needed), or uses --gateway-url, signs in
an editor and times GET /dashboard/api/summary for the last 30 and the last 90 days,
and each chart for 90 days. Prints p50 and p99 (nearest rank) per path.

Filling writes the feedback store's own keys and fields (``bot.store.feedback``) in
bulk with pipelines instead of a few round trips per rating; ``BulkWriter`` mirrors
each ``FeedbackStore`` write and tests/bot/test_feedback_store.py checks both leave
the same data. It skips what the dashboard never reads (rating dedupe keys, each
conversation's last-session record).

Example (a scratch Redis): redis-server --port 6399 --save '' --appendonly no --daemonize yes
    python -m scripts.bench_dashboard --redis-url redis://127.0.0.1:6399/0
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import secrets
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import httpx
from redis.asyncio import Redis

from bot.comments import categorise
from bot.dashboard.charts import CHARTS
from bot.dashboard.metrics import percentile
from bot.settings import PROJECT_ROOT
from bot.store.feedback import (
    RATINGS_STREAM,
    REOPEN_WINDOW_SECONDS,
    RETENTION_SECONDS,
    SESSIONS_STREAM,
    STATS,
    UNANSWERED,
    WAITS,
    Scope,
    day_of,
)
from bot.store.feedback import field as counter_field
from bot.store.users import UserStore
from knowledge import KnowledgeBase
from tests.integration.stack import free_port, wait_until

DAY = 24 * 3600.0
SPAN_DAYS = 90
BENCH_EDITOR = "bench_editor"
PIPELINE_SIZE = 5000
AGENTS = ("mina", "joon", "sora", "hana", "daniel", "jiwoo", "seo", "min")
HANDOFF_REASONS = {"customer_request": 5, "frustration": 2, "not_understood": 1, "self_service_failed": 1,
                   "negative_feedback": 1}  # fmt: skip
EMPATHY_SIGNALS = ("late_order", "repetition", "bot_criticism", "going_in_circles", "waiting", "general")
HANDOFF_SIGNALS = ("order is late", "had to ask again", "says the bot isn't helping", "has been waiting too long",
                   "swears", "threatens to leave")  # fmt: skip
COMMENTS = (
    "The parcel arrived two days late", "still waiting for my package", "delivery was quick, thanks",
    "When do I get my refund?", "I was charged twice", "the return was easy",
    "The kettle is broken", "poor quality, it's cracked", "wrong size",
    "It didn't understand my question", "kept asking the same thing", "useless bot",
    "The agent was lovely", "Mina sorted it out, great staff", "the person I talked to was rude",
    "ok", "thanks!", "<b>great</b> service =)",
)  # fmt: skip
QUESTION_TOPICS = ("gift wrapping", "my parcel from busan", "paying in dollars", "a student discount",
                   "my old order", "changing my email", "the pink kettle", "the store in seoul", "sizes for jars",
                   "a bulk price")  # fmt: skip


class BulkWriter:
    """``FeedbackStore``'s writes, same keys and fields, gathered in memory and sent in pipelines.

    Call the write methods in time order (the reopen rule and stream ids depend on it);
    ``drain`` sends the stream records gathered so far, ``finish`` the counters, waits
    and questions.
    """

    def __init__(self) -> None:
        self.counters: dict[str, Counter[str]] = defaultdict(Counter)
        self.waits: dict[str, list[str]] = defaultdict(list)
        self.questions: dict[str, Counter[str]] = defaultdict(Counter)
        self._last_session: dict[str, tuple[float, bool]] = {}
        self._records: list[tuple[str, float, dict[str, str]]] = []
        self._last_ms = {RATINGS_STREAM: 0, SESSIONS_STREAM: 0}

    def thumb(self, scope: Scope, faq_id: str, up: bool, question: str | None) -> None:
        """Mirrors ``FeedbackStore.thumb``."""
        self._count(scope, "thumbs_up" if up else "thumbs_down", faq_id)
        if not up and question:
            self.unanswered(scope, question)
        self._log(scope, RATINGS_STREAM, kind="thumb", faq_id=faq_id, score=1 if up else 0)

    def csat(self, scope: Scope, part: str, score: int, agent: str | None) -> None:
        """Mirrors ``FeedbackStore.csat``."""
        self._count(scope, "csat", str(score))
        if agent:
            self._count(scope, "csat_agent", f"{agent}:{score}")
        self._log(scope, RATINGS_STREAM, kind="csat", part=part, score=score, agent=agent or "")

    def nps(self, scope: Scope, score: int) -> None:
        """Mirrors ``FeedbackStore.nps``."""
        self._count(scope, "nps", str(score))
        self._log(scope, RATINGS_STREAM, kind="nps", score=score)

    def comment(self, scope: Scope, category: str, text: str, agent: str | None) -> None:
        """Mirrors ``FeedbackStore.comment``."""
        self._count(scope, "comment", category)
        self._log(scope, RATINGS_STREAM, kind="comment", category=category, comment=text, agent=agent or "")

    def handoff(self, scope: Scope, reason: str, frustration_signals: list[str]) -> None:
        """Mirrors ``FeedbackStore.handoff``."""
        self._count(scope, "handoff", reason)
        for signal in frustration_signals:
            self._count(scope, "frustration", signal)

    def frustration(self, scope: Scope, signal: str) -> None:
        """Mirrors ``FeedbackStore.frustration``."""
        self._count(scope, "frustration", signal)

    def queue_wait(self, scope: Scope, seconds: float) -> None:
        """Mirrors ``FeedbackStore.queue_wait``."""
        key = WAITS.format(day=day_of(scope.ts), channel=scope.channel, language=scope.language)
        self.waits[key].append(repr(round(seconds, 1)))

    def unanswered(self, scope: Scope, question: str) -> None:
        """Mirrors ``FeedbackStore.unanswered``."""
        key = UNANSWERED.format(day=day_of(scope.ts), channel=scope.channel, language=scope.language)
        self.questions[key][question.strip()[:300]] += 1

    def session_ended(self, scope: Scope, started: float, had_handoff: bool, answered: bool) -> None:
        """Mirrors ``FeedbackStore.session_ended``, the reopen rule included."""
        previous = self._last_session.get(scope.conversation)
        if previous and previous[1] and started - previous[0] <= REOPEN_WINDOW_SECONDS:
            earlier = Scope(scope.conversation, scope.channel, scope.language, previous[0])
            self._count(earlier, "contained", "all", -1)
            self._count(earlier, "reopened", "all")
        contained = answered and not had_handoff
        self._count(scope, "sessions", "all")
        if contained:
            self._count(scope, "contained", "all")
        self._last_session[scope.conversation] = (scope.ts, contained)
        session = {"started": repr(started), "handoff": int(had_handoff), "answered": int(answered)}
        self._log(scope, SESSIONS_STREAM, contained=int(contained), **session)

    @property
    def pending(self) -> int:
        """Stream records not sent yet."""
        return len(self._records)

    async def drain(self, redis: Redis) -> None:
        """Sends the stream records gathered so far; their ids carry their own time, as if received then."""
        async with redis.pipeline(transaction=False) as pipe:
            for stream, ts, record in self._records:
                # Ids must grow; two records in the same millisecond get sequence numbers from Redis.
                ms = max(int(ts * 1000), self._last_ms[stream])
                self._last_ms[stream] = ms
                pipe.xadd(stream, record, id=f"{ms}-*")
            await pipe.execute()
        self._records.clear()

    async def finish(self, redis: Redis) -> None:
        """Sends the stream records left, then the counters, waits and questions."""
        await self.drain(redis)
        commands: list[tuple[str, tuple[Any, ...]]] = []
        for key, fields in self.counters.items():
            commands += [("hincrby", (key, name, count)) for name, count in fields.items()]
        commands += [("rpush", (key, *values)) for key, values in self.waits.items()]
        for key, members in self.questions.items():
            commands += [("zincrby", (key, count, member)) for member, count in members.items()]
        keys = [*self.counters, *self.waits, *self.questions]
        commands += [("expire", (key, RETENTION_SECONDS)) for key in keys]
        for start in range(0, len(commands), PIPELINE_SIZE):
            async with redis.pipeline(transaction=False) as pipe:
                for name, args in commands[start : start + PIPELINE_SIZE]:
                    getattr(pipe, name)(*args)
                await pipe.execute()

    def _count(self, scope: Scope, metric: str, key: str, amount: int = 1) -> None:
        self.counters[STATS.format(day=day_of(scope.ts))][
            counter_field(metric, scope.channel, scope.language, key)
        ] += amount

    def _log(self, scope: Scope, stream: str, **values: Any) -> None:
        record = {
            "ts": repr(scope.ts),
            "conversation": scope.conversation,
            "channel": scope.channel,
            "language": scope.language,
            **{k: str(v) for k, v in values.items()},
        }
        self._records.append((stream, scope.ts, record))


@dataclass(order=True)
class Event:
    """One ``FeedbackStore`` call at a time: ``method(scope, *args)``."""

    ts: float
    method: str = field(compare=False)
    scope: Scope = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)


def synthetic_events(conversations: int, now: float, seed: int = 5) -> list[Event]:
    """Feedback events of ``conversations`` conversations over the last 90 days, in time order."""
    rng = random.Random(seed)
    faq_ids = sorted({faq.id for faq in KnowledgeBase.load(PROJECT_ROOT / "data" / "knowledge")})
    # Some answers are much less helpful than others, as in life.
    down_share = {faq_id: rng.choice((0.05, 0.1, 0.15, 0.3, 0.5)) for faq_id in faq_ids}
    events: list[Event] = []
    for number in range(conversations):
        start = now - rng.uniform(1, SPAN_DAYS) * DAY
        scope = Scope(f"bench-{number}", "web" if rng.random() < 0.7 else "telegram", "en", start)
        events += _conversation(rng, scope, faq_ids, down_share)
    return sorted(events)


def _conversation(rng: random.Random, scope: Scope, faq_ids: list[str], down_share: dict[str, float]) -> list[Event]:
    start = scope.ts
    end = start + rng.uniform(2, 20) * 60

    def at(ts: float) -> Scope:
        return replace(scope, ts=ts)

    events = []
    for _ in range(rng.choices((0, 1, 2, 3), (4, 3, 2, 1))[0]):
        faq_id = rng.choice(faq_ids)
        up = rng.random() >= down_share[faq_id]
        question = None if up else f"{faq_id.replace('_', ' ')} {rng.choice(QUESTION_TOPICS)}"
        rated = rng.uniform(start, end)
        events.append(Event(rated, "thumb", at(rated), (faq_id, up, question)))
    if rng.random() < 0.12:
        events.append(Event(start + 30, "unanswered", at(start + 30), (f"what about {rng.choice(QUESTION_TOPICS)}",)))
    if rng.random() < 0.05:
        events.append(Event(start + 60, "frustration", at(start + 60), (rng.choice(EMPATHY_SIGNALS),)))
    handoff = rng.random() < 0.15
    agent = rng.choice(AGENTS) if handoff else None
    if handoff:
        reason = rng.choices(list(HANDOFF_REASONS), list(HANDOFF_REASONS.values()))[0]
        signals = rng.sample(HANDOFF_SIGNALS, rng.randint(1, 2)) if reason == "frustration" else []
        events.append(Event(start + 90, "handoff", at(start + 90), (reason, signals)))
        wait = min(3600.0, rng.lognormvariate(math.log(120), 0.9))
        events.append(Event(start + 90 + wait, "queue_wait", at(start + 90 + wait), (wait,)))
    answered = handoff or rng.random() < 0.88
    events.append(Event(end, "session_ended", at(end), (start, handoff, answered)))
    events += _survey(rng, at(end + 1), agent)
    if rng.random() < 0.08:  # comes back: within 24 h about half the time, which reopens a contained session
        again = end + rng.uniform(1, 48) * 3600
        events.append(Event(again + 300, "session_ended", at(again + 300), (again, False, True)))
    return events


def _survey(rng: random.Random, scope: Scope, agent: str | None) -> list[Event]:
    if rng.random() >= 0.35:
        return []
    score = rng.choices((1, 2, 3), (12, 18, 70))[0]
    events = [Event(scope.ts, "csat", scope, ("agent" if agent else "bot", score, agent))]
    if rng.random() < 0.3:
        text = rng.choice(COMMENTS)
        events.append(Event(scope.ts + 30, "comment", scope, (categorise(text, "en"), text, agent)))
    if rng.random() < 0.25:
        nps = rng.choices(range(11), (2, 1, 1, 1, 2, 3, 4, 8, 14, 24, 40))[0]
        events.append(Event(scope.ts + 60, "nps", scope, (nps,)))
    return events


async def fill(redis: Redis, events: list[Event]) -> None:
    """Writes the events with a BulkWriter, sending stream records every PIPELINE_SIZE."""
    writer = BulkWriter()
    for event in events:
        getattr(writer, event.method)(event.scope, *event.args)
        if writer.pending >= PIPELINE_SIZE:
            await writer.drain(redis)
    await writer.finish(redis)


async def refuse_unless_empty(redis: Redis, force: bool, first_ms: int) -> None:
    """Stops if the Redis has keys (unless forced), or if its streams already hold later records than ours."""
    keys = await redis.dbsize()
    if keys and not force:
        sys.exit(f"this Redis has {keys} keys; use an empty one (or --force to write into it anyway)")
    for stream in (RATINGS_STREAM, SESSIONS_STREAM):
        newest = await redis.xrevrange(stream, count=1)
        if newest and int(newest[0][0].split(b"-")[0]) > first_ms:
            sys.exit(f"the {stream} stream already holds newer records; use an empty Redis")


@dataclass
class Gateway:
    """A gateway process started for the benchmark, or the URL of a running one."""

    url: str
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, redis_url: str) -> Gateway:
        """``python -m bot`` on a free port against the benchmark's Redis."""
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env.update(REDIS_URL=redis_url, RASA_URL="http://127.0.0.1:9", RASA_TOKEN="bench", GATEWAY_PORT=str(port),
                   SESSION_SECRET=secrets.token_urlsafe(32), PUBLIC_URL="", PYTHONPATH=str(PROJECT_ROOT))  # fmt: skip
        process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL)
        gateway = cls(f"http://127.0.0.1:{port}", process)

        def ready() -> bool:
            if process.poll() is not None:
                sys.exit(f"the gateway stopped with exit code {process.returncode}; see its messages above")
            return httpx.get(gateway.url + "/health", timeout=5).status_code in (200, 503)

        wait_until(ready, 120, "gateway")
        return gateway

    def stop(self) -> None:
        """Stops the process this benchmark started, if it did."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)


def timed(client: httpx.Client, path: str, rounds: int) -> list[float]:
    """Milliseconds per request, after two warm-up requests."""
    for _ in range(2):
        client.get(path).raise_for_status()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def ranges(today: date) -> Iterator[tuple[str, str]]:
    """The ranges measured: the dashboard's default 30 days and the full 90."""
    for days in (30, SPAN_DAYS):
        yield f"{days} days", f"from={(today - timedelta(days=days - 1)).isoformat()}&to={today.isoformat()}"


def measure(gateway_url: str, password: str, rounds: int) -> None:
    """Signs in the bench editor and prints the latency of the summary and the charts."""
    today = date.fromisoformat(day_of(time.time()))
    with httpx.Client(base_url=gateway_url, timeout=60) as client:
        client.post("/console/login", json={"name": BENCH_EDITOR, "password": password}).raise_for_status()
        rows = [(f"summary, {label}", f"/dashboard/api/summary?{query}", rounds) for label, query in ranges(today)]
        last = list(ranges(today))[-1][1]
        rows += [
            (f"chart {name}, 90 days", f"/dashboard/charts/{name}.svg?{last}", max(5, rounds // 5)) for name in CHARTS
        ]
        print(f"{'GET':<26}{'p50 ms':>9}{'p99 ms':>9}{'n':>5}")
        for label, path, count in rows:
            samples = timed(client, path, count)
            print(f"{label:<26}{percentile(samples, 50) or 0:>9.1f}{percentile(samples, 99) or 0:>9.1f}{count:>5}")


async def prepare(redis_url: str, conversations: int, force: bool, measure_only: bool) -> str:
    """Fills the Redis (unless only measuring) and creates the bench editor; returns its password."""
    redis = Redis.from_url(redis_url)
    try:
        if not measure_only:
            started = time.perf_counter()
            events = synthetic_events(conversations, time.time())
            await refuse_unless_empty(redis, force, int(events[0].ts * 1000))
            await fill(redis, events)
            used = (await redis.info("memory"))["used_memory_human"]
            print(f"filled {conversations} conversations ({len(events)} feedback events) in "
                  f"{time.perf_counter() - started:.0f} s; Redis uses {used}")  # fmt: skip
        password = secrets.token_urlsafe(16)
        await UserStore(redis).create(BENCH_EDITOR, "editor", password, "Bench")
        return password
    finally:
        await redis.close(close_connection_pool=True)


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50, help="requests per summary range")
    parser.add_argument("--gateway-url", help="a running gateway on the same Redis, instead of starting one")
    parser.add_argument("--force", action="store_true", help="write into a Redis that already has keys")
    parser.add_argument("--measure-only", action="store_true", help="skip filling (the Redis was filled before)")
    arguments = parser.parse_args()
    if not arguments.redis_url:
        parser.error("give --redis-url or set REDIS_URL")
    password = asyncio.run(
        prepare(arguments.redis_url, arguments.conversations, arguments.force, arguments.measure_only)
    )
    gateway = Gateway(arguments.gateway_url) if arguments.gateway_url else Gateway.start(arguments.redis_url)
    try:
        measure(gateway.url, password, arguments.rounds)
    finally:
        gateway.stop()


if __name__ == "__main__":
    main()
