"""Per-conversation rate limit and once-only processing of channel updates."""

from __future__ import annotations

import time

from redis.asyncio import Redis

UPDATE_MEMORY_SECONDS = 24 * 3600


class RateLimiter:
    """Allows ``limit`` messages per conversation in any ``window`` seconds (a sliding window)."""

    def __init__(self, redis: Redis, limit: int, window: int) -> None:
        self._redis = redis
        self._limit = limit
        self._window = window

    async def allow(self, conversation: str) -> bool:
        """Counts this message; False once the conversation is over its limit."""
        key, now = f"rate:{conversation}", time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, 0, now - self._window)
            pipe.zadd(key, {f"{now:.6f}": now})
            pipe.zcard(key)
            pipe.expire(key, self._window)
            _, _, count, _ = await pipe.execute()
        return int(count) <= self._limit


class UpdateLog:
    """Which channel updates were handled: each is handled once, and a failed one again when retried.

    An update is claimed while it is handled and marked done only afterwards, so a
    retry after a failure is handled, and a retry after success is not. A claim left
    by a process that died ends after ``CLAIM_SECONDS``.
    """

    CLAIM_SECONDS = 120

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel

    def _key(self, update_id: int | str) -> str:
        return f"update:{self._channel}:{update_id}"

    async def claim(self, update_id: int | str) -> bool:
        """True if this process should handle the update: nobody handled it, nor is handling it."""
        return bool(await self._redis.set(self._key(update_id), "busy", nx=True, ex=self.CLAIM_SECONDS))

    async def handled(self, update_id: int | str) -> bool:
        """True if the update was handled already (not merely claimed)."""
        return bool(await self._redis.get(self._key(update_id)) == b"done")

    async def done(self, update_id: int | str) -> None:
        """The update was handled (or failed for good): a retry of it is ignored."""
        await self._redis.set(self._key(update_id), "done", ex=UPDATE_MEMORY_SECONDS)

    async def release(self, update_id: int | str) -> None:
        """Handling failed: the next retry of the update is handled."""
        await self._redis.delete(self._key(update_id))
