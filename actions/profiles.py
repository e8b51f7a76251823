"""Customer profiles in Redis, keyed by the channel's user id.

A profile holds what lets the assistant recognise a returning customer: the
name their channel gave (Telegram's first name), when they first wrote, and
the store customer this conversation has proven to be, if any. Nothing typed
without proof, such as an email address, is remembered here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from redis.asyncio import Redis

KEY_PREFIX = "profile:"
# The conversations (on any channel or device) that have proven to be one store customer.
CUSTOMER_KEY = "customer:{customer_id}:profiles"


@dataclass(frozen=True)
class Profile:
    """What the assistant remembers about one conversation's customer."""

    sender_id: str
    first_seen: str
    name: str | None = None
    customer_id: str | None = None


class ProfileStore:
    """Reads, writes, links and erases profiles."""

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
            first_seen=decoded.get("first_seen", ""),
            name=decoded.get("name"),
            customer_id=decoded.get("customer_id"),
        )

    async def save(self, profile: Profile) -> None:
        """Stores the profile's known fields."""
        fields = {k: v for k, v in asdict(profile).items() if v is not None and k != "sender_id"}
        await self._redis.hset(KEY_PREFIX + profile.sender_id, mapping=fields)

    async def link(self, sender_id: str, customer_id: str) -> None:
        """Records that this conversation proved to be the store's customer ``customer_id``."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(KEY_PREFIX + sender_id, "customer_id", customer_id)
            pipe.sadd(CUSTOMER_KEY.format(customer_id=customer_id), sender_id)
            await pipe.execute()

    async def unlink(self, sender_id: str) -> None:
        """Forgets which customer this conversation was, keeping the customer's other conversations."""
        profile = await self.get(sender_id)
        if profile is None or profile.customer_id is None:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(KEY_PREFIX + sender_id, "customer_id")
            pipe.srem(CUSTOMER_KEY.format(customer_id=profile.customer_id), sender_id)
            await pipe.execute()

    async def delete(self, sender_id: str) -> list[str]:
        """Erases the profile and, for a proven customer, every profile linked to them; returns their ids."""
        profile = await self.get(sender_id)
        senders = {sender_id}
        if profile is not None and profile.customer_id is not None:
            customer_key = CUSTOMER_KEY.format(customer_id=profile.customer_id)
            senders |= {_text(member) for member in await self._redis.smembers(customer_key)}
            await self._redis.delete(customer_key)
        await self._redis.delete(*(KEY_PREFIX + sender for sender in senders))
        return sorted(senders)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
