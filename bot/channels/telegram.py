"""Telegram through python-telegram-bot: webhook in production, polling for local development.

Every update is handled once: its ``update_id`` is marked done in Redis only after
it was handled, so Telegram's retry of a failed update is handled and a retry of a
handled one is not. One update's failure never stops the channel. Replies are not
sent here: they go through the durable outbox, and ``TelegramSender`` sends them
for the dispatcher (``bot.channels.dispatch``). Buttons become inline keyboards;
an edited message is answered as the corrected question, a photo by its caption.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.dispatch import Dispatcher, DispatchPolicy, Rejected, RetryLater, Unreachable
from bot.conversation import LANGUAGE_HINT, Conversations, Incoming, StoreUnavailable
from bot.delivery import Delivery
from bot.observability.metrics import GatewayMetrics
from bot.rendering import segments
from bot.request_body import parsed_json
from bot.store.limits import UpdateLog

# python-telegram-bot's next major version gives time periods as timedelta; opting in now
# (its documented switch) avoids a deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")
logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BUTTON_TTL_SECONDS = 30 * 24 * 3600
POLL_TIMEOUT_SECONDS = 20
RATING_PAYLOADS = ("/rate_answer:", "/csat:", "/nps:")
SCALE_ROW = 6


def telegram_html(text: str) -> str:
    """The message as Telegram HTML: escaped text with bold and safe links only."""
    parts = []
    for segment in segments(text):
        if segment.get("break"):
            parts.append("\n")
            continue
        piece = html.escape(segment["text"], quote=False)
        if segment.get("bold"):
            piece = f"<b>{piece}</b>"
        if segment.get("href"):
            piece = f'<a href="{html.escape(segment["href"], quote=True)}">{piece}</a>'
        parts.append(piece)
    return "".join(parts)


def keyboard_rows(buttons: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    """One row per choice, but rating scales (thumbs, faces, 0–10) side by side, at most 6 to a row."""
    rows: list[list[dict[str, str]]] = []
    scale: list[dict[str, str]] = []
    for button in buttons:
        if button["payload"].startswith(RATING_PAYLOADS):
            scale.append(button)
        else:
            rows.append([button])
    rows += [scale[i : i + SCALE_ROW] for i in range(0, len(scale), SCALE_ROW)]
    return rows


class ButtonStore:
    """Maps short callback data (Telegram allows 64 bytes) to the button's payload and title."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def remember(self, button: dict[str, str]) -> str:
        """The callback data for a button."""
        encoded = json.dumps(button, sort_keys=True)
        key = "b:" + hashlib.sha256(encoded.encode()).hexdigest()[:32]
        await self._redis.set(f"tgbutton:{key}", encoded, ex=BUTTON_TTL_SECONDS)
        return key

    async def recall(self, key: str) -> dict[str, str] | None:
        """The button behind callback data, if it is known."""
        raw = await self._redis.get(f"tgbutton:{key}")
        return json.loads(raw) if raw else None


def chat_of(conversation: str) -> int:
    """The Telegram chat of a conversation id (``tg-<user id>``).

    Raises:
        ValueError: the conversation is not a Telegram one.
    """
    if not conversation.startswith("tg-"):
        raise ValueError(f"not a Telegram conversation: {conversation}")
    return int(conversation.removeprefix("tg-"))


def retry_seconds(error: RetryAfter) -> float:
    """Telegram's flood-control delay in seconds."""
    delay = error.retry_after
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


@dataclass
class TelegramStatus:
    """What ``/health`` says about this instance's Telegram connection."""

    mode: str
    last_api_ok: float | None = None
    polling_restarts: int = 0
    polling: asyncio.Task[None] | None = None
    dispatch: asyncio.Task[None] | None = None

    def api_ok(self) -> None:
        """A Bot API call just succeeded."""
        self.last_api_ok = time.time()

    def report(self) -> dict[str, Any]:
        """The status as JSON."""
        receiving = self.mode == "webhook" or (self.polling is not None and not self.polling.done())
        sending = self.dispatch is not None and not self.dispatch.done()
        return {
            "mode": self.mode,
            "alive": receiving and sending,
            "last_api_ok": self.last_api_ok,
            "polling_restarts": self.polling_restarts,
        }


