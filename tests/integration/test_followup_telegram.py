"""A follow-up on Telegram: the promise, the agent's answer in the chat, the customer's reply back to the agent."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from bot.followups import due_after, promised_time
from bot.texts import Texts
from support.hours import OpeningHours, read_support_file
from tests.integration.stack import ROOT, Stack, wait_until
from tests.integration.telegram_double import BotApiDouble
from tests.integration.test_feedback_telegram import press
from tests.integration.test_telegram_channel import post, text_update

# Chats these tests queue leave the queue afterwards, so later tests' queue places are theirs.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("browser_queue_left_as_found")]
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "followup-telegram-password"
OPENING = OpeningHours.from_config(read_support_file(ROOT / "tests" / "data" / "support_always_open.yml"))
CUSTOMER = 7_301


def message_with(telegram: BotApiDouble, text: str) -> dict[str, Any]:
    """The first message to the customer whose text contains ``text``, once it was sent."""
    found: list[dict[str, Any]] = []

    def sent() -> bool:
        found[:] = [m for m in telegram.sent(chat_id=CUSTOMER) if text in m.get("text", "")]
        return bool(found)

    wait_until(sent, 20, f"a Telegram message with {text!r}")
    return found[0]


def test_a_telegram_customer_is_answered_in_telegram_and_their_reply_reaches_the_agent(
    stack: Stack, telegram: BotApiDouble
) -> None:
    stack.add_user("jun", "agent", "Jun", PASSWORD)
    post(stack, text_update(CUSTOMER, "what do you charge for postage"))
    post(stack, text_update(CUSTOMER, "bye"))
    question = message_with(telegram, TEXTS.get("utter_csat_question_bot"))
    [faces] = question["reply_markup"]["inline_keyboard"]
    press(stack, CUSTOMER, faces[0], message_id=501)
    message_with(telegram, TEXTS.get("utter_csat_comment"))
    comment = "The courier left my parcel in the rain"
    before = time.time()
    post(stack, text_update(CUSTOMER, comment))
    promise = message_with(telegram, TEXTS.get("utter_csat_thanks_negative").partition("{due}")[0])
    after = time.time()

    with httpx.Client(base_url=stack.gateway_url, timeout=20) as agent:
        agent.post("/console/login", json={"name": "jun", "password": PASSWORD}).raise_for_status()
        headers = {"X-CSRF-Token": agent.get("/console/api/me").json()["csrf"]}
        listed = agent.get("/console/api/follow-ups").json()["follow_ups"]
        [followup] = [f for f in listed if f["comment"] == comment]
        assert (followup["channel"], followup["language"], followup["score"], followup["owner"]) == (
            "telegram",
            "en",
            1,
            "",
        )
        assert followup["customer"].startswith("Guest ")
        due = datetime.fromtimestamp(followup["due"], OPENING.timezone)
        assert due in (due_after(OPENING, before), due_after(OPENING, after))
        assert promise["text"] == TEXTS.get("utter_csat_thanks_negative").format(due=promised_time(due, "en"))

        taken = agent.post(f"/console/api/follow-ups/{followup['id']}/take", headers=headers)
        assert taken.status_code == 200, taken.text
        assert taken.json()["owner"] == "jun"
        conversation = followup["conversation"]
        answer = "Sorry about that: a new parcel leaves today."
        agent.post(f"/console/api/conversations/{conversation}/reply", json={"text": answer}, headers=headers)
        assert message_with(telegram, answer)["text"] == f"<b>Jun</b>\n{answer}"

        post(stack, text_update(CUSTOMER, "Thanks Jun"))

        def reply_reached_the_agent() -> bool:
            transcript = agent.get(f"/console/api/conversations/{conversation}").json()["transcript"]
            return bool([(e["role"], e["text"]) for e in transcript][-1] == ("customer", "Thanks Jun"))

        wait_until(reply_reached_the_agent, 20, "the customer's reply in the agent's conversation")
        handoff = agent.get(f"/console/api/conversations/{conversation}").json()["handoff"]
        assert (handoff["state"], handoff["agent"], handoff["reason"]) == ("agent", "jun", "follow_up")

        done = agent.post(f"/console/api/follow-ups/{followup['id']}/done", json={"note": "Resent"}, headers=headers)
        assert done.json()["history"][-1]["note"] == "Resent"
        assert agent.get(f"/console/api/conversations/{conversation}").json()["handoff"] is None
        agent.post("/console/logout", headers=headers).raise_for_status()
