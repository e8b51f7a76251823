"""Delivers messages to a conversation's customer, whichever channel and gateway instance they use.

Every message is stored in the transcript and published to the conversation's
channel (web sockets and agent consoles follow it). A message for a channel that
needs an API call (Telegram) is also queued in the durable outbox
(``bot.store.deliveries``); that channel's dispatcher sends it from whichever
instance can reach the channel, and retries until the channel confirms it.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from redis.exceptions import RedisError

from bot.rendering import segments
from bot.store.deliveries import DeliveryQueue
from bot.store.outbox import Outbox
from bot.store.transcripts import Entry, TranscriptStore

logger = logging.getLogger(__name__)
# What a delivered message keeps in the transcript besides its text and buttons.
MESSAGE_META = ("faq_id", "faq_alternatives", "language", "utter_action", "agent")
# Channels whose messages go through the durable outbox; the web reads the transcript and pub/sub.
QUEUED_CHANNELS = frozenset({"telegram"})


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
    """Transcript, live publication and the channel's durable outbox in one place."""

    def __init__(
        self, transcripts: TranscriptStore, outbox: Outbox, queue: DeliveryQueue, clock: Callable[[], float]
    ) -> None:
        self._transcripts = transcripts
        self._outbox = outbox
        self.queue = queue
        self._clock = clock

    async def record(self, conversation: str, channel: str, event: dict[str, Any]) -> dict[str, Any]:
        """Stores a message in the transcript and delivers it; returns it as stored (redacted)."""
        meta = {key: event[key] for key in MESSAGE_META if event.get(key)}
        meta["message_id"] = event["id"]
        stored = await self._transcripts.append(
            conversation, Entry(event["role"], event["text"], channel, buttons=event.get("buttons") or [], meta=meta)
        )
        published = event
        if stored.text != event["text"]:
            published = {**event, "text": stored.text, "segments": segments(stored.text)}
        await self.notify(conversation, channel, published)
        return published

    async def notify(self, conversation: str, channel: str, event: dict[str, Any]) -> dict[str, Any]:
        """Delivers a message without storing it (a gateway notice such as the rate limit)."""
        await self._outbox.publish(conversation, event)
        if channel in QUEUED_CHANNELS and event.get("role") != "customer":
            await self.queue.enqueue(channel, conversation, event, self._clock())
        return event

    async def forget(self, conversation: str) -> None:
        """Erases the transcript and what waits in the outbox (the customer deleted their data)."""
        await self._transcripts.delete(conversation)
        await self.queue.forget(conversation, QUEUED_CHANNELS)

    async def report(self, conversation: str, event: dict[str, Any]) -> None:
        """Tells the agents who follow a conversation about its delivery (a message that never arrived)."""
        await self._outbox.publish_console(event, conversation)

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
