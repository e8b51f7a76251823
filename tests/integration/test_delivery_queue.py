"""The durable outbox and its dispatcher on a real Redis server, with a scripted channel."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.channels.dispatch import Dispatcher, DispatchPolicy, Pacing, Rejected, RetryLater, Unreachable
from bot.channels.web import WebSender
from bot.delivery import Delivery, outgoing
from bot.rendering import segments
from bot.store.deliveries import DeliveryQueue
from bot.store.outbox import Outbox
from bot.store.transcripts import TranscriptStore

pytestmark = pytest.mark.integration
START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class ScriptedChannel:
    """Confirms every message, except those whose text is scripted to fail (once per scripted error)."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []
        self.tries: list[str] = []
        self.script: dict[str, list[Exception]] = {}

    async def send(self, conversation: str, message: dict[str, Any]) -> None:
        self.tries.append(message["text"])
        failures = self.script.get(message["text"])
        if failures:
            raise failures.pop(0)
        self.delivered.append((conversation, message["text"]))


@pytest.fixture
def redis(real_redis: Redis) -> Redis:
    """An empty real Redis server: the code under test runs Lua, which fakeredis does not."""
    return real_redis


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def channel() -> ScriptedChannel:
    return ScriptedChannel()


@pytest.fixture
def reports() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def dispatcher(redis: Redis, channel: ScriptedChannel, clock: Clock, reports: list[dict[str, Any]]) -> Dispatcher:
    async def report(conversation: str, event: dict[str, Any]) -> None:
        reports.append(event)

    policy = DispatchPolicy(deadline_seconds=600, lease_seconds=30)
    return Dispatcher(
        "telegram", DeliveryQueue(redis), channel, report, clock, policy, Pacing(per_chat=100, overall=100)
    )


async def queue(redis: Redis, clock: Clock, conversation: str, *texts: str) -> None:
    for text in texts:
        await DeliveryQueue(redis).enqueue("telegram", conversation, {"id": f"m-{text}", "text": text}, clock())


async def test_messages_go_out_in_order_and_leave_the_outbox_once_confirmed(
    redis: Redis, clock: Clock, channel: ScriptedChannel, dispatcher: Dispatcher
) -> None:
    await queue(redis, clock, "tg-1", "one", "two", "three")
    assert await DeliveryQueue(redis).claim("telegram", clock(), 30, 10) == ["tg-1"]
    await dispatcher.drain("tg-1")
    assert channel.delivered == [("tg-1", "one"), ("tg-1", "two"), ("tg-1", "three")]
    backlog = await DeliveryQueue(redis).backlog("telegram")
    assert (backlog.conversations, backlog.messages, backlog.oldest_queued_at) == (0, 0, None)


async def test_a_failed_send_waits_for_the_channels_delay_and_keeps_the_order(
    redis: Redis, clock: Clock, channel: ScriptedChannel, dispatcher: Dispatcher
) -> None:
    channel.script["first"] = [RetryLater("Too Many Requests: retry after 7", 7.0)]
    await queue(redis, clock, "tg-2", "first", "second")
    await dispatcher.drain("tg-2")
    assert channel.delivered == []
    outbox = DeliveryQueue(redis)
    clock.now += 6.9
    assert await outbox.claim("telegram", clock(), 30, 10) == []  # not before Telegram's retry_after
    clock.now += 0.2
    assert await outbox.claim("telegram", clock(), 30, 10) == ["tg-2"]
    await dispatcher.drain("tg-2")
    assert channel.delivered == [("tg-2", "first"), ("tg-2", "second")]
    assert channel.tries == ["first", "first", "second"]


async def test_without_a_delay_from_the_channel_retries_back_off(
    redis: Redis, clock: Clock, channel: ScriptedChannel, dispatcher: Dispatcher
) -> None:
    channel.script["hello"] = [RetryLater("Bad Gateway"), RetryLater("Bad Gateway"), RetryLater("Timed out")]
    await queue(redis, clock, "tg-3", "hello")
    outbox = DeliveryQueue(redis)
    waits = []
    for _ in range(4):
        await dispatcher.drain("tg-3")
        due = await redis.zscore("delivery:telegram:due", "tg-3")
        if due is None:
            break
        waits.append(due - clock.now)
        clock.now = due
        assert await outbox.claim("telegram", clock(), 30, 10) == ["tg-3"]
    assert waits == [1.0, 2.0, 4.0]
    assert channel.delivered == [("tg-3", "hello")]


