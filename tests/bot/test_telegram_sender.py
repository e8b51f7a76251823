"""How the Telegram sender reads the Bot API's answers, and how polling survives its own failures."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import fakeredis
import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.dispatch import Rejected, RetryLater, Unreachable
from bot.channels.telegram import (
    ButtonStore,
    TelegramSender,
    TelegramStatus,
    chat_of,
    retry_seconds,
    supervise_polling,
)

MESSAGE = {"id": "m1", "role": "agent", "agent": "Mina <3", "text": "Your **refund** is on its way", "buttons": []}


class BotApi:
    """Answers send_message with a chosen error, or records the call."""

    def __init__(self, error: TelegramError | None = None) -> None:
        self.error = error
        self.sent: list[dict[str, Any]] = []

    async def send_message(self, chat_id: int, text: str, **options: Any) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append({"chat_id": chat_id, "text": text, **options})


def sender_for(api: BotApi, status: TelegramStatus | None = None) -> TelegramSender:
    return TelegramSender(api, ButtonStore(fakeredis.FakeAsyncRedis()), status or TelegramStatus("webhook"))  # type: ignore[arg-type]


async def test_a_confirmed_send_is_html_with_the_agents_name_and_counts_as_the_api_answering() -> None:
    api, status = BotApi(), TelegramStatus("webhook")
    await sender_for(api, status).send("tg-42", MESSAGE)
    assert [(m["chat_id"], m["text"]) for m in api.sent] == [
        (42, "<b>Mina &lt;3</b>\nYour <b>refund</b> is on its way")
    ]
    assert status.last_api_ok is not None


@pytest.mark.parametrize(
    ("error", "outcome", "delay"),
    [
        (RetryAfter(7), RetryLater, 7.0),
        (TimedOut(), RetryLater, None),
        (NetworkError("Bad Gateway"), RetryLater, None),
        (Forbidden("Forbidden: bot was blocked by the user"), Unreachable, None),
        (BadRequest("Bad Request: can't parse entities"), Rejected, None),
        (ChatMigrated(-100123), Rejected, None),
    ],
)
async def test_each_bot_api_failure_becomes_a_delivery_decision(
    error: TelegramError, outcome: type[Exception], delay: float | None
) -> None:
    with pytest.raises(outcome) as raised:
        await sender_for(BotApi(error)).send("tg-42", MESSAGE)
    if isinstance(raised.value, RetryLater):
        assert raised.value.seconds == delay


async def test_a_conversation_of_another_channel_is_rejected_not_sent() -> None:
    api = BotApi()
    with pytest.raises(Rejected):
        await sender_for(api).send("web-abc", MESSAGE)
    assert api.sent == []
    with pytest.raises(ValueError, match="not a Telegram conversation"):
        chat_of("web-abc")


def test_flood_control_delay_is_read_in_either_form() -> None:
    assert retry_seconds(RetryAfter(3)) == 3.0
    assert retry_seconds(RetryAfter(timedelta(seconds=90))) == 90.0


class BrokenPolling:
    """A channel whose first getUpdates raises something unexpected, then has nothing."""

    def __init__(self) -> None:
        self.bot = self
        self.calls = 0
        self.polled_again = asyncio.Event()

    async def get_updates(self, **_: Any) -> list[Any]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("a bug in the polling loop")
        self.polled_again.set()
        await asyncio.sleep(3600)
        return []


async def test_polling_that_dies_is_restarted_and_the_restart_reported() -> None:
    channel, status = BrokenPolling(), TelegramStatus("polling")
    status.polling = asyncio.create_task(supervise_polling(channel, status))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(channel.polled_again.wait(), 5)
        assert status.polling_restarts == 1
        assert not status.polling.done()
    finally:
        status.polling.cancel()
        await asyncio.gather(status.polling, return_exceptions=True)
