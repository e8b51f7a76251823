"""The help desk's Redis records: queue order, atomic claims, callbacks, users and presence."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import fakeredis
import pytest

from bot.store.callbacks import Callback, CallbackStore
from bot.store.handoffs import RECORD, Handoff, HandoffStore
from bot.store.presence import Presence
from bot.store.users import UserError, UserStore, hash_password, password_matches


@pytest.fixture
def redis() -> fakeredis.FakeAsyncRedis:
    return fakeredis.FakeAsyncRedis()


def handoff(conversation: str, queued_at: float, priority: bool = False) -> Handoff:
    return Handoff(conversation, "web", "frustration" if priority else "customer_request", priority, queued_at)


async def test_frustrated_customers_go_first_then_by_waiting_time(redis: fakeredis.FakeAsyncRedis) -> None:
    store = HandoffStore(redis)
    for h in (handoff("web-a", 100), handoff("web-b", 110), handoff("web-angry", 200, priority=True)):
        assert await store.enqueue(h)
    assert [h.conversation for h in await store.queued()] == ["web-angry", "web-a", "web-b"]
    assert await store.position("web-b") == 3
    assert await store.position("web-unknown") is None


async def test_a_conversation_is_queued_once(redis: fakeredis.FakeAsyncRedis) -> None:
    store = HandoffStore(redis)
    assert await store.enqueue(handoff("web-a", 100))
    assert not await store.enqueue(handoff("web-a", 150))
    assert (await store.get("web-a")) == handoff("web-a", 100)


async def test_the_messages_in_a_handoff_summary_are_stored_redacted(redis: fakeredis.FakeAsyncRedis) -> None:
    summary = {
        "customer_said": ["please call me on 010-2345-6789", "or write to mina.kim@example.com"],
        "bot_said": ["You can also email help@maru.example or call 1588-0123.", "Card 4111 1111 1111 1111?"],
        "details": {"order_number": "10421", "email": "mina.kim@example.com"},
    }
    context = {"language": "en", "summary": summary, "customer": {"name": "Mina Kim"}}
    store = HandoffStore(redis)
    assert await store.enqueue(replace(handoff("web-a", 100), context=context))
    stored = await store.get("web-a")
    assert stored is not None
    assert stored.context == {
        "language": "en",
        "summary": {
            "customer_said": ["please call me on [phone]", "or write to [email]"],
            "bot_said": ["You can also email help@maru.example or call 1588-0123.", "Card [card]?"],
            # What the customer gave to be helped stays for the agent.
            "details": {"order_number": "10421", "email": "mina.kim@example.com"},
        },
        "customer": {"name": "Mina Kim"},
    }


async def test_a_summary_that_is_not_a_mapping_is_stored_as_it_is(redis: fakeredis.FakeAsyncRedis) -> None:
    store = HandoffStore(redis)
    context = {"language": "en", "summary": None}
    assert await store.enqueue(replace(handoff("web-a", 100), context=context))
    stored = await store.get("web-a")
    assert stored is not None
    assert stored.context == context


async def test_only_one_of_two_simultaneous_claims_wins(redis: fakeredis.FakeAsyncRedis) -> None:
    store = HandoffStore(redis)
    await store.enqueue(handoff("web-a", 100))
    results = await asyncio.gather(store.claim("web-a", "mina", 160), store.claim("web-a", "joon", 161))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert winners[0].state == "agent"
    assert winners[0].claimed_at in (160, 161)
    assert await store.claim("web-a", "joon", 170) is None
    assert await store.queued() == []
    assert [h.agent for h in await store.assigned()] == [winners[0].agent]
    assert await store.queue_waits(5) == [winners[0].claimed_at - 100]


async def test_transfer_needs_the_current_agent(redis: fakeredis.FakeAsyncRedis) -> None:
    store = HandoffStore(redis)
    await store.enqueue(handoff("web-a", 100))
    await store.claim("web-a", "mina", 160)
    assert not await store.transfer("web-a", "joon", "sora")
    assert await store.transfer("web-a", "mina", "joon")
    current = await store.get("web-a")
    assert current is not None
    assert current.agent == "joon"


async def test_closing_returns_the_chat_to_the_bot_and_records_handling_time(redis: fakeredis.FakeAsyncRedis) -> None:
    store = HandoffStore(redis)
    await store.enqueue(handoff("web-a", 100))
    await store.claim("web-a", "mina", 160)
    closed = await store.close("web-a", 460)
    assert closed is not None
    assert closed.agent == "mina"
    assert await store.get("web-a") is None
    assert await store.assigned() == []
    assert await store.handling_times(10) == [300.0]
    assert await store.close("web-a", 500) is None


async def test_a_callback_is_offered_once_per_handoff(redis: fakeredis.FakeAsyncRedis) -> None:
    store = HandoffStore(redis)
    await store.enqueue(handoff("web-a", 100))
    assert await store.mark_callback_offered("web-a")
    assert not await store.mark_callback_offered("web-a")
    assert not await store.mark_callback_offered("web-unknown")


async def test_a_place_in_the_queue_is_news_once_and_only_while_queued(redis: fakeredis.FakeAsyncRedis) -> None:
    store = HandoffStore(redis)
    await store.enqueue(handoff("tg-a", 100))
    assert [await store.tell_position("tg-a", p) for p in (3, 3, 2)] == [True, False, True]
    assert await store.get("tg-a") == replace(handoff("tg-a", 100), told_position=2)
    await store.claim("tg-a", "mina", 200)
    assert not await store.tell_position("tg-a", 1)
    assert not await store.tell_position("tg-unknown", 1)
    assert not await redis.exists(RECORD.format(conversation="tg-unknown"))


def callback(due: float) -> Callback:
    return Callback(
        id="",
        conversation="tg-42",
        channel="telegram",
        method="phone",
        window_start="2026-11-24T09:00:00+09:00",
        window_end="2026-11-24T11:00:00+09:00",
        window_label="Tomorrow 09:00–11:00",
        due=due,
        created_at=1.0,
        phone="+821012345678",
    )


async def test_callbacks_are_listed_by_due_time_and_picked_up_once(redis: fakeredis.FakeAsyncRedis) -> None:
    store = CallbackStore(redis)
    later = await store.create(callback(2000))
    sooner = await store.create(callback(1000))
    assert [c.id for c in await store.open()] == [sooner.id, later.id]
    picked = await store.pick_up(sooner.id, "mina")
    assert picked is not None
    assert (picked.state, picked.agent) == ("in_progress", "mina")
    assert await store.pick_up(sooner.id, "joon") is None
    assert await store.finish(sooner.id, "joon", "not mine") is None
    done = await store.finish(sooner.id, "mina", "called, replacement sent")
    assert done is not None
    assert (done.state, done.note) == ("done", "called, replacement sent")
    assert [c.id for c in await store.open()] == [later.id]


def test_passwords_are_salted_and_checked() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second
    assert first.startswith("scrypt$")
    assert password_matches("correct horse battery", first)
    assert not password_matches("wrong horse battery", first)
    assert not password_matches("anything", "not-a-hash")


async def test_users_authenticate_with_their_role(redis: fakeredis.FakeAsyncRedis) -> None:
    users = UserStore(redis)
    await users.create("mina", "agent", "correct horse battery", "Mina")
    user = await users.authenticate("mina", "correct horse battery")
    assert user is not None
    assert (user.role, user.display_name) == ("agent", "Mina")
    assert await users.authenticate("mina", "wrong password!") is None
    assert await users.authenticate("nobody", "correct horse battery") is None


@pytest.mark.parametrize(
    ("name", "role", "password", "error"),
    [
        ("mina", "boss", "correct horse battery", "role must be one of agent, editor, admin"),
        ("mina kim", "agent", "correct horse battery", "user names use letters, digits and underscores"),
        ("mina", "agent", "short", "passwords need at least 10 characters"),
    ],
)
async def test_bad_users_are_refused(
    redis: fakeredis.FakeAsyncRedis, name: str, role: str, password: str, error: str
) -> None:
    with pytest.raises(UserError, match=error):
        await UserStore(redis).create(name, role, password, "")
    assert await UserStore(redis).all() == []


async def test_agents_are_online_while_their_console_beats(redis: fakeredis.FakeAsyncRedis) -> None:
    presence = Presence(redis, timeout_seconds=30)
    await presence.beat("mina", 100)
    await presence.beat("joon", 120)
    assert await presence.online(125) == ["joon", "mina"]
    assert await presence.online(140) == ["joon"]
    await presence.leave("joon")
    assert await presence.online(140) == []
