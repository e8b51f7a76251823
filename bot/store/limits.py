"""Per-conversation rate limit and at-most-once processing of channel updates."""

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


async def first_time_seen(redis: Redis, channel: str, update_id: int) -> bool:
    """True the first time an update id arrives; retries of the same update get False."""
    stored = await redis.set(f"update:{channel}:{update_id}", 1, nx=True, ex=UPDATE_MEMORY_SECONDS)
    return bool(stored)
