"""Ratings in Telegram: inline keyboards, stored once, keyboard removed after the press."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from bot.store.feedback import day_of
from bot.texts import Texts
from tests.integration.stack import ROOT, Stack
from tests.integration.telegram_double import BotApiDouble
from tests.integration.test_telegram_channel import post, replies_to, text_update

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
_next_update = iter(range(700_000, 799_999))


def press(stack: Stack, user_id: int, button: dict[str, Any], message_id: int) -> None:
    update = {
        "update_id": next(_next_update),
        "callback_query": {
            "id": f"cb-{message_id}-{time.monotonic_ns()}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Hana"},
            "chat_instance": "ci",
            "data": button["callback_data"],
            "message": {"message_id": message_id, "date": int(time.time()), "chat": {"id": user_id, "type": "private"}},
        },
    }
    assert post(stack, update).status_code == 200


def counters(stack: Stack, before: dict[str, int] | None = None) -> dict[str, int]:
    """Today's Telegram counters; with ``before``, only what changed since (other tests count too)."""
    raw = redis.Redis.from_url(stack.redis_url).hgetall(f"stats:{day_of(time.time())}")
    now = {k.decode(): int(v) for k, v in raw.items() if b"|telegram|" in k}
    earlier = before or {}
    return {k: v - earlier.get(k, 0) for k, v in now.items() if v != earlier.get(k, 0)}


def test_thumbs_and_the_end_of_chat_rating_in_telegram(stack: Stack, telegram: BotApiDouble) -> None:
    before = counters(stack)
    post(stack, text_update(701, "what do you charge for postage"))
    answer = replies_to(telegram, 701, 2)[-1]
    [thumbs] = answer["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in thumbs] == ["👍", "👎"]

    press(stack, 701, thumbs[0], message_id=88)
    assert replies_to(telegram, 701, 3)[-1]["text"] == TEXTS.get("utter_rating_thanks")
    assert telegram.sent("editMessageReplyMarkup", chat_id=701)[-1]["message_id"] == 88
    assert counters(stack, before) == {"thumbs_up|telegram|en|shipping_cost": 1}

    press(stack, 701, thumbs[1], message_id=88)  # a second rating of the same answer
    assert replies_to(telegram, 701, 4)[-1]["text"] == TEXTS.get("utter_rating_duplicate")
    assert counters(stack, before) == {"thumbs_up|telegram|en|shipping_cost": 1}

    post(stack, text_update(701, "bye"))
    question = replies_to(telegram, 701, 6)[-1]
    assert question["text"] == TEXTS.get("utter_csat_question_bot")
    [faces] = question["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in faces] == ["😞", "😐", "😊"]
    press(stack, 701, faces[2], message_id=90)
    prompt = replies_to(telegram, 701, 7)[-1]
    assert prompt["text"] == TEXTS.get("utter_csat_comment")
    assert telegram.sent("editMessageReplyMarkup", chat_id=701)[-1]["message_id"] == 90
    press(stack, 701, prompt["reply_markup"]["inline_keyboard"][0][0], message_id=91)
    assert replies_to(telegram, 701, 8)[7]["text"] == TEXTS.get("utter_csat_thanks_positive")
    assert counters(stack, before)["csat|telegram|en|3"] == 1
