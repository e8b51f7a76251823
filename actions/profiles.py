"""Customer profiles in Redis, keyed by the channel's user id.

A profile holds what lets the assistant recognise a returning customer: a name,
the verified email that links to their orders, and when they first wrote.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from redis.asyncio import Redis

KEY_PREFIX = "profile:"


@dataclass(frozen=True)
class Profile:
    """What the assistant remembers about one customer."""

    sender_id: str
    first_seen: str
    name: str | None = None
    email: str | None = None


class ProfileStore:
    """Reads, writes and erases profiles."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def get(self, sender_id: str) -> Profile | None:
        """Returns the profile, or None for a first-time customer."""
        fields = await self._redis.hgetall(KEY_PREFIX + sender_id)
        if not fields:
            return None
        decoded = {_text(key): _text(value) for key, value in fields.items()}
        return Profile(
            sender_id=sender_id,
            first_seen=decoded["first_seen"],
            name=decoded.get("name"),
            email=decoded.get("email"),
        )

    async def save(self, profile: Profile) -> None:
        """Stores the profile's known fields."""
        fields = {k: v for k, v in asdict(profile).items() if v is not None and k != "sender_id"}
        await self._redis.hset(KEY_PREFIX + profile.sender_id, mapping=fields)

    async def delete(self, sender_id: str) -> None:
        """Erases the profile."""
        await self._redis.delete(KEY_PREFIX + sender_id)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
