"""Which agents have a console open: each console beats every few seconds."""

from __future__ import annotations

from redis.asyncio import Redis

ONLINE = "agents:online"


class Presence:
    """Heartbeats of agents' consoles."""

    def __init__(self, redis: Redis, timeout_seconds: int) -> None:
        self._redis = redis
        self._timeout = timeout_seconds

    async def beat(self, agent: str, now: float) -> None:
        """Marks the agent as online now."""
        await self._redis.zadd(ONLINE, {agent: now})

    async def leave(self, agent: str) -> None:
        """Marks the agent as gone (logout)."""
        await self._redis.zrem(ONLINE, agent)

    async def online(self, now: float) -> list[str]:
        """The agents seen within the timeout."""
        await self._redis.zremrangebyscore(ONLINE, 0, now - self._timeout)
        return sorted(name.decode() for name in await self._redis.zrange(ONLINE, 0, -1))
