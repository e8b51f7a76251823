"""Each process of the default stack killed with SIGKILL mid-conversation: no silence, no lost message.

Every customer message gets a visible answer within 5 s; a request for a person made
during the outage is queued with its transcript; after the restart the conversation goes
on with its slots and its place in the queue.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import redis

from bot.channels.web_client import WebCustomer
from bot.texts import Texts
from tests.integration.stack import ROOT, Stack, conversation_of, handoff_of, transcript_of, wait_until
from tests.integration.telegram_double import BotApiDouble
from tests.integration.test_conversation import tracker
from tests.integration.test_telegram_channel import button_update, post, text_update

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("queue_left_as_found")]
_updates = iter(range(400_000, 409_999))
TEXTS = Texts.load(ROOT / "domain.yml")
ANSWER_WITHIN_SECONDS = 5.0


async def timed_say(customer: WebCustomer, text: str, client_id: str | None = None) -> tuple[float, list[str]]:
    """Sends a message; returns how long the first visible answer took and the texts of the whole turn."""
    frame: dict[str, Any] = {"type": "message", "text": text}
    if client_id:
        frame["client_id"] = client_id
    started = time.monotonic()
    await customer.send_raw(json.dumps(frame))
    typing, took, said = False, 0.0, list[str]()
    while True:
        event = await customer.next_event(timeout=15)
        typing = event["on"] if event["type"] == "typing" else typing
        if event["type"] == "message" and event["role"] != "customer":
            took = took or time.monotonic() - started
            said.append(event["text"])
        if said and not typing:
            return took, said


def transcript(stack: Stack, conversation: str) -> list[tuple[str, str]]:
    return transcript_of(stack.redis_url, conversation)


def queue_position(stack: Stack, conversation: str) -> int | None:
    client = redis.Redis.from_url(stack.redis_url)
    try:
        rank = client.zrank("handoff:queue", conversation)
    finally:
        client.connection_pool.disconnect()
    return None if rank is None else int(rank) + 1


async def order_conversation(stack: Stack) -> tuple[WebCustomer, str]:
    """A customer in the middle of the order-status form: order number given, email asked."""
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    await customer.say("hello")
    await customer.say("where is my order")
    assert (await customer.say("10421"))[-1]["text"].endswith("what email address did you order with?")
    return customer, conversation_of(customer.session_token)


def test_a_telegram_customer_reaches_a_person_while_the_bot_is_down(stack: Stack, telegram: BotApiDouble) -> None:
    stack.kill("actions")
    try:
        post(stack, text_update(4501, "where is my order", update_id=next(_updates)))
        wait_until(lambda: apology_to(telegram, 4501) is not None, 10, "the apology on Telegram")
        apology = apology_to(telegram, 4501)
        assert apology is not None
        [[button]] = apology["reply_markup"]["inline_keyboard"]
        assert button["text"] == "Talk to a person"
        post(stack, button_update(4501, button["callback_data"], "cb-4501", update_id=next(_updates)))
        wait_until(lambda: "in the queue" in telegram.sent(chat_id=4501)[-1]["text"], 10, "the queue place")
        assert handoff_of(stack.redis_url, "tg-4501")["reason"] == "bot_unavailable"
    finally:
        stack.start_actions()


def apology_to(telegram: BotApiDouble, chat_id: int) -> dict[str, Any] | None:
    """The bot's technical-trouble message in the chat, if it was sent."""
    return next((m for m in telegram.sent(chat_id=chat_id) if "technical trouble" in m["text"]), None)


def restart(stack: Stack, process: str) -> None:
    {"actions": stack.start_actions, "rasa": stack.start_rasa}[process]()


