"""The dashboard's Lua reads on a real Redis (fakeredis runs no Lua): the same answers as FeedbackStore's reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from redis.asyncio import Redis

from bot.dashboard import reads
from bot.store.feedback import RATINGS_STREAM, FeedbackStore, Scope
from scripts.bench_dashboard import fill, synthetic_events
from tests.bot.test_dashboard import TODAY, add, at, query
from tests.bot.test_metrics import summed

DAYS = [TODAY - timedelta(days=offset) for offset in range(91, -1, -1)]
CHANNELS, LANGUAGES = ["web", "telegram"], ["en"]


@pytest.fixture
def redis(real_redis: Redis) -> Redis:
    """An empty real Redis server: the code under test runs Lua, which fakeredis does not."""
    return real_redis


async def test_counters_waits_and_questions_match_the_store(redis: Redis) -> None:
    await fill(redis, synthetic_events(150, now=at(12)))
    store = FeedbackStore(redis)
    daily = await store.daily_counters(DAYS)

    counts = await reads.counters(redis, DAYS)
    assert counts.totals == summed(daily)
    assert counts.daily == {
        day: {k: v for k, v in fields.items() if k.startswith("csat|")} for day, fields in daily.items()
    }
    assert sum(1 for fields in counts.daily.values() if fields) > 10  # days with ratings
    assert await reads.waits(redis, DAYS, CHANNELS, LANGUAGES) == await store.waits(DAYS, CHANNELS, LANGUAGES)
    questions = await reads.top_unanswered(redis, DAYS, CHANNELS, LANGUAGES, 1000)
    assert len(questions) > 20
    assert questions == await store.top_unanswered(DAYS, CHANNELS, LANGUAGES, 1000)
    assert await reads.top_unanswered(redis, DAYS, CHANNELS, LANGUAGES, 3) == questions[:3]


async def test_a_range_without_data_reads_as_empty(redis: Redis) -> None:
    days = [date(2020, 1, 1), date(2020, 1, 2)]
    assert await reads.counters(redis, days) == reads.RangeCounters({}, {"2020-01-01": {}, "2020-01-02": {}})
    assert await reads.waits(redis, days, CHANNELS, LANGUAGES) == []
    assert await reads.top_unanswered(redis, days, CHANNELS, LANGUAGES, 10) == []
    assert await reads.latest_comments(redis, query(), 20) == []


async def test_questions_come_back_exactly_as_asked(redis: Redis) -> None:
    store = FeedbackStore(redis)
    odd = ['배송 "언제" 와요?', "<b>bold</b> \\ back\nslash 😀", "1", "{}"]
    for text in odd:
        await store.unanswered(Scope("web-1", "web", "en", at(9)), text)
    await store.unanswered(Scope("web-1", "web", "en", at(10)), "1")
    assert await reads.top_unanswered(redis, [TODAY], ["web"], ["en"], 10) == [
        ("1", 2),
        *sorted((t, 1) for t in odd if t != "1"),
    ]


async def test_scripts_load_again_after_redis_forgets_them(redis: Redis) -> None:
    await reads.waits(redis, [TODAY], CHANNELS, LANGUAGES)
    await redis.script_flush()
    assert await reads.waits(redis, [TODAY], CHANNELS, LANGUAGES) == []


async def test_latest_comments_are_newest_first_filtered_and_limited(redis: Redis) -> None:
    await add(redis, RATINGS_STREAM, at(23, date(2026, 11, 17)), 0, kind="comment", category="other", comment="old")
    for n in range(30):
        await add(redis, RATINGS_STREAM, at(9), n, kind="comment", category="delivery", comment=f"c{n}", agent="")
    for n in range(30):
        await add(redis, RATINGS_STREAM, at(10), n, kind="csat", part="bot", score="3")
    await add(redis, RATINGS_STREAM, at(11), 0, kind="comment", category="agent", comment="<b>tg</b>",
              channel="telegram", agent="mina")  # fmt: skip
    await add(redis, RATINGS_STREAM, at(0, date(2026, 11, 19)), 0, kind="comment", comment="tomorrow", category="x")

    latest = await reads.latest_comments(redis, query(), 20)
    assert [c["comment"] for c in latest] == ["<b>tg</b>", *[f"c{n}" for n in range(29, 10, -1)]]
    assert latest[0] == {
        "time": "2026-11-18T11:00:00+09:00",
        "conversation": "web-1",
        "channel": "telegram",
        "language": "en",
        "category": "agent",
        "agent": "mina",
        "comment": "<b>tg</b>",
    }
    assert [c["comment"] for c in await reads.latest_comments(redis, query(channel="telegram"), 20)] == ["<b>tg</b>"]
    assert await reads.latest_comments(redis, query(language="ko"), 20) == []
    two_days = query(date(2026, 11, 17), TODAY)
    assert (await reads.latest_comments(redis, two_days, 40))[-1]["comment"] == "old"


async def test_latest_comments_read_a_bounded_number_of_ratings(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "COMMENT_PAGE", 10)
    monkeypatch.setattr(reads, "COMMENT_SCAN_LIMIT", 30)
    await add(redis, RATINGS_STREAM, at(8), 0, kind="comment", category="other", comment="too far back")
    for n in range(40):
        await add(redis, RATINGS_STREAM, at(9), n, kind="csat", part="bot", score="3")
    assert await reads.latest_comments(redis, query(), 20) == []
    monkeypatch.setattr(reads, "COMMENT_SCAN_LIMIT", 50)
    assert [c["comment"] for c in await reads.latest_comments(redis, query(), 20)] == ["too far back"]
