"""The help desk's decisions on a fixed clock: what queued customers are told and offered."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import fakeredis
import pytest

from bot.handoff import LEAVE_QUEUE, Desk, DeskError
from bot.store.deliveries import QUEUE, Item
from bot.store.transcripts import TranscriptStore
from bot.store.users import User
from tests.bot.conftest import TEXTS, Clock

CALLBACK = {
    "method": "phone",
    "phone": "+821012345678",
    "email": None,
    "window_start": "2026-11-23T14:00:00+09:00",
    "window_end": "2026-11-23T16:00:00+09:00",
    "window_label": "Today 14:00–16:00",
}


async def test_with_nobody_online_the_customer_is_offered_a_callback(desk: Desk) -> None:
    [message] = await desk.request("web-a", "web", {"reason": "not_understood", "language": "en", "summary": {}})
    assert message["text"] == TEXTS.get("utter_handoff_queued_no_agents").format(position=1)
    assert [b["payload"] for b in message["buttons"]] == ["/request_callback", "/queue_wait", "/queue_leave"]
    handoff = await desk.handoffs.get("web-a")
    assert handoff is not None
    assert (handoff.reason, handoff.callback_offered, handoff.context) == (
        "not_understood",
        True,
        {"language": "en", "summary": {}},
    )


async def test_an_unknown_reason_is_recorded_as_a_customer_request(desk: Desk) -> None:
    await desk.request("web-a", "web", {"reason": "<script>"})
    handoff = await desk.handoffs.get("web-a")
    assert handoff is not None
    assert handoff.reason == "customer_request"


async def test_an_unclaimed_chat_is_offered_a_callback_once_after_five_minutes(
    desk: Desk, clock: Clock, redis: fakeredis.FakeAsyncRedis
) -> None:
    await desk.presence.beat("mina", clock.now)
    [queued] = await desk.request("web-a", "web", {"reason": "customer_request"})
    assert queued["text"] == TEXTS.get("utter_handoff_queued").format(position=1, agents=1, minutes=6)
    clock.now += 4 * 60
    await desk.presence.beat("mina", clock.now)
    assert await desk.offer_overdue_callbacks() == 0
    clock.now += 2 * 60
    assert await desk.offer_overdue_callbacks() == 1
    assert await desk.offer_overdue_callbacks() == 0
    transcript = await TranscriptStore(redis).read("web-a")
    assert transcript[-1].text == TEXTS.get("utter_handoff_unclaimed").format(minutes=6)


async def test_a_scheduled_callback_takes_the_customer_out_of_the_queue(desk: Desk, clock: Clock) -> None:
    await desk.request("tg-7", "telegram", {"reason": "frustration", "priority": True})
    callback = await desk.schedule_callback("tg-7", "telegram", CALLBACK)
    assert callback is not None
    assert (callback.method, callback.phone, callback.reason, callback.window_label) == (
        "phone",
        "+821012345678",
        "frustration",
        "Today 14:00–16:00",
    )
    assert callback.due == datetime(2026, 11, 23, 14, 0, tzinfo=ZoneInfo("Asia/Seoul")).timestamp()
    assert await desk.handoffs.get("tg-7") is None
    assert [c.id for c in await desk.callbacks.open()] == [callback.id]


async def test_the_summary_of_a_handoff_request_is_stored_redacted(desk: Desk) -> None:
    summary = {
        "customer_said": ["my number is 010-2345-6789"],
        "bot_said": ["Booked. We'll call you on +82 10-2345-6789"],
        "details": {},
    }
    await desk.request("web-a", "web", {"reason": "customer_request", "language": "en", "summary": summary})
    handoff = await desk.handoffs.get("web-a")
    assert handoff is not None
    assert handoff.context["summary"] == {
        "customer_said": ["my number is [phone]"],
        "bot_said": ["Booked. We'll call you on [phone]"],
        "details": {},
    }


async def test_a_callback_record_keeps_the_full_phone_and_email(desk: Desk) -> None:
    by_phone = await desk.schedule_callback("web-a", "web", CALLBACK)
    by_email = await desk.schedule_callback(
        "web-b", "web", {**CALLBACK, "method": "message", "phone": None, "email": "mina.kim@example.com"}
    )
    assert by_phone is not None
    assert by_email is not None
    stored = {c.conversation: (c.method, c.phone, c.email) for c in await desk.callbacks.open()}
    assert stored == {"web-a": ("phone", "+821012345678", None), "web-b": ("message", None, "mina.kim@example.com")}


async def test_a_malformed_callback_payload_stores_nothing(desk: Desk) -> None:
    assert await desk.schedule_callback("web-a", "web", {**CALLBACK, "method": "fax"}) is None
    assert await desk.schedule_callback("web-a", "web", {"method": "phone"}) is None
    assert await desk.callbacks.open() == []


async def test_leaving_the_queue_or_booking_a_callback_takes_the_widget_s_queue_line_away(desk: Desk) -> None:
    await desk.request("web-a", "web", {"reason": "customer_request", "language": "en"})
    await desk.request("web-b", "web", {"reason": "customer_request", "language": "en"})
    cleared = {"type": "queue", "text": ""}
    async with desk.outbox.following("web-a") as events:
        await desk.queue_choice("web-a", "web", LEAVE_QUEUE)
        assert await asyncio.wait_for(anext(events), 2) == cleared
    async with desk.outbox.following("web-b") as events:
        await desk.schedule_callback("web-b", "web", CALLBACK)
        assert await asyncio.wait_for(anext(events), 2) == cleared


async def queued_texts(redis: fakeredis.FakeAsyncRedis, conversation: str) -> list[str]:
    """The texts waiting in the Telegram outbox for one customer, oldest first."""
    raw = await redis.lrange(QUEUE.format(channel="telegram", conversation=conversation), 0, -1)
    return [Item.decode(item).message["text"] for item in raw]


async def test_a_telegram_customer_is_told_when_their_place_changes_and_only_then(
    desk: Desk, redis: fakeredis.FakeAsyncRedis
) -> None:
    await desk.request("tg-1", "telegram", {"reason": "customer_request"})
    await desk.request("tg-2", "telegram", {"reason": "customer_request"})
    told_when_queued = await queued_texts(redis, "tg-2")
    await desk.announce_positions()
    assert await queued_texts(redis, "tg-2") == told_when_queued  # told number 2 when it queued, not again

    await desk.queue_choice("tg-1", "telegram", LEAVE_QUEUE)
    await desk.announce_positions()
    moved = TEXTS.get("utter_queue_moved_unknown").format(position=1)
    assert await queued_texts(redis, "tg-2") == [*told_when_queued, moved]
    [*_, notice] = await TranscriptStore(redis).read("tg-2")
    assert (notice.role, notice.text) == ("notice", moved)


async def test_a_queued_customer_who_writes_is_told_their_place_and_wait(desk: Desk, clock: Clock) -> None:
    await desk.request("web-a", "web", {"reason": "customer_request", "language": "en"})
    await desk.request("web-b", "web", {"reason": "customer_request", "language": "en"})
    [nobody_online] = await desk.still_queued("web-b", "web")
    assert nobody_online["text"] == TEXTS.get("utter_queue_still_waiting_unknown").format(position=2)
    assert [b["payload"] for b in nobody_online["buttons"]] == [LEAVE_QUEUE]
    await desk.presence.beat("mina", clock())
    [estimated] = await desk.still_queued("web-b", "web")
    assert estimated["text"] == TEXTS.get("utter_queue_still_waiting").format(position=2, minutes=12)
    assert await desk.still_queued("web-c", "web") == []


async def test_notices_follow_the_language_the_customer_writes_in_now(
    desk: Desk, redis: fakeredis.FakeAsyncRedis
) -> None:
    await desk.request("web-a", "web", {"reason": "customer_request", "language": "en"})
    await desk.languages.follow("web-a", "혹시 한국어로 상담 가능할까요?")
    await desk.claim("web-a", User("mina", "agent", "Mina"))
    [*_, joined] = await TranscriptStore(redis).read("web-a")
    assert joined.text == TEXTS.get("utter_agent_joined", "ko").format(agent="Mina")


async def test_a_queued_customer_who_switched_language_is_told_their_place_in_it(desk: Desk) -> None:
    await desk.request("web-a", "web", {"reason": "customer_request", "language": "en"})
    await desk.languages.follow("web-a", "대기 순서가 어떻게 되나요?")
    [status] = await desk.still_queued("web-a", "web")
    assert status["text"] == TEXTS.get("utter_queue_still_waiting_unknown", "ko").format(position=1)


async def reopened_for_mina(desk: Desk, clock: Clock) -> None:
    """A check-in reply reopens a chat Mina had; it is kept for her for 10 minutes."""
    offer = {"agent": "mina", "name": "Mina", "until": clock.now + 600}
    await desk.request(
        "web-c", "web", {"reopened_after_check_in": True, "previous_agent": "Mina", "first_offer": offer}
    )


async def test_a_reopened_chat_is_kept_for_its_previous_agent_while_online_and_in_time(
    desk: Desk, clock: Clock
) -> None:
    await desk.presence.beat("mina", clock.now)
    await desk.presence.beat("joon", clock.now)
    await reopened_for_mina(desk, clock)
    assert await desk.first_offer(await desk.handoffs.get("web-c")) == {
        "agent": "mina",
        "name": "Mina",
        "until": clock.now + 600,
    }
    joon = User("joon", "agent", "Joon")
    with pytest.raises(DeskError) as refused:
        await desk.claim("web-c", joon)
    assert str(refused.value) == "this chat is offered to Mina first (their earlier chat) for 10 more min"
    clock.now += 600  # the ten minutes are over: anyone may claim it
    await desk.presence.beat("joon", clock.now)
    assert await desk.first_offer(await desk.handoffs.get("web-c")) is None
    claimed = await desk.claim("web-c", joon)
    assert claimed.agent == "joon"


async def test_a_reopened_chat_is_not_kept_for_an_agent_who_is_offline(desk: Desk, clock: Clock) -> None:
    await reopened_for_mina(desk, clock)
    assert await desk.first_offer(await desk.handoffs.get("web-c")) is None
    claimed = await desk.claim("web-c", User("joon", "agent", "Joon"))
    assert claimed.agent == "joon"


async def test_the_previous_agent_claims_a_chat_kept_for_them(desk: Desk, clock: Clock) -> None:
    await desk.presence.beat("mina", clock.now)
    await reopened_for_mina(desk, clock)
    claimed = await desk.claim("web-c", User("mina", "agent", "Mina"))
    assert (claimed.agent, claimed.context["previous_agent"]) == ("mina", "Mina")