async def test_a_customer_who_blocked_the_bot_is_marked_unreachable_and_not_retried(
    redis: Redis, clock: Clock, channel: ScriptedChannel, dispatcher: Dispatcher, reports: list[dict[str, Any]]
) -> None:
    channel.script["a"] = [Unreachable("Forbidden: bot was blocked by the user")]
    await queue(redis, clock, "tg-4", "a", "b")
    await dispatcher.drain("tg-4")
    outbox = DeliveryQueue(redis)
    assert channel.tries == ["a"]  # "b" is not even tried
    assert (await outbox.unreachable("tg-4") or {})["reason"] == "Forbidden: bot was blocked by the user"
    assert {k: v["reason"] for k, v in (await outbox.undelivered("tg-4")).items()} == {
        "m-a": "unreachable",
        "m-b": "unreachable",
    }
    assert [r["type"] for r in reports] == ["unreachable", "undelivered", "undelivered"]
    await outbox.reachable_again("tg-4")
    await queue(redis, clock, "tg-4", "c")
    await dispatcher.drain("tg-4")
    assert channel.delivered == [("tg-4", "c")]


async def test_a_refused_message_is_given_up_and_the_next_one_sent(
    redis: Redis, clock: Clock, channel: ScriptedChannel, dispatcher: Dispatcher, reports: list[dict[str, Any]]
) -> None:
    channel.script["bad"] = [Rejected("Bad Request: can't parse entities")]
    await queue(redis, clock, "tg-5", "bad", "good")
    await dispatcher.drain("tg-5")
    assert channel.delivered == [("tg-5", "good")]
    assert reports == [{"type": "undelivered", "conversation": "tg-5", "message_id": "m-bad", "reason": "rejected"}]


async def test_a_message_past_the_deadline_is_reported_undelivered_once(
    redis: Redis, clock: Clock, channel: ScriptedChannel, dispatcher: Dispatcher, reports: list[dict[str, Any]]
) -> None:
    channel.script["late"] = [RetryLater("Bad Gateway")] * 50
    await queue(redis, clock, "tg-6", "late")
    await dispatcher.drain("tg-6")
    clock.now += 601
    await dispatcher.drain("tg-6")
    await dispatcher.drain("tg-6")
    assert channel.tries == ["late"]
    assert [(r["type"], r["reason"]) for r in reports] == [("undelivered", "expired")]
    assert await redis.zscore("delivery:telegram:due", "tg-6") is None


async def test_a_sender_that_died_mid_send_leaves_the_message_to_the_next_after_its_lease(
    redis: Redis, clock: Clock, channel: ScriptedChannel, dispatcher: Dispatcher
) -> None:
    await queue(redis, clock, "tg-7", "survey")
    outbox = DeliveryQueue(redis)
    assert await outbox.claim("telegram", clock(), 30, 10) == ["tg-7"]  # then the instance dies
    clock.now += 29
    assert await outbox.claim("telegram", clock(), 30, 10) == []
    clock.now += 2
    assert await outbox.claim("telegram", clock(), 30, 10) == ["tg-7"]
    await dispatcher.drain("tg-7")
    assert channel.delivered == [("tg-7", "survey")]


async def test_one_chat_is_paced_to_the_channels_limit(redis: Redis, clock: Clock, channel: ScriptedChannel) -> None:
    async def report(conversation: str, event: dict[str, Any]) -> None:
        raise AssertionError(event)

    paced = Dispatcher("telegram", DeliveryQueue(redis), channel, report, clock, pacing=Pacing(per_chat=3))
    await queue(redis, clock, "tg-8", "1", "2", "3", "4", "5")
    await paced.drain("tg-8")
    assert [text for _, text in channel.delivered] == ["1", "2", "3"]
    due = await redis.zscore("delivery:telegram:due", "tg-8")
    assert due is not None
    assert clock.now < due <= clock.now + 3


