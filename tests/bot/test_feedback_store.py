"""The feedback store on fake Redis with explicit times: counters per store-local day, reopened sessions, reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import fakeredis
import pytest

from bot.store.feedback import RATINGS_STREAM, SESSIONS_STREAM, STORE_TIMEZONE, FeedbackStore, Scope, day_of

HOUR = 3600.0
DAY_16, DAY_17, DAY_18 = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)


def at(day: date, hour: int, minute: int = 0) -> float:
    """A timestamp at a store-local (Seoul) time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=STORE_TIMEZONE).timestamp()


def scope(ts: float, conversation: str = "web-a", channel: str = "web", language: str = "en") -> Scope:
    return Scope(conversation, channel, language, ts)


@pytest.fixture
async def store() -> AsyncIterator[FeedbackStore]:
    redis = fakeredis.FakeAsyncRedis()
    yield FeedbackStore(redis)
    await redis.close()


async def sessions_of(store: FeedbackStore, *days: date) -> dict[str, dict[str, int]]:
    """Only the session counters (sessions, contained, reopened) of each day."""
    counters = await store.daily_counters(list(days))
    return {
        day: {name.split("|")[0]: count for name, count in fields.items() if name.startswith(("sess", "cont", "reop"))}
        for day, fields in counters.items()
    }


def test_days_are_store_local() -> None:
    # 23:30 in Seoul on the 16th is 14:30 UTC: still the 16th; 00:30 on the 17th in Seoul is the 17th.
    assert day_of(at(DAY_16, 23, 30)) == "2026-11-16"
    assert day_of(at(DAY_17, 0, 30)) == "2026-11-17"


async def test_a_session_answered_without_a_person_is_contained(store: FeedbackStore) -> None:
    await store.session_ended(scope(at(DAY_16, 10, 30)), started=at(DAY_16, 10), had_handoff=False, answered=True)
    await store.session_ended(
        scope(at(DAY_16, 11, 30), "web-b"), started=at(DAY_16, 11), had_handoff=True, answered=True
    )
    await store.session_ended(
        scope(at(DAY_16, 12, 30), "web-c"), started=at(DAY_16, 12), had_handoff=False, answered=False
    )
    assert await sessions_of(store, DAY_16) == {"2026-11-16": {"sessions": 3, "contained": 1}}


async def test_back_within_24_hours_moves_the_earlier_session_from_contained_to_reopened(store: FeedbackStore) -> None:
    ended = at(DAY_16, 10, 30)
    await store.session_ended(scope(ended), started=at(DAY_16, 10), had_handoff=False, answered=True)
    # The same conversation starts again 23 hours later, the next day, and is solved.
    await store.session_ended(scope(ended + 23.5 * HOUR), started=ended + 23 * HOUR, had_handoff=False, answered=True)
    assert await sessions_of(store, DAY_16, DAY_17) == {
        "2026-11-16": {"sessions": 1, "contained": 0, "reopened": 1},  # contained − 1, reopened + 1 on the 16th
        "2026-11-17": {"sessions": 1, "contained": 1},
    }


async def test_back_exactly_24_hours_later_still_counts_as_reopened(store: FeedbackStore) -> None:
    ended = at(DAY_16, 10, 30)
    await store.session_ended(scope(ended), started=at(DAY_16, 10), had_handoff=False, answered=True)
    await store.session_ended(scope(ended + 25 * HOUR), started=ended + 24 * HOUR, had_handoff=True, answered=True)
    assert await sessions_of(store, DAY_16, DAY_17) == {
        "2026-11-16": {"sessions": 1, "contained": 0, "reopened": 1},
        "2026-11-17": {"sessions": 1},
    }


async def test_back_after_25_hours_moves_nothing(store: FeedbackStore) -> None:
    ended = at(DAY_16, 10, 30)
    await store.session_ended(scope(ended), started=at(DAY_16, 10), had_handoff=False, answered=True)
    await store.session_ended(scope(ended + 25.5 * HOUR), started=ended + 25 * HOUR, had_handoff=False, answered=True)
    assert await sessions_of(store, DAY_16, DAY_17) == {
        "2026-11-16": {"sessions": 1, "contained": 1},
        "2026-11-17": {"sessions": 1, "contained": 1},
    }


async def test_an_earlier_session_that_needed_a_person_is_not_reopened(store: FeedbackStore) -> None:
    ended = at(DAY_16, 10, 30)
    await store.session_ended(scope(ended), started=at(DAY_16, 10), had_handoff=True, answered=True)
    await store.session_ended(scope(ended + 2 * HOUR), started=ended + HOUR, had_handoff=False, answered=True)
    assert await sessions_of(store, DAY_16) == {"2026-11-16": {"sessions": 2, "contained": 1}}


async def test_another_conversation_does_not_reopen(store: FeedbackStore) -> None:
    ended = at(DAY_16, 10, 30)
    await store.session_ended(scope(ended), started=at(DAY_16, 10), had_handoff=False, answered=True)
    await store.session_ended(scope(ended + HOUR, "web-b"), started=ended + HOUR / 2, had_handoff=False, answered=True)
    assert await sessions_of(store, DAY_16) == {"2026-11-16": {"sessions": 2, "contained": 2}}


