"""Telegram through the real python-telegram-bot, against a local Bot API double."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import redis

from tests.integration.stack import TELEGRAM_SECRET, Stack, free_port, wait_until
from tests.integration.telegram_double import BotApiDouble

pytestmark = pytest.mark.integration
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_next_update = iter(range(900_000, 999_999))


def text_update(user_id: int, text: str, update_id: int | None = None) -> dict[str, Any]:
    chat = {"id": user_id, "type": "private", "first_name": "Hana"}
    return {
        "update_id": update_id or next(_next_update),
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Hana"},
            "text": text,
        },
    }


def button_update(user_id: int, data: str, query_id: str, update_id: int | None = None) -> dict[str, Any]:
    """A press of an inline button (its callback data) on message 77 of the chat."""
    return {
        "update_id": update_id or next(_next_update),
        "callback_query": {
            "id": query_id,
            "from": {"id": user_id, "is_bot": False, "first_name": "Hana"},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 77,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "text": "q",
            },
        },
    }


def post(stack: Stack, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return httpx.post(f"{stack.gateway_url}/telegram/webhook", json=update, headers=headers, timeout=20)


def replies_to(telegram: BotApiDouble, chat_id: int, count: int) -> list[dict[str, Any]]:
    wait_until(lambda: len(telegram.sent(chat_id=chat_id)) >= count, 15, f"{count} Telegram replies")
    return telegram.sent(chat_id=chat_id)


def test_webhook_is_registered_with_the_secret(stack: Stack, telegram: BotApiDouble) -> None:
    # Every gateway instance registers the same public URL (other tests start more instances).
    registrations = telegram.sent("setWebhook")
    assert registrations
    assert {(r["url"], r["secret_token"]) for r in registrations} == {
        (f"{stack.gateway_url}/telegram/webhook", TELEGRAM_SECRET)
    }


def test_text_message_is_answered_and_the_first_name_kept(stack: Stack, telegram: BotApiDouble) -> None:
    assert post(stack, text_update(501, "hi")).status_code == 200
    replies = replies_to(telegram, 501, 2)
    assert replies[0]["text"].startswith("Before we start: I keep this chat for 90 days")
    assert replies[1]["text"].startswith("Hi, I'm Maru's assistant.")
    profile = redis.Redis.from_url(stack.redis_url).hgetall("profile:tg-501")
    assert profile[b"name"] == b"Hana"


def test_inline_button_press_is_acknowledged_and_sent_as_payload(stack: Stack, telegram: BotApiDouble) -> None:
    post(stack, text_update(502, "delete my data"))
    question = replies_to(telegram, 502, 2)[-1]
    keyboard = question["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Yes, delete my data", "No, keep it"]
    press = button_update(502, keyboard[1][0]["callback_data"], "cb-1")
    assert post(stack, press).status_code == 200
    assert replies_to(telegram, 502, 3)[-1]["text"] == "OK, I haven't deleted anything."
    assert [c["callback_query_id"] for c in telegram.sent("answerCallbackQuery")].count("cb-1") == 1
    assert telegram.sent("editMessageReplyMarkup", chat_id=502)[0]["message_id"] == 77


def test_duplicate_update_is_processed_once(stack: Stack, telegram: BotApiDouble) -> None:
    update = text_update(503, "what do you charge for postage", update_id=next(_next_update))
    post(stack, update)
    replies_to(telegram, 503, 2)
    post(stack, update)
    time.sleep(1)
    assert len(telegram.sent(chat_id=503)) == 2


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_webhook_without_the_secret_is_forbidden(stack: Stack, telegram: BotApiDouble, secret: str | None) -> None:
    before = len(telegram.calls)
    response = post(stack, text_update(504, "hi"), secret=secret)
    assert response.status_code == 403
    assert len(telegram.calls) == before


def test_broken_json_is_refused(stack: Stack) -> None:
    response = httpx.post(
        f"{stack.gateway_url}/telegram/webhook",
        content=b"{not json",
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        timeout=5,
    )
    assert response.status_code == 400


# Found by scripts/fuzz_gateway.py: each of these was a 500.
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"update_id": 590001, "message": {"message_id": 1, "date": 0, "text": "\\ud800"}}',
        b'{"update_id": 590002, "message": "hello"}',
        b'{"update_id": 590003, "message": {"message_id": 1, "text": "no date, no chat"}}',
        b'{"update_id": 590004, "callback_query": {"id": "1"}}',
    ],
)
def test_a_malformed_update_is_refused(stack: Stack, body: bytes) -> None:
    response = httpx.post(
        f"{stack.gateway_url}/telegram/webhook", content=body, headers={SECRET_HEADER: TELEGRAM_SECRET}, timeout=5
    )
    assert response.status_code == 400


def test_a_secret_header_of_bytes_that_are_not_text_is_forbidden(stack: Stack) -> None:
    headers = {SECRET_HEADER.encode(): b"\xff\xfe"}
    response = httpx.post(f"{stack.gateway_url}/telegram/webhook", json=text_update(510, "hi"), headers=headers)
    assert response.status_code == 403


# Found by scripts/fuzz_gateway.py: a traceback, then a 500 (the apology failed on it too).
def test_a_text_that_is_not_a_string_gets_the_text_only_answer(stack: Stack, telegram: BotApiDouble) -> None:
    update = text_update(509, "")
    update["message"]["text"] = {"not": "a string"}
    assert post(stack, update).status_code == 200
    assert replies_to(telegram, 509, 1)[0]["text"].startswith("I can only read text messages for now.")


def test_photo_gets_a_friendly_answer(stack: Stack, telegram: BotApiDouble) -> None:
    update = text_update(505, "")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "f1", "file_unique_id": "u1", "width": 90, "height": 90}]
    assert post(stack, update).status_code == 200
    assert replies_to(telegram, 505, 1)[0]["text"] == (
        "I can only read text messages for now. Please describe what you need in words, and I'll help."
    )


def test_an_edited_message_is_answered_as_the_corrected_question(stack: Stack, telegram: BotApiDouble) -> None:
    update = text_update(506, "what do you charge for postage")
    update["edited_message"] = {**update.pop("message"), "edit_date": int(time.time())}
    assert post(stack, update).status_code == 200
    assert replies_to(telegram, 506, 2)[1]["text"].startswith("Standard delivery costs ₩3,000")


def test_a_photo_with_a_caption_is_answered_by_its_caption(stack: Stack, telegram: BotApiDouble) -> None:
    update = text_update(508, "")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "f2", "file_unique_id": "u2", "width": 90, "height": 90}]
    update["message"]["caption"] = "what do you charge for postage"
    assert post(stack, update).status_code == 200
    assert replies_to(telegram, 508, 2)[1]["text"].startswith("Standard delivery costs ₩3,000")


def test_polling_mode_without_a_public_url(stack: Stack, telegram: BotApiDouble) -> None:
    telegram.pending_updates.append(text_update(507, "what do you charge for postage"))
    stack.start_gateway(name="gateway-polling", GATEWAY_PORT=str(free_port()), PUBLIC_URL="")
    try:
        # Polling starts in a task after the server is up, so the health check can come first.
        wait_until(lambda: bool(telegram.sent("deleteWebhook")), 15, "the switch to polling (deleteWebhook)")
        notice, answer = replies_to(telegram, 507, 2)[:2]
        assert notice["text"].startswith("Before we start: I keep this chat for 90 days")
        assert answer["text"].startswith("Standard delivery costs ₩3,000")
    finally:
        stack.stop("gateway-polling")