async def test_the_running_dispatcher_sends_what_any_process_queues(
    redis: Redis, channel: ScriptedChannel, reports: list[dict[str, Any]]
) -> None:
    async def report(conversation: str, event: dict[str, Any]) -> None:
        reports.append(event)

    live = Dispatcher("telegram", DeliveryQueue(redis), channel, report, time.time, DispatchPolicy(poll_seconds=0.2))
    running = asyncio.create_task(live.run())
    try:
        # Queued through another client, as another gateway instance would: found by the next poll.
        await DeliveryQueue(redis).enqueue("telegram", "tg-9", {"id": "x", "text": "from elsewhere"}, time.time())
        for _ in range(50):
            if channel.delivered:
                break
            await asyncio.sleep(0.05)
        assert channel.delivered == [("tg-9", "from elsewhere")]
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert reports == []


async def test_erasing_a_conversation_drops_its_waiting_messages_and_delivery_records(
    redis: Redis, clock: Clock, channel: ScriptedChannel, dispatcher: Dispatcher
) -> None:
    channel.script["private"] = [Unreachable("Forbidden: bot was blocked by the user")]
    await queue(redis, clock, "tg-10", "private", "also private")
    await dispatcher.drain("tg-10")
    await queue(redis, clock, "tg-10", "waiting")
    outbox = DeliveryQueue(redis)
    await outbox.forget("tg-10", ["telegram"])
    # Only the pacing counters remain, which hold no message and expire within seconds.
    assert [key for key in await redis.keys("delivery:*tg-10*") if b":slot:" not in key] == []
    assert await redis.zscore("delivery:telegram:due", "tg-10") is None
    assert (await outbox.backlog("telegram")).messages == 0


def web_delivery(redis: Redis) -> Delivery:
    """The gateway's delivery with its web dispatcher sending at once, as ``bot.app`` wires it."""
    outbox = Outbox(redis, redis)
    delivery = Delivery(TranscriptStore(redis), outbox, DeliveryQueue(redis), time.time)
    web = Dispatcher("web", delivery.queue, WebSender(outbox), delivery.report, time.time, pacing=None)
    delivery.immediate["web"] = web
    return delivery


async def test_a_web_turn_reaches_the_socket_redacted_and_before_the_typing_indicator_goes_off(redis: Redis) -> None:
    delivery = web_delivery(redis)
    async with Outbox(redis, redis).following("web-1") as events:
        sent = await delivery.record("web-1", "web", outgoing("agent", "I'll call 010-2345-6789", agent="Mina"))
        follow_up = await delivery.record("web-1", "web", outgoing("bot", "Anything else?"))
        await delivery.signal("web-1", {"type": "typing", "on": False})
        received = [await asyncio.wait_for(anext(events), 2) for _ in range(3)]
    assert received == [sent, follow_up, {"type": "typing", "on": False}]
    redacted = "I'll call [phone]"
    assert (sent["role"], sent["text"], sent["segments"]) == ("agent", redacted, segments(redacted))
    assert (await delivery.queue.backlog("web")).messages == 0


async def test_a_web_message_queued_while_another_sender_holds_the_chat_goes_out_after_its_earlier_ones(
    redis: Redis,
) -> None:
    delivery = web_delivery(redis)
    holder = DeliveryQueue(redis)
    await holder.enqueue("web", "web-2", {"id": "a", "type": "message", "text": "earlier"}, time.time())
    assert await holder.claim("web", time.time(), 30, 10) == ["web-2"]  # another instance is sending
    async with Outbox(redis, redis).following("web-2") as events:
        await delivery.record("web-2", "web", outgoing("bot", "later"))
        assert (await delivery.queue.backlog("web")).messages == 2  # not sent out of order
        await delivery.immediate["web"].drain("web-2")  # the holder's drain
        received = [(await asyncio.wait_for(anext(events), 2))["text"] for _ in range(2)]
    assert received == ["earlier", "later"]
