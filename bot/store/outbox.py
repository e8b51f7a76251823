"""Delivers messages to every connection of a conversation, on any gateway instance.

Messages are published on a Redis channel per conversation; each web socket
subscribes to its own. Nothing is kept in process memory. Subscriptions use their
own client without a read timeout, since a quiet conversation is not an error.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

CHANNEL = "outbox:{conversation}"


class Outbox:
    """Publishes to and follows a conversation's channel."""

    def __init__(self, publisher: Redis, subscriber: Redis) -> None:
        self._publisher = publisher
        self._subscriber = subscriber

    async def publish(self, conversation: str, event: dict[str, Any]) -> None:
        """Sends an event (a message, the typing indicator) to the conversation's listeners."""
        await self._publisher.publish(CHANNEL.format(conversation=conversation), json.dumps(event))

    async def follow(self, conversation: str) -> AsyncIterator[dict[str, Any]]:
        """Yields the conversation's events as they are published."""
        async with self._subscriber.pubsub() as pubsub:
            await pubsub.subscribe(CHANNEL.format(conversation=conversation))
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield json.loads(message["data"])