# The queue message in the language the request switches the chat to.
@pytest.mark.parametrize(
    ("process", "request_for_a_person", "queue_words"),
    [("actions", "a human please", "in the queue"), ("rasa", "상담원이랑 얘기하고 싶어요", "대기 순서는")],
)
async def test_the_bot_killed(stack: Stack, process: str, request_for_a_person: str, queue_words: str) -> None:
    customer, conversation = await order_conversation(stack)
    stack.kill(process)
    try:
        took, answer = await timed_say(customer, "mina.kim@example.com")
        assert took < ANSWER_WITHIN_SECONDS
        assert answer[0] == TEXTS.get("utter_bot_unavailable")
        took, queued = await timed_say(customer, request_for_a_person)
        assert took < ANSWER_WITHIN_SECONDS
        assert queue_words in queued[0]
        assert handoff_of(stack.redis_url, conversation)["reason"] == "bot_unavailable"
        place = queue_position(stack, conversation)
        assert place is not None
    finally:
        # In a thread: the socket must keep answering the gateway's pings while Rasa loads (30 s or more).
        await asyncio.to_thread(restart, stack, process)
    assert (tracker(stack, conversation)["slots"]["order_number"], queue_position(stack, conversation)) == (
        "10421",
        place,
    )
    still = await customer.say("hello? is anyone there?")
    assert "still in the queue" in still[0]["text"]
    said = [text for role, text in transcript(stack, conversation) if role == "customer"]
    # Transcripts are stored redacted: the email is "[email]".
    assert said == ["hello", "where is my order", "10421", "[email]", request_for_a_person, "hello? is anyone there?"]
    await customer.close()


async def test_redis_killed(stack: Stack) -> None:
    customer, conversation = await order_conversation(stack)
    before = transcript(stack, conversation)
    stack.kill("redis")
    try:
        took, answer = await timed_say(customer, "mina.kim@example.com", client_id="redis-down-1")
        assert took < ANSWER_WITHIN_SECONDS
        assert answer == [TEXTS.get("utter_gateway_unavailable")]
    finally:
        stack.start_redis()
    assert transcript(stack, conversation) == before
    # The widget sends the unacknowledged message again once Redis is back: it is answered.
    status = await customer.say_with_id("mina.kim@example.com", "redis-down-1")
    assert status[0]["text"].startswith("Order #10421")
    assert transcript(stack, conversation)[: len(before)] == before
    await customer.close()


async def test_gateway_killed(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    await customer.say("hello")
    await customer.say("can I speak to an agent")
    conversation = conversation_of(customer.session_token)
    place = queue_position(stack, conversation)
    assert place is not None
    before = transcript(stack, conversation)
    stack.kill("gateway")
    stack.start_gateway()
    returning = WebCustomer(stack.gateway_url, customer.session_token)
    history = await returning.connect()
    assert [(m["role"], m["text"]) for m in history] == before
    assert queue_position(stack, conversation) == place
    still = await returning.say("hello? is anyone there?")
    assert "still in the queue" in still[0]["text"]
    await returning.close()


async def test_after_a_redis_restart_three_new_customers_at_once_all_reach_the_queue(stack: Stack) -> None:
    warm = WebCustomer(stack.gateway_url)  # pooled connections in every process, to go stale
    await warm.connect()
    await warm.say("hello")
    await warm.close()
    stack.kill("redis")
    stack.start_redis()

    async def ask_for_a_person() -> str:
        customer = WebCustomer(stack.gateway_url)
        await customer.connect()
        await customer.say("hello")
        turn = await customer.say("can I speak to an agent")
        assert any("in the queue" in m["text"] for m in turn), turn
        await customer.close()
        return conversation_of(customer.session_token)

    conversations = await asyncio.gather(*(ask_for_a_person() for _ in range(3)))
    assert [handoff_of(stack.redis_url, c)["state"] for c in conversations] == ["queued"] * 3


async def test_a_message_sent_again_with_its_client_id_is_answered_once(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    await customer.say("hello")
    first = await customer.say_with_id("what do you charge for postage", "postage-1")
    assert first[0]["faq_id"] == "shipping_cost"
    again = {"type": "message", "text": "what do you charge for postage", "client_id": "postage-1"}
    await customer.send_raw(json.dumps(again))
    assert await customer.next_event() == {"type": "ack", "client_id": "postage-1"}
    with pytest.raises(asyncio.TimeoutError):
        await customer.next_event(timeout=2)
    said = [text for role, text in transcript(stack, conversation_of(customer.session_token)) if role == "customer"]
    assert said == ["hello", "what do you charge for postage"]
    await customer.close()