class TelegramSender:
    """Sends one queued message with the Bot API and says how a failure should be handled."""

    def __init__(self, bot: Bot, buttons: ButtonStore, status: TelegramStatus) -> None:
        self._bot = bot
        self._buttons = buttons
        self._status = status

    async def send(self, conversation: str, message: dict[str, Any]) -> None:
        """Sends the message as HTML with its buttons as an inline keyboard."""
        try:
            chat_id = chat_of(conversation)
        except ValueError as error:
            raise Rejected(str(error)) from error
        markup = None
        if message.get("buttons"):
            rows = keyboard_rows(message["buttons"])
            markup = InlineKeyboardMarkup([await self._keyboard_row(row) for row in rows])
        text = telegram_html(message["text"])
        if message.get("role") == "agent" and message.get("agent"):
            text = f"<b>{html.escape(message['agent'], quote=False)}</b>\n{text}"
        try:
            await self._bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except RetryAfter as error:
            raise RetryLater(str(error), retry_seconds(error)) from error
        except Forbidden as error:
            raise Unreachable(error.message) from error
        except (BadRequest, ChatMigrated) as error:
            raise Rejected(error.message) from error
        except TelegramError as error:
            # Time-outs, 5xx and a token Telegram refuses: all may pass, and the deadline bounds them.
            raise RetryLater(error.message) from error
        self._status.api_ok()

    async def _keyboard_row(self, buttons: list[dict[str, str]]) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(b["title"], callback_data=await self._buttons.remember(b)) for b in buttons]


class TelegramChannel:
    """Turns Telegram updates into customer messages; replies go out through the outbox."""

    def __init__(
        self,
        bot: Bot,
        conversations: Conversations,
        redis: Redis,
        delivery: Delivery,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.bot = bot
        # Redis errors met outside a conversation turn are counted (a metrics object of its own for tests).
        self._metrics = metrics or GatewayMetrics()
        self._conversations = conversations
        self._delivery = delivery
        self._updates = UpdateLog(redis, "telegram")
        self.buttons = ButtonStore(redis)

    async def process(self, update: Update) -> bool:
        """Handles one update once; False if it failed and should be delivered again (Redis was down).

        An update that fails for another reason is logged and not retried: it would
        fail again. Nothing raised here stops the channel for other customers.
        """
        try:
            if not await self._updates.claim(update.update_id):
                return True
            await self._handle(update)
        except (StoreUnavailable, RedisError) as error:
            logger.warning("telegram update %s not handled, Redis unavailable: %s", update.update_id, error)
            if isinstance(error, RedisError):  # StoreUnavailable was counted where it was raised
                self._metrics.redis_error("telegram")
            with contextlib.suppress(RedisError):
                await self._updates.release(update.update_id)
            await self._apologise(update)
            return False
        except Exception:
            logger.exception("telegram update %s failed", update.update_id)
            await self._apologise(update)
        with contextlib.suppress(RedisError):
            await self._updates.done(update.update_id)
        return True

    async def _handle(self, update: Update) -> None:
        if update.callback_query is not None:
            # Telegram always says who pressed; an update that does not is not Telegram's.
            if update.callback_query.from_user is not None:
                await self._button_pressed(update.callback_query)
            return
        message = update.effective_message
        text = _text_of(message)
        if message is not None and text:
            await self._text(message, text)
        elif update.effective_chat is not None and update.effective_user is not None:
            conversation = f"tg-{update.effective_user.id}"
            await self._say(conversation, "utter_text_only")

    async def _text(self, message: Message, text: str) -> None:
        user = message.from_user
        sender = user.id if user else message.chat.id
        incoming = Incoming(
            conversation=f"tg-{sender}",
            channel="telegram",
            text=text,
            metadata={"origin": f"telegram:{sender}", **_user_metadata(user)},
        )
        await self._delivery.queue.reachable_again(incoming.conversation)
        await self._conversations.handle(incoming)

    async def _button_pressed(self, query: CallbackQuery) -> None:
        await _cosmetic("answering a button press", query.answer())
        message = query.message
        if isinstance(message, Message):
            await _cosmetic("removing a keyboard", message.edit_reply_markup(reply_markup=None))
        conversation = f"tg-{query.from_user.id}"
        await self._delivery.queue.reachable_again(conversation)
        button = await self.buttons.recall(query.data or "")
        if button is None:
            await self._say(conversation, "utter_button_expired")
            return
        incoming = Incoming(
            conversation=conversation,
            channel="telegram",
            text=button["payload"],
            shown_text=button["title"],
            metadata={"origin": f"telegram:{query.from_user.id}", **_user_metadata(query.from_user)},
        )
        await self._conversations.handle(incoming)

    async def _say(self, conversation: str, response: str) -> None:
        """A text of the gateway's own, in the conversation's language."""
        language = await self._conversations.language_of(conversation)
        await self._delivery.notify(conversation, "telegram", self._conversations.system(response, language))

    async def _apologise(self, update: Update) -> None:
        """Tells the customer directly (the outbox is in Redis, which is down) that the chat is unavailable."""
        if update.effective_chat is None:
            return
        written = _text_of(update.effective_message)
        hint = update.effective_user.language_code if update.effective_user else None
        language = self._conversations.offline_language(written, hint)
        text = telegram_html(self._conversations.system("utter_gateway_unavailable", language)["text"])
        await _cosmetic("apologising", self.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML))


