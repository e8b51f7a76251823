"""Delivers messages to a conversation's customer, whichever channel and gateway instance they use.

Every message is stored in the transcript, then queued in the durable outbox
(``bot.store.deliveries``) of its channel, in order per conversation. Each channel's
dispatcher sends it and removes it only once the channel confirmed it:

- Telegram: the Bot API call, from whichever instance has Telegram, retried until it
  succeeds or its deadline passes. Agents' consoles see the message at once.
- Web: the publication on the conversation's Redis channel, which its web sockets
  and the agents' consoles follow. A customer with no socket open reads it from the
  transcript when they come back.

An instance that can reach the channel sends what it queues itself, before it
returns (``immediate``): a turn's replies go out at once and in order, and reach a
web socket before the typing indicator goes off. What it can't send now (another
sender holds the conversation, a back-off, a pace limit) its dispatcher sends later.

Customer messages and transient signals (typing, queue place) are only published.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from bot.channels.dispatch import Dispatcher
from bot.observability.metrics import GatewayMetrics
from bot.rendering import segments
from bot.store.deliveries import DeliveryQueue
from bot.store.languages import ConversationLanguages
from bot.store.outbox import RESUBSCRIBED, Outbox
from bot.store.transcripts import Entry, TranscriptStore
from support.language import languages

logger = logging.getLogger(__name__)
# What a delivered message keeps in the transcript besides its text and buttons.
# client_id: the widget's id for a customer message, so a reconnecting widget can tell it was received.
MESSAGE_META = ("faq_id", "faq_alternatives", "language", "utter_action", "agent", "client_id", "notice_id", "payload")
# Channels whose messages go through the durable outbox.
QUEUED_CHANNELS = frozenset({"telegram", "web"})
# Channels whose sender is the publication itself (web sockets follow it): not published twice.
PUBLISHED_BY_SENDER = frozenset({"web"})


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
        self,
        transcripts: TranscriptStore,
        outbox: Outbox,
        queue: DeliveryQueue,
        clock: Callable[[], float],
        metrics: GatewayMetrics | None = None,
        conversation_languages: ConversationLanguages | None = None,
    ) -> None:
        self._transcripts = transcripts
        self._outbox = outbox
        self.queue = queue
        self._clock = clock
        # Messages to customers are counted by channel and language (a metrics object of its own for tools
        # and tests; without the languages store, a message without a language counts as the default one).
        self._metrics = metrics or GatewayMetrics()
        self._languages = conversation_languages
        # Dispatchers that send a message at once on the instance that queued it, by channel.
        self.immediate: dict[str, Dispatcher] = {}

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
        queued = channel in QUEUED_CHANNELS and event.get("role") != "customer"
        to_customer = event.get("type") == "message" and event.get("role") != "customer"
        language = await self._language_of(conversation, event) if to_customer else None
        if not (queued and channel in PUBLISHED_BY_SENDER):
            await self._outbox.publish(conversation, event)
        if queued:
            await self._queue_for(conversation, channel, event)
        if language is not None:
            self._metrics.message_out(channel, language)
        return event

    async def _language_of(self, conversation: str, event: dict[str, Any]) -> str:
        """The language a message to the customer is written in (the bot's replies say so themselves)."""
        if event.get("language"):
            return str(event["language"])
        if self._languages is None:
            return languages().default
        return await self._languages.get(conversation)

    async def _queue_for(self, conversation: str, channel: str, event: dict[str, Any]) -> None:
        dispatcher = self.immediate.get(channel)
        if dispatcher is None:
            await self.queue.enqueue(channel, conversation, event, self._clock())
            return
        lease = dispatcher.policy.lease_seconds
        if await self.queue.enqueue_leased(channel, conversation, event, self._clock(), lease):
            await dispatcher.drain(conversation)

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


async def relay_to_socket(
    ws: Any,
    events: AsyncIterator[dict[str, Any]],
    catch_up: Callable[[], Awaitable[dict[str, Any]]] | None = None,
) -> None:
    """Sends followed outbox events down a web socket; if the subscription breaks, closes it for a reconnect.

    After Redis restarted, ``catch_up`` (if given) makes the frame that replaces what the
    socket may have missed; otherwise the resubscription is passed on as an event.
    """
    try:
        async for event in events:
            frame = await catch_up() if catch_up is not None and event == RESUBSCRIBED else event
            await ws.send(json.dumps(frame))
    except (RedisError, OSError) as error:
        logger.warning("outbox subscription of a socket failed: %s", error)
        await ws.close(code=1011, reason="message relay unavailable")