async def test_ratings_count_per_day_channel_language_and_key(store: FeedbackStore) -> None:
    web, telegram = scope(at(DAY_16, 9)), scope(at(DAY_16, 9), "tg-1", "telegram")
    await store.thumb(web, "shipping_cost", up=True, question=None)
    await store.thumb(web, "shipping_cost", up=False, question="how much is shipping to jeju")
    await store.csat(web, "agent", 3, agent="mina")
    await store.nps(telegram, 9)
    await store.comment(telegram, "delivery", "late again", agent=None)
    await store.handoff(web, "frustration", ["late_order", "repetition"])
    assert (await store.daily_counters([DAY_16, DAY_17])) == {
        "2026-11-16": {
            "thumbs_up|web|en|shipping_cost": 1,
            "thumbs_down|web|en|shipping_cost": 1,
            "csat|web|en|3": 1,
            "csat_agent|web|en|mina:3": 1,
            "nps|telegram|en|9": 1,
            "comment|telegram|en|delivery": 1,
            "handoff|web|en|frustration": 1,
            "frustration|web|en|late_order": 1,
            "frustration|web|en|repetition": 1,
        },
        "2026-11-17": {},
    }


async def test_waits_and_unanswered_questions_are_read_per_day_channel_and_language(store: FeedbackStore) -> None:
    await store.queue_wait(scope(at(DAY_16, 9)), 61.04)
    await store.queue_wait(scope(at(DAY_17, 9)), 30)
    await store.queue_wait(scope(at(DAY_17, 9), channel="telegram"), 600)
    await store.queue_wait(scope(at(DAY_18, 9)), 5)
    assert sorted(await store.waits([DAY_16, DAY_17], ["web"], ["en"])) == [30.0, 61.0]
    assert sorted(await store.waits([DAY_17], ["web", "telegram"], ["en", "ko"])) == [30.0, 600.0]

    for day, question in ((DAY_16, "where is my parcel"), (DAY_17, " where is my parcel "), (DAY_17, "gift wrap?")):
        await store.unanswered(scope(at(day, 9)), question)
    await store.unanswered(scope(at(DAY_17, 9), channel="telegram"), "gift wrap?")
    assert await store.top_unanswered([DAY_16, DAY_17], ["web"], ["en"], 10) == [
        ("where is my parcel", 2),
        ("gift wrap?", 1),
    ]
    assert await store.top_unanswered([DAY_17], ["web", "telegram"], ["en"], 1) == [("gift wrap?", 2)]


async def test_records_keep_every_field_in_order(store: FeedbackStore) -> None:
    now = datetime.now(STORE_TIMEZONE).timestamp()
    await store.csat(scope(now), "bot", 1, agent=None)
    await store.comment(scope(now), "other", "<b>hi</b>", agent="mina")
    await store.session_ended(scope(now), started=now - 60, had_handoff=False, answered=True)
    ratings = await store.records(RATINGS_STREAM, now - 60, now + 60)
    assert [(r["kind"], r["score"] if "score" in r else r["comment"]) for r in ratings] == [
        ("csat", "1"),
        ("comment", "<b>hi</b>"),
    ]
    assert ratings[1]["agent"] == "mina"
    sessions = await store.records(SESSIONS_STREAM, now - 60, now + 60)
    assert sessions == [
        {
            "ts": repr(now),
            "conversation": "web-a",
            "channel": "web",
            "language": "en",
            "contained": "1",
            "started": repr(now - 60),
            "handoff": "0",
            "answered": "1",
        }
    ]


async def test_the_benchmark_bulk_writer_leaves_what_the_store_leaves() -> None:
    # scripts/bench_dashboard.py writes the store's keys directly for speed; both paths must give the same data.
    from scripts.bench_dashboard import fill, synthetic_events

    events = synthetic_events(150, now=at(DAY_18, 12))
    assert {event.method for event in events} >= {"thumb", "csat", "nps", "comment", "handoff", "session_ended"}
    one, bulk = (
        fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer()),
        fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer()),
    )
    store = FeedbackStore(one)
    for event in events:
        await getattr(store, event.method)(event.scope, *event.args)
    await fill(bulk, events)

    days = [DAY_18 - timedelta(days=offset) for offset in range(92)]
    channels, languages = ["web", "telegram"], ["en"]
    read_one, read_bulk = FeedbackStore(one), FeedbackStore(bulk)
    counters = await read_one.daily_counters(days)
    assert sum(fields.get("reopened|web|en|all", 0) for fields in counters.values()) > 0
    assert await read_bulk.daily_counters(days) == counters
    assert await read_bulk.waits(days, channels, languages) == await read_one.waits(days, channels, languages)
    assert await read_bulk.top_unanswered(days, channels, languages, 1000) == await read_one.top_unanswered(
        days, channels, languages, 1000
    )
    for stream in (RATINGS_STREAM, SESSIONS_STREAM):
        assert [fields for _, fields in await bulk.xrange(stream)] == [fields for _, fields in await one.xrange(stream)]
    await one.close()
    await bulk.close()
