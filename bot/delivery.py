"""Delivers messages to a conversation's customer, whichever channel and gateway instance they use.

Every message is stored in the transcript and published to the conversation's
outbox (web sockets and agent consoles follow it). Messages nobody asked for in
this request, such as an agent's reply, are also pushed to Telegram.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from bot.rendering import segments
from bot.store.outbox import Outbox
from bot.store.transcripts import Entry, TranscriptStore

logger = logging.getLogger(__name__)
# What a delivered message keeps in the transcript besides its text and buttons.
MESSAGE_META = ("faq_id", "faq_alternatives", "language", "utter_action", "agent")
TelegramSender = Callable[[str, list[dict[str, Any]]], Awaitable[None]]


def outgoing(role: str, text: str, buttons: list[dict[str, str]] | None = None, **meta: Any) -> dict[str, Any]:
    """A message event as channels deliver it."""
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "role": role,
        "text": text,
        "segments": segments(text),
        "buttons": buttons or [],
        "ts": time.time(),
        **meta,
    }


class Delivery:
    """Transcript, outbox and Telegram push in one place."""

    def __init__(self, transcripts: TranscriptStore, outbox: Outbox) -> None:
        self._transcripts = transcripts
        self._outbox = outbox
        self.telegram: TelegramSender | None = None

    async def record(self, conversation: str, channel: str, event: dict[str, Any]) -> dict[str, Any]:
        """Stores a message in the transcript and publishes it; returns it as stored (redacted)."""
        meta = {key: event[key] for key in MESSAGE_META if event.get(key)}
        meta["message_id"] = event["id"]
        stored = await self._transcripts.append(
            conversation, Entry(event["role"], event["text"], channel, buttons=event.get("buttons") or [], meta=meta)
        )
        published = event
        if stored.text != event["text"]:
            published = {**event, "text": stored.text, "segments": segments(stored.text)}
        await self._outbox.publish(conversation, published)
        return published

    async def push(self, conversation: str, channel: str, event: dict[str, Any]) -> dict[str, Any]:
        """Records a message the customer did not just ask for, and pushes it to Telegram too."""
        published = await self.record(conversation, channel, event)
        if channel == "telegram" and self.telegram is not None:
            await self.telegram(conversation, [published])
        return published

    async def forget(self, conversation: str) -> None:
        """Erases the transcript (the customer deleted their data)."""
        await self._transcripts.delete(conversation)

    async def console(self, event: dict[str, Any]) -> None:
        """Tells agents' consoles that something changed (a follow-up was filed, say)."""
        await self._outbox.publish_console(event)

    async def signal(self, conversation: str, event: dict[str, Any]) -> None:
        """Publishes a transient event (typing, queue position) without storing it."""
        await self._outbox.publish(conversation, event)


async def relay_to_socket(ws: Any, events: AsyncIterator[dict[str, Any]]) -> None:
    """Sends followed outbox events down a web socket; if the subscription breaks, closes it for a reconnect."""
    try:
        async for event in events:
            await ws.send(json.dumps(event))
    except (RedisError, OSError) as error:
        logger.warning("outbox subscription of a socket failed: %s", error)
        await ws.close(code=1011, reason="message relay unavailable")
