"""Whether the bot failed to answer in each conversation lately.

The gateway speaks for the bot when Rasa or the action server cannot: it needs to know that
the bot failed recently, so that a typed request for a person is taken by the gateway itself.
"""

from __future__ import annotations

from redis.asyncio import Redis

KEY = "botturn:{conversation}"
RETENTION_SECONDS = 90 * 24 * 3600
# A failure this recent means the bot is still treated as unable to answer.
FAILURE_MEMORY_SECONDS = 15 * 60


class BotTurns:
    """Per conversation: the time of the bot's last failure."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def answered(self, conversation: str) -> None:
        """The bot answered: it is not failing any more."""
        await self._redis.hdel(KEY.format(conversation=conversation), "failed_at")

    async def failed(self, conversation: str, now: float) -> None:
        """The bot left a customer message unanswered."""
        key = KEY.format(conversation=conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "failed_at", f"{now:.3f}")
            pipe.expire(key, RETENTION_SECONDS)
            await pipe.execute()

    async def failing(self, conversation: str, now: float) -> bool:
        """True if the bot's last turn failed within ``FAILURE_MEMORY_SECONDS``."""
        failed_at = await self._redis.hget(KEY.format(conversation=conversation), "failed_at")
        return failed_at is not None and now - float(failed_at) < FAILURE_MEMORY_SECONDS

    async def forget(self, conversation: str) -> None:
        """Erases the record (the customer deleted their data)."""
        await self._redis.delete(KEY.format(conversation=conversation))