def _text_of(message: Message | None) -> str:
    """What the customer wrote: the text, or a photo's caption (an edited message is the corrected question).

    python-telegram-bot does not check types: a text or caption that is not a string is none.
    """
    if message is None:
        return ""
    written = message.text or message.caption
    return written if isinstance(written, str) else ""


def _user_metadata(user: User | None) -> dict[str, Any]:
    """What Telegram tells about the sender: the first name, and the app's language as a hint."""
    if user is None:
        return {}
    return {"first_name": user.first_name, LANGUAGE_HINT: user.language_code}


async def _cosmetic(what: str, call: Awaitable[Any]) -> None:
    """Runs a Bot API call whose failure must not stop the update: a double tap's second edit, say."""
    try:
        await call
    except TelegramError as error:
        logger.info("telegram: %s failed, going on: %s", what, error)


def telegram_blueprint() -> Blueprint:
    """POST /telegram/webhook, checked against the webhook secret."""
    telegram = Blueprint("telegram")

    @telegram.post("/telegram/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        settings = request.app.ctx.settings
        secret = settings.telegram_webhook_secret
        header = request.headers.get(SECRET_HEADER, "")
        # compare_digest raises on non-ASCII text; such a header is simply not the secret.
        if secret is None or not header.isascii() or not hmac.compare_digest(header, secret.value):
            return json_response({"error": "forbidden"}, status=403)
        try:
            data = parsed_json(request.body or b"")
        except ValueError:
            return json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return json_response({"error": "not a Telegram update"}, status=400)
        channel: TelegramChannel = request.app.ctx.telegram
        try:
            update = Update.de_json(data, channel.bot)
        except Exception:
            # python-telegram-bot builds its objects straight from the JSON: a malformed update
            # fails with whatever a constructor raises (KeyError, TypeError, OverflowError ...).
            logger.info("refused malformed telegram update %s", data["update_id"])
            return json_response({"error": "not a Telegram update"}, status=400)
        if not await channel.process(update):
            # Telegram delivers the update again later; it was not marked as handled.
            return json_response({"error": "temporarily unavailable"}, status=500)
        return json_response({"ok": True})

    return telegram


def telegram_listeners(app: Sanic) -> None:
    """Starts the bot with the server: a webhook with a public URL, polling without one, and the sender."""

    async def start_telegram(app: Sanic, _: object) -> None:
        settings = app.ctx.settings
        bot = Bot(settings.telegram_token.value, base_url=f"{settings.telegram_api_url}/bot")
        app.ctx.telegram_status = TelegramStatus("webhook" if settings.public_url else "polling")
        app.ctx.telegram = TelegramChannel(bot, app.ctx.conversations, app.ctx.redis, app.ctx.delivery, app.ctx.metrics)
        # Connecting waits for Telegram if it is down; the gateway serves the web meanwhile.
        app.ctx.telegram_start = asyncio.create_task(connect(app))

    async def stop_telegram(app: Sanic, _: object) -> None:
        app.ctx.delivery.immediate.pop("telegram", None)
        status = app.ctx.telegram_status
        tasks = [t for t in (app.ctx.telegram_start, status.dispatch, status.polling) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.ctx.telegram.bot.shutdown()

    app.register_listener(start_telegram, "after_server_start")
    app.register_listener(stop_telegram, "before_server_stop")


async def connect(app: Sanic) -> None:
    """Logs in to the Bot API, starts the sender, and registers the webhook or starts polling."""
    settings, channel, status = app.ctx.settings, app.ctx.telegram, app.ctx.telegram_status
    await _keep_trying("connecting", channel.bot.initialize)
    status.api_ok()
    dispatcher = Dispatcher(
        "telegram",
        app.ctx.delivery.queue,
        TelegramSender(channel.bot, channel.buttons, status),
        app.ctx.delivery.report,
        time.time,
        DispatchPolicy(deadline_seconds=settings.delivery_deadline_seconds),
    )
    status.dispatch = asyncio.create_task(dispatcher.run())
    # Replies queued here are sent at once, as they were before the outbox; the loop sends the rest.
    app.ctx.delivery.immediate["telegram"] = dispatcher
    if settings.public_url:
        url, secret = f"{settings.public_url}/telegram/webhook", settings.telegram_webhook_secret.value
        await _keep_trying("registering the webhook", lambda: channel.bot.set_webhook(url, secret_token=secret))
    else:
        await _keep_trying("switching to polling", channel.bot.delete_webhook)
        status.polling = asyncio.create_task(supervise_polling(channel, status))


async def supervise_polling(channel: TelegramChannel, status: TelegramStatus) -> None:
    """Runs the polling loop, and starts it again if it ever dies."""
    while True:
        try:
            await poll(channel, status)
        except asyncio.CancelledError:
            raise
        except Exception:
            status.polling_restarts += 1
            logger.exception("telegram polling stopped; restarting it (restart %d)", status.polling_restarts)
            await asyncio.sleep(1.0)


async def poll(channel: TelegramChannel, status: TelegramStatus) -> None:
    """Long-polls getUpdates for local development, backing off while Telegram or Redis is unreachable.

    The offset moves past an update only once it was handled, so an update that
    failed while Redis was down is fetched and handled again.
    """
    offset, delay = None, 1.0
    while True:
        try:
            updates = await channel.bot.get_updates(offset=offset, timeout=POLL_TIMEOUT_SECONDS)
            status.api_ok()
            delay = 1.0
        except TelegramError as error:
            logger.warning("telegram polling failed: %s; retrying in %.0f s", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
            continue
        for update in updates:
            if not await channel.process(update):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                break
            offset = update.update_id + 1


async def _keep_trying(what: str, call: Callable[[], Awaitable[Any]]) -> None:
    """Retries a start-up call while Telegram is unreachable, so the gateway still starts."""
    delay = 1.0
    while True:
        try:
            await call()
            return
        except (NetworkError, RetryAfter) as error:
            logger.warning("telegram: %s failed: %s; retrying in %.0f s", what, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
