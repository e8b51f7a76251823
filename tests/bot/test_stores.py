import asyncio
from collections.abc import AsyncIterator

import fakeredis
import pytest

from bot.store.limits import RateLimiter, UpdateLog
from bot.store.outbox import Outbox
from bot.store.transcripts import Entry, TranscriptStore


@pytest.fixture
async def redis() -> AsyncIterator[fakeredis.FakeAsyncRedis]:
    client = fakeredis.FakeAsyncRedis()
    yield client
    await client.close()


async def test_transcript_redacts_every_role_but_keeps_the_stores_own_contact_details(
    redis: fakeredis.FakeAsyncRedis,
) -> None:
    store = TranscriptStore(redis)
    await store.append("web-1", Entry("customer", "I'm mina.kim@example.com, 010-2345-6789", "web", ts=1.0))
    await store.append("web-1", Entry("bot", "We'll call you on +82 10-2345-6789 or email mina.kim@example.com", "web"))
    await store.append(
        "web-1", Entry("agent", "Card 4111 1111 1111 1111 noted, I'll write to Mina.Kim@Example.com", "web")
    )
    await store.append("web-1", Entry("notice", "Joon is calling 01023456789 now", "web"))
    await store.append("web-1", Entry("bot", "Email help@maru.example or call 1588-0123", "web", ts=2.0))
    await store.append("web-1", Entry("agent", "Our line is 15880123, or write to Help@Maru.example", "web"))
    assert [(e.role, e.text) for e in await store.read("web-1")] == [
        ("customer", "I'm [email], [phone]"),
        ("bot", "We'll call you on [phone] or email [email]"),
        ("agent", "Card [card] noted, I'll write to [email]"),
        ("notice", "Joon is calling [phone] now"),
        ("bot", "Email help@maru.example or call 1588-0123"),
        ("agent", "Our line is 15880123, or write to Help@Maru.example"),
    ]
    assert await redis.ttl("transcript:web-1") > 0


async def test_append_returns_what_it_stored(redis: fakeredis.FakeAsyncRedis) -> None:
    store = TranscriptStore(redis)
    stored = await store.append("web-1", Entry("agent", "Calling 010-2345-6789", "web", ts=3.0, meta={"agent": "Mina"}))
    assert stored == Entry("agent", "Calling [phone]", "web", ts=3.0, meta={"agent": "Mina"})
    assert await store.read("web-1") == [stored]


async def test_button_titles_are_redacted_and_payloads_kept(redis: fakeredis.FakeAsyncRedis) -> None:
    # The web channel checks a pressed button against the stored payloads.
    store = TranscriptStore(redis)
    known = {"title": "mina.kim@example.com", "payload": '/inform{"email": "mina.kim@example.com"}'}
    no_thanks = {"title": "No thanks, just here", "payload": "/deny"}
    await store.append("web-1", Entry("bot", "Which email address?", "web", buttons=[known, no_thanks]))
    [entry] = await store.read("web-1")
    assert entry.buttons == [
        {"title": "[email]", "payload": '/inform{"email": "mina.kim@example.com"}'},
        {"title": "No thanks, just here", "payload": "/deny"},
    ]


async def test_transcript_read_keeps_the_newest(redis: fakeredis.FakeAsyncRedis) -> None:
    store = TranscriptStore(redis)
    for n in range(5):
        await store.append("web-1", Entry("customer", f"m{n}", "web"))
    assert [e.text for e in await store.read("web-1", last=2)] == ["m3", "m4"]


async def test_a_message_stored_twice_by_a_retried_append_is_read_once(redis: fakeredis.FakeAsyncRedis) -> None:
    store = TranscriptStore(redis)
    for text, message_id in [("hi", "m1"), ("hi", "m1"), ("hello", "m2"), ("no id", None), ("no id", None)]:
        meta = {"message_id": message_id} if message_id else {}
        await store.append("web-1", Entry("customer", text, "web", meta=meta))
    assert [e.text for e in await store.read("web-1")] == ["hi", "hello", "no id", "no id"]


async def test_rate_limit_counts_per_conversation(redis: fakeredis.FakeAsyncRedis) -> None:
    limiter = RateLimiter(redis, limit=3, window=60)
    assert [await limiter.allow("web-1") for _ in range(4)] == [True, True, True, False]
    assert await limiter.allow("web-2")


async def test_an_update_is_handled_once_and_again_after_a_failure(redis: fakeredis.FakeAsyncRedis) -> None:
    updates = UpdateLog(redis, "telegram")
    assert await updates.claim(7)
    assert not await updates.claim(7)  # a retry while it is being handled
    assert not await updates.handled(7)
    await updates.release(7)  # handling failed
    assert await updates.claim(7)  # so Telegram's retry is handled
    await updates.done(7)
    assert not await updates.claim(7)
    assert await updates.handled(7)
    assert await updates.claim(8)
    assert await redis.ttl("update:telegram:7") > UpdateLog.CLAIM_SECONDS


async def test_an_event_published_right_after_subscribing_is_not_missed(redis: fakeredis.FakeAsyncRedis) -> None:
    outbox = Outbox(redis, redis)
    async with outbox.following("web-1") as events:
        await outbox.publish("web-1", {"type": "message", "text": "hi"})
        await outbox.publish("web-2", {"type": "message", "text": "not yours"})
        await outbox.publish("web-1", {"type": "typing", "on": False})
        received = [await asyncio.wait_for(anext(events), 2) for _ in range(2)]
    assert received == [{"type": "message", "text": "hi"}, {"type": "typing", "on": False}]


async def test_a_console_follows_the_queue_and_its_open_conversation(redis: fakeredis.FakeAsyncRedis) -> None:
    outbox = Outbox(redis, redis)
    async with outbox.following_console("web-1") as events:
        await outbox.publish_console({"type": "queue"})
        await outbox.publish("web-1", {"type": "message"})
        await outbox.publish_console({"type": "other chat"}, conversation="web-2")
        await outbox.publish_console({"type": "note"}, conversation="web-1")
        received = [await asyncio.wait_for(anext(events), 2) for _ in range(3)]
    assert received == [{"type": "queue"}, {"type": "message"}, {"type": "note"}]
