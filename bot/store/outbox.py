"""Delivers messages to every connection of a conversation, on any gateway instance.

Messages are published on a Redis channel per conversation; each web socket
subscribes to its own. Nothing is kept in process memory. Subscriptions use their
own client without a read timeout, since a quiet conversation is not an error.

A subscription outlives a Redis restart: it reconnects and subscribes again, then
yields ``RESUBSCRIBED`` so the follower can re-read what was published meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError, TimeoutError

logger = logging.getLogger(__name__)
CHANNEL = "outbox:{conversation}"
CONSOLE = "console:events"
CONSOLE_CONVERSATION = "console:conversation:{conversation}"
RESUBSCRIBED = {"type": "resubscribed"}
RESUBSCRIBE_PAUSE_SECONDS = (0.1, 0.5, 1.0, 2.0)


class Outbox:
    """Publishes to and follows a conversation's channel."""

    def __init__(self, publisher: Redis, subscriber: Redis) -> None:
        self._publisher = publisher
        self._subscriber = subscriber

    async def publish(self, conversation: str, event: dict[str, Any]) -> None:
        """Sends an event (a message, the typing indicator) to the conversation's listeners."""
        await self._publisher.publish(CHANNEL.format(conversation=conversation), json.dumps(event))

    async def publish_console(self, event: dict[str, Any], conversation: str | None = None) -> None:
        """Tells agents' consoles: about the queue, or (with ``conversation``) about one chat only."""
        channel = CONSOLE if conversation is None else CONSOLE_CONVERSATION.format(conversation=conversation)
        await self._publisher.publish(channel, json.dumps(event))

    def following(self, conversation: str) -> AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]:
        """Subscribes to the conversation's events on entry; the context yields them as published."""
        return self._subscribed([CHANNEL.format(conversation=conversation)])

    def following_console(self, conversation: str | None) -> AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]:
        """Subscribes to queue events, and to a conversation's messages and agent-only events if one is open."""
        channels = [CONSOLE]
        if conversation is not None:
            channels += [
                CHANNEL.format(conversation=conversation),
                CONSOLE_CONVERSATION.format(conversation=conversation),
            ]
        return self._subscribed(channels)

    @asynccontextmanager
    async def _subscribed(self, channels: list[str]) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        async with self._subscriber.pubsub() as pubsub:
            await pubsub.subscribe(*channels)
            # Redis confirms each channel before it sends any message published on it; once every
            # confirmation is read, nothing published after entry can be missed.
            confirmed = 0
            while confirmed < len(channels):
                reply = await pubsub.get_message(timeout=None)
                confirmed += reply is not None and reply["type"] == "subscribe"
            yield _events(pubsub)


async def _events(pubsub: PubSub) -> AsyncIterator[dict[str, Any]]:
    while True:
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield json.loads(message["data"])
            return
        except (ConnectionError, TimeoutError) as error:
            logger.warning("subscription lost (%s); subscribing again", error)
            await _resubscribe(pubsub)
            yield RESUBSCRIBED


async def _resubscribe(pubsub: PubSub) -> None:
    """Reconnects until Redis is back; the connection's callback subscribes to the same channels again."""
    attempt = 0
    while True:
        await asyncio.sleep(RESUBSCRIBE_PAUSE_SECONDS[min(attempt, len(RESUBSCRIBE_PAUSE_SECONDS) - 1)])
        attempt += 1
        connection = pubsub.connection
        assert connection is not None, "only a subscribed PubSub is resubscribed"
        try:
            await connection.disconnect()
            await connection.connect()
            return
        except (ConnectionError, TimeoutError, OSError) as error:
            logger.info("Redis still unavailable for a subscription (attempt %d): %s", attempt, error)
