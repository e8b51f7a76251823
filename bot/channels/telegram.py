"""Telegram through python-telegram-bot: webhook in production, polling for local development.

Every update is processed at most once (its ``update_id`` is remembered in Redis),
buttons become inline keyboards, and anything that is not text gets a friendly answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.conversation import Conversations, Incoming, StoreUnavailable
from bot.rendering import segments
from bot.store.limits import first_time_seen

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


class TelegramChannel:
    """Turns Telegram updates into customer messages and replies into Telegram messages."""

    def __init__(self, bot: Bot, conversations: Conversations, redis: Redis) -> None:
        self.bot = bot
        self._conversations = conversations
        self._redis = redis
        self._buttons = ButtonStore(redis)

    async def process(self, update: Update) -> None:
        """Handles one update, unless it was handled before."""
        try:
            if not await first_time_seen(self._redis, "telegram", update.update_id):
                return
            if update.callback_query is not None:
                await self._button_pressed(update.callback_query)
            elif update.message is not None and update.message.text:
                await self._text(update.message)
            elif update.effective_chat is not None:
                await self._send(update.effective_chat.id, [self._conversations.system("utter_text_only")])
        except (StoreUnavailable, RedisError):
            if update.effective_chat is not None:
                await self._send(update.effective_chat.id, [self._conversations.system("utter_gateway_unavailable")])

    async def _text(self, message: Message) -> None:
        user = message.from_user
        sender = user.id if user else message.chat.id
        incoming = Incoming(
            conversation=f"tg-{sender}",
            channel="telegram",
            text=message.text or "",
            metadata={"origin": f"telegram:{sender}", **({"first_name": user.first_name} if user else {})},
        )
        await self._send(message.chat.id, await self._conversations.handle(incoming))

    async def _button_pressed(self, query: CallbackQuery) -> None:
        await query.answer()
        button = await self._buttons.recall(query.data or "")
        message = query.message
        if isinstance(message, Message):
            await message.edit_reply_markup(reply_markup=None)
        chat_id = message.chat.id if message is not None else query.from_user.id
        if button is None:
            await self._send(chat_id, [self._conversations.system("utter_button_expired")])
            return
        incoming = Incoming(
            conversation=f"tg-{query.from_user.id}",
            channel="telegram",
            text=button["payload"],
            shown_text=button["title"],
            metadata={"origin": f"telegram:{query.from_user.id}", "first_name": query.from_user.first_name},
        )
        await self._send(chat_id, await self._conversations.handle(incoming))

    async def push(self, conversation: str, replies: list[dict[str, Any]]) -> None:
        """Sends messages the customer did not just ask for (an agent's reply, a notice)."""
        try:
            await self._send(int(conversation.removeprefix("tg-")), replies)
        except (TelegramError, ValueError) as error:
            logger.warning("could not push to Telegram conversation %s: %s", conversation, error)

    async def _keyboard_row(self, buttons: list[dict[str, str]]) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(b["title"], callback_data=await self._buttons.remember(b)) for b in buttons]

    async def _send(self, chat_id: int, replies: list[dict[str, Any]]) -> None:
        for reply in replies:
            markup = None
            if reply.get("buttons"):
                rows = keyboard_rows(reply["buttons"])
                markup = InlineKeyboardMarkup([await self._keyboard_row(row) for row in rows])
            text = telegram_html(reply["text"])
            if reply.get("role") == "agent" and reply.get("agent"):
                text = f"<b>{html.escape(reply['agent'], quote=False)}</b>\n{text}"
            await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


def telegram_blueprint() -> Blueprint:
    """POST /telegram/webhook, checked against the webhook secret."""
    telegram = Blueprint("telegram")

    @telegram.post("/telegram/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        settings = request.app.ctx.settings
        secret = settings.telegram_webhook_secret
        header = request.headers.get(SECRET_HEADER, "")
        if secret is None or not hmac.compare_digest(header, secret.value):
            return json_response({"error": "forbidden"}, status=403)
        try:
            data = json.loads(request.body or b"")
        except ValueError:
            return json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return json_response({"error": "not a Telegram update"}, status=400)
        channel: TelegramChannel = request.app.ctx.telegram
        await channel.process(Update.de_json(data, channel.bot))
        return json_response({"ok": True})

    return telegram


def telegram_listeners(app: Sanic) -> None:
    """Starts the bot with the server: a webhook with a public URL, polling without one."""

    async def start_telegram(app: Sanic, _: object) -> None:
        settings = app.ctx.settings
        bot = Bot(settings.telegram_token.value, base_url=f"{settings.telegram_api_url}/bot")
        await bot.initialize()
        app.ctx.telegram = TelegramChannel(bot, app.ctx.conversations, app.ctx.redis)
        app.ctx.delivery.telegram = app.ctx.telegram.push
        if settings.public_url:
            await bot.set_webhook(
                f"{settings.public_url}/telegram/webhook", secret_token=settings.telegram_webhook_secret.value
            )
        else:
            await bot.delete_webhook()
            app.ctx.telegram_polling = asyncio.create_task(poll(app.ctx.telegram))

    async def stop_telegram(app: Sanic, _: object) -> None:
        polling = getattr(app.ctx, "telegram_polling", None)
        if polling is not None:
            polling.cancel()
        await app.ctx.telegram.bot.shutdown()

    app.register_listener(start_telegram, "after_server_start")
    app.register_listener(stop_telegram, "before_server_stop")


async def poll(channel: TelegramChannel) -> None:
    """Long-polls getUpdates for local development, backing off while Telegram is unreachable."""
    offset, delay = None, 1.0
    while True:
        try:
            updates = await channel.bot.get_updates(offset=offset, timeout=POLL_TIMEOUT_SECONDS)
            delay = 1.0
        except TelegramError as error:
            logger.warning("telegram polling failed: %s; retrying in %.0f s", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
            continue
        for update in updates:
            offset = update.update_id + 1
            await channel.process(update)
