"""Telegram when the Bot API fails: every message still reaches the customer once, or agents are told.

The Bot API double answers chosen calls the way Telegram fails (400 "not modified",
403 blocked, 429 with retry_after, 502); the rest of the stack is real.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from bot.console.client import ConsoleAgent
from bot.texts import Texts
from tests.integration.stack import ROOT, Stack, free_port, wait_until
from tests.integration.telegram_double import BLOCKED, BotApiDouble
from tests.integration.test_telegram_channel import post, replies_to, text_update

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "integration-password"
NOTICE = "Before we start: I keep this chat for 90 days"
POSTAGE_QUESTION = "what do you charge for postage"
POSTAGE_ANSWER = "Standard delivery costs ₩3,000"
_next_update = iter(range(300_000, 399_999))  # apart from the other Telegram modules


@pytest.fixture(autouse=True)
def healthy_api(telegram: BotApiDouble) -> Iterator[None]:
    """Each test chooses its own failures; none outlives it."""
    yield
    telegram.heal()


@pytest.fixture(scope="module")
def agent_account(stack: Stack) -> str:
    stack.add_user("hyun", "agent", "Hyun")
    return "hyun"


async def logged_in(url: str, name: str) -> ConsoleAgent:
    agent = ConsoleAgent(url)
    await agent.login(name, PASSWORD)
    return agent


def texts_to(telegram: BotApiDouble, chat_id: int) -> list[str]:
    return [str(p["text"]) for p in telegram.sent(chat_id=chat_id)]


def press(user_id: int, data: str, message_id: int) -> dict[str, Any]:
    return {
        "update_id": next(_next_update),
        "callback_query": {
            "id": f"cb-{next(_next_update)}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Hana"},
            "chat_instance": "ci",
            "data": data,
            "message": {"message_id": message_id, "date": int(time.time()), "chat": {"id": user_id, "type": "private"}},
        },
    }


def thumbs_of(answer: dict[str, Any]) -> list[str]:
    rows = answer["reply_markup"]["inline_keyboard"]
    return [button["callback_data"] for row in rows for button in row][-2:]


def test_a_double_tap_on_thumbs_does_not_stop_the_webhook(stack: Stack, telegram: BotApiDouble) -> None:
    post(stack, text_update(711, POSTAGE_QUESTION))
    answer = replies_to(telegram, 711, 2)[1]
    up, down = thumbs_of(answer)
    assert post(stack, press(711, up, 9001)).status_code == 200
    assert post(stack, press(711, down, 9001)).status_code == 200
    assert [status for status, _, _ in telegram.tries("editMessageReplyMarkup", chat_id=711)] == [200, 400]
    post(stack, text_update(711, "how long does a refund take"))
    wait_until(lambda: any("refund" in t.lower() for t in texts_to(telegram, 711)[3:]), 15, "the next answer")


def test_a_double_tap_on_thumbs_does_not_stop_polling(stack: Stack, telegram: BotApiDouble) -> None:
    telegram.pending_updates.append(text_update(712, POSTAGE_QUESTION, update_id=next(_next_update)))
    port = free_port()
    stack.start_gateway(name="gateway-polling-taps", GATEWAY_PORT=str(port), PUBLIC_URL="")
    try:
        answer = replies_to(telegram, 712, 2)[1]
        up, down = thumbs_of(answer)
        telegram.pending_updates += [press(712, up, 9002), press(712, down, 9002)]
        wait_until(lambda: len(telegram.tries("editMessageReplyMarkup", chat_id=712)) == 2, 15, "both presses")
        telegram.pending_updates.append(text_update(712, "how long does a refund take", update_id=next(_next_update)))
        wait_until(lambda: any("refund" in t.lower() for t in texts_to(telegram, 712)[3:]), 20, "the next answer")
        report = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()["channels"]["telegram"]
        assert (report["mode"], report["alive"], report["polling_restarts"]) == ("polling", True, 0)
    finally:
        stack.stop("gateway-polling-taps")


def test_flood_control_on_the_answer_is_honoured_and_it_arrives_once(stack: Stack, telegram: BotApiDouble) -> None:
    telegram.fail("sendMessage", 429, "Too Many Requests: retry after 2", chat_id=713, times=1, retry_after=2)
    post(stack, text_update(713, POSTAGE_QUESTION))
    notice, answer = replies_to(telegram, 713, 2)
    assert notice["text"].startswith(NOTICE)
    assert answer["text"].startswith(POSTAGE_ANSWER)
    (refused, refused_at, _), (accepted, accepted_at, _) = telegram.tries(chat_id=713)[:2]
    assert (refused, accepted) == (429, 200)
    assert accepted_at - refused_at >= 2.0
    time.sleep(1.5)
    assert len(telegram.sent(chat_id=713)) == 2


async def test_an_agent_reply_during_a_bot_api_outage_arrives_once_in_order(
    stack: Stack, telegram: BotApiDouble, agent_account: str
) -> None:
    agent = await logged_in(stack.gateway_url, agent_account)
    try:
        post(stack, text_update(714, "can I speak to an agent"))
        replies_to(telegram, 714, 3)
        await agent.post("/console/api/conversations/tg-714/claim")
        replies_to(telegram, 714, 4)  # "Hyun has joined"
        telegram.fail("sendMessage", 502, "Bad Gateway", chat_id=714, until=time.time() + 10)
        await agent.post("/console/api/conversations/tg-714/reply", {"text": "first, during the outage"})
        await asyncio.sleep(5)
        await agent.post("/console/api/conversations/tg-714/reply", {"text": "second, during the outage"})
        await asyncio.sleep(6)
        await agent.post("/console/api/conversations/tg-714/reply", {"text": "third, after it"})
        replies = replies_to(telegram, 714, 7)
        assert [r["text"].split("\n")[-1] for r in replies[4:]] == [
            "first, during the outage",
            "second, during the outage",
            "third, after it",
        ]
        assert any(status == 502 for status, _, _ in telegram.tries(chat_id=714))
        await asyncio.sleep(1.5)
        assert len(telegram.sent(chat_id=714)) == 7
        await agent.post("/console/api/conversations/tg-714/resolve")
    finally:
        await agent.close(log_out=True)


def redis_refuses_writes(stack: Stack, refuse: bool) -> None:
    """Redis answers every write with an error (and loses nothing), as while it fails over."""
    command = [
        "redis-cli",
        "-p",
        str(stack.redis_port),
        "config",
        "set",
        "min-replicas-to-write",
        "1" if refuse else "0",
    ]
    subprocess.run(command, check=True, capture_output=True)


def test_a_webhook_update_that_failed_is_handled_when_telegram_retries_it(stack: Stack, telegram: BotApiDouble) -> None:
    update = text_update(715, POSTAGE_QUESTION, update_id=next(_next_update))
    redis_refuses_writes(stack, True)
    try:
        failed = post(stack, update)
    finally:
        redis_refuses_writes(stack, False)
    assert failed.status_code == 500
    apology = TEXTS.get("utter_gateway_unavailable")
    assert [t for t in texts_to(telegram, 715)] == [apology]
    assert post(stack, update).status_code == 200  # Telegram's retry
    assert replies_to(telegram, 715, 3)[2]["text"].startswith(POSTAGE_ANSWER)
    assert post(stack, update).status_code == 200  # a retry after success is ignored
    time.sleep(1.5)
    assert len(telegram.sent(chat_id=715)) == 3


async def test_a_customer_who_blocked_the_bot_is_unreachable_without_a_retry_storm(
    stack: Stack, telegram: BotApiDouble, agent_account: str
) -> None:
    telegram.fail("sendMessage", 403, BLOCKED, chat_id=716)
    post(stack, text_update(716, POSTAGE_QUESTION))
    wait_until(lambda: bool(telegram.tries(chat_id=716)), 10, "the first send")
    await asyncio.sleep(3)
    assert [status for status, _, _ in telegram.tries(chat_id=716)] == [403]
    agent = await logged_in(stack.gateway_url, agent_account)
    try:
        conversation = (await agent.http.get("/console/api/conversations/tg-716")).json()
    finally:
        await agent.close(log_out=True)
    assert conversation["delivery"]["unreachable"]["reason"] == BLOCKED
    undelivered = conversation["delivery"]["undelivered"].values()
    assert [u["reason"] for u in undelivered] == ["unreachable", "unreachable"]
    assert sorted(u["text"][:20] for u in undelivered) == sorted([NOTICE[:20], POSTAGE_ANSWER[:20]])


@pytest.fixture(scope="module")
def gateway_without_telegram(stack: Stack) -> Iterator[str]:
    """A second instance with no Telegram token, and a 3-second inactivity survey only it sends."""
    port = free_port()
    stack.start_gateway(
        name="gateway-no-telegram",
        GATEWAY_PORT=str(port),
        TELEGRAM_TOKEN="",
        FEEDBACK_FILE=str(ROOT / "tests" / "data" / "feedback_quick.yml"),
    )
    yield f"http://127.0.0.1:{port}"
    stack.stop("gateway-no-telegram")


def test_a_timed_survey_from_an_instance_without_telegram_reaches_the_customer(
    stack: Stack, telegram: BotApiDouble, gateway_without_telegram: str
) -> None:
    post(stack, text_update(717, POSTAGE_QUESTION))
    replies_to(telegram, 717, 2)
    survey = replies_to(telegram, 717, 3)[2]
    assert survey["text"] == TEXTS.get("utter_csat_question_bot")
    time.sleep(1.5)
    assert len(telegram.sent(chat_id=717)) == 3


async def test_an_agent_reply_made_on_an_instance_without_telegram_reaches_the_customer(
    stack: Stack, telegram: BotApiDouble, gateway_without_telegram: str, agent_account: str
) -> None:
    agent = await logged_in(gateway_without_telegram, agent_account)
    try:
        post(stack, text_update(718, "can I speak to an agent"))
        replies_to(telegram, 718, 3)
        await agent.post("/console/api/conversations/tg-718/claim")
        await agent.post("/console/api/conversations/tg-718/reply", {"text": "Hyun here, from the other instance"})
        assert replies_to(telegram, 718, 5)[4]["text"] == "<b>Hyun</b>\nHyun here, from the other instance"
        await agent.post("/console/api/conversations/tg-718/resolve")
    finally:
        await agent.close(log_out=True)


def test_a_reply_queued_when_the_gateway_is_killed_is_sent_once_after_the_restart(
    stack: Stack, telegram: BotApiDouble
) -> None:
    telegram.fail("sendMessage", 502, "Bad Gateway", chat_id=719)
    post(stack, text_update(719, POSTAGE_QUESTION))
    wait_until(lambda: bool(telegram.tries(chat_id=719)), 10, "the first, failed send")
    stack.kill("gateway")
    telegram.heal()
    stack.start_gateway()
    notice, answer = replies_to(telegram, 719, 2)
    assert (notice["text"][: len(NOTICE)], answer["text"][: len(POSTAGE_ANSWER)]) == (NOTICE, POSTAGE_ANSWER)
    time.sleep(1.5)
    assert len(telegram.sent(chat_id=719)) == 2


def test_the_console_shows_an_unreachable_customer_and_what_never_arrived(
    stack: Stack, telegram: BotApiDouble, agent_account: str, browser: Browser
) -> None:
    telegram.fail("sendMessage", 403, BLOCKED, chat_id=720)
    post(stack, text_update(720, POSTAGE_QUESTION))
    wait_until(lambda: bool(telegram.tries(chat_id=720)), 10, "the first send")
    page = browser.new_context().new_page()
    page.goto(stack.gateway_url + "/console/login")
    page.get_by_label("User name").fill(agent_account)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(stack.gateway_url + "/console")
    page.goto(stack.gateway_url + "/console/conversations/tg-720")
    expect(page.locator("#delivery")).to_contain_text("Unreachable: the customer blocked the bot", timeout=10_000)
    undelivered = page.locator(".entry.undelivered")
    expect(undelivered).to_have_count(2)
    expect(undelivered.last).to_contain_text("Not delivered: the customer blocked the bot")
    expect(page.locator(".entry-customer")).to_contain_text(POSTAGE_QUESTION)
    page.goto("about:blank")  # the console socket closes, and the logout takes the agent offline at once
    csrf = page.context.request.get(stack.gateway_url + "/console/api/me").json()["csrf"]
    assert page.context.request.post(stack.gateway_url + "/console/logout", headers={"X-CSRF-Token": csrf}).ok
    page.context.close()


def test_a_bot_api_time_out_is_retried_and_the_answer_arrives_once(stack: Stack, telegram: BotApiDouble) -> None:
    # python-telegram-bot gives up reading after 5 s; the double answers the first send after 6.
    telegram.fail("sendMessage", 502, "Bad Gateway", chat_id=721, times=1, hang_seconds=6.0)
    post(stack, text_update(721, POSTAGE_QUESTION))
    notice, answer = replies_to(telegram, 721, 2)
    assert (notice["text"][: len(NOTICE)], answer["text"][: len(POSTAGE_ANSWER)]) == (NOTICE, POSTAGE_ANSWER)
    assert [status for status, _, _ in telegram.tries(chat_id=721)] == [502, 200, 200]
    time.sleep(1.5)
    assert len(telegram.sent(chat_id=721)) == 2
