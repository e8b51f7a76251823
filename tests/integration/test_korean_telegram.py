"""A Korean customer on Telegram (python-telegram-bot against the local Bot API double)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml

from bot.channels.telegram import telegram_html
from bot.texts import Texts
from knowledge import KnowledgeBase
from tests.integration.stack import ROOT, Stack
from tests.integration.telegram_double import BotApiDouble
from tests.integration.test_telegram_channel import button_update, post, replies_to

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
KNOWLEDGE = KnowledgeBase.load(ROOT / "data" / "knowledge")
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
# Distinct from the other Telegram modules' update ids; users 6701-6705 are this module's alone.
_next_update = iter(range(600_000, 699_999))


def korean_update(user_id: int, text: str, language_code: str | None = "ko") -> dict[str, Any]:
    """A text message from a user whose Telegram app is set to ``language_code``."""
    sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "지민"}
    if language_code:
        sender["language_code"] = language_code
    return {
        "update_id": next(_next_update),
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "지민"},
            "from": sender,
            "text": text,
        },
    }


def plain(response: str, **values: str) -> str:
    """A response as Telegram shows it (its HTML entities decoded), for comparing with what was sent."""
    return TEXTS.get(response, "ko").format(**values)


def test_a_korean_question_is_answered_in_korean_with_the_privacy_notice_first(
    stack: Stack, telegram: BotApiDouble
) -> None:
    assert post(stack, korean_update(6701, "택배비가 얼마 붙어요?")).status_code == 200
    notice, answer = replies_to(telegram, 6701, 2)
    assert notice["text"] == telegram_html(plain("utter_privacy_notice"))
    faq = KNOWLEDGE.get("shipping_cost", "ko")
    assert faq is not None
    assert answer["text"].startswith(telegram_html(faq.answer)[:30])
    thumbs = [button["text"] for row in answer["reply_markup"]["inline_keyboard"] for button in row]
    assert thumbs == [plain("utter_button_thumbs_up"), plain("utter_button_thumbs_down")]


def test_the_app_language_decides_a_first_message_without_letters(stack: Stack, telegram: BotApiDouble) -> None:
    post(stack, korean_update(6702, "10421", language_code="ko"))
    replies = replies_to(telegram, 6702, 2)
    assert replies[0]["text"] == telegram_html(plain("utter_privacy_notice"))


def test_korean_wins_over_an_english_app(stack: Stack, telegram: BotApiDouble) -> None:
    post(stack, korean_update(6703, "안녕하세요 주문 관련해서 문의드려요", language_code="en"))
    replies = replies_to(telegram, 6703, 2)
    assert replies[0]["text"] == telegram_html(plain("utter_privacy_notice"))


@pytest.mark.usefixtures("queue_left_as_found")
def test_a_korean_request_for_a_person_is_queued_in_korean(stack: Stack, telegram: BotApiDouble) -> None:
    post(stack, korean_update(6704, "사람 상담원이랑 얘기하고 싶어요"))
    replies = replies_to(telegram, 6704, 2)
    assert any("상담원" in reply["text"] for reply in replies[1:])
    assert all(reply["text"] != telegram_html(TEXTS.get("utter_default", "en")) for reply in replies)


def test_a_korean_button_press_stays_in_korean(stack: Stack, telegram: BotApiDouble) -> None:
    post(stack, korean_update(6705, "제 정보 전부 삭제해 주세요"))
    question = replies_to(telegram, 6705, 2)[-1]
    keyboard = question["reply_markup"]["inline_keyboard"]
    titles = [row[0]["text"] for row in keyboard]
    assert titles == [button["title"] for button in _korean_buttons("utter_ask_confirm_delete")]
    press = button_update(6705, keyboard[1][0]["callback_data"], "cb-ko-1", update_id=next(_next_update))
    assert post(stack, press).status_code == 200
    assert replies_to(telegram, 6705, 3)[-1]["text"] == telegram_html(plain("utter_delete_cancelled"))


def _korean_buttons(response: str) -> list[dict[str, str]]:
    for variation in DOMAIN["responses"][response]:
        if any(c.get("value") == "ko" for c in variation.get("condition") or []):
            return list(variation.get("buttons") or [])
    raise AssertionError(f"{response} has no Korean variation")
