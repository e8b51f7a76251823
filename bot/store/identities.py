"""Who each conversation's customer is, and how that was proven, in Redis.

A conversation is proven by one order (its number and email), by a one-time
code, or by the store's signed login. Code and login proofs name a store
customer, and a customer's conversations (on any device or channel) are
indexed, so limits and "delete my data" follow the customer, not the cookie.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis

IDENTITY = "identity:{conversation}"
CUSTOMER_CONVERSATIONS = "identity:customer:{customer_id}"
# A web conversation whose device was told to forget the customer: its cookie opens a new chat.
DETACHED = "identity:detached:{conversation}"
DETACHED_SECONDS = 180 * 24 * 3600
STORE_LOGIN = "store_login"
PROOFS = ("order", "code", STORE_LOGIN)
# Proofs that name the whole customer, not one order.
CUSTOMER_PROOFS = ("code", STORE_LOGIN)


@dataclass(frozen=True)
class Identity:
    """How a conversation proved its customer."""

    proof: str
    customer_id: str | None = None
    name: str | None = None
    order_number: str | None = None
    since: float = 0.0

    @classmethod
    def from_signal(cls, signal: dict[str, Any], now: float) -> Identity | None:
        """The identity an action reported, or None for a malformed report."""
        proof = signal.get("proof")
        customer_id = signal.get("customer_id")
        if proof not in PROOFS or (proof in CUSTOMER_PROOFS and not (isinstance(customer_id, str) and customer_id)):
            return None
        return cls(
            proof=str(proof),
            customer_id=customer_id if proof in CUSTOMER_PROOFS else None,
            name=_optional_text(signal.get("name")),
            order_number=_optional_text(signal.get("order_number")),
            since=now,
        )

    @property
    def names_customer(self) -> bool:
        """Whether this proof names a whole store customer."""
        return self.proof in CUSTOMER_PROOFS and bool(self.customer_id)

    def for_rasa(self) -> dict[str, Any]:
        """What the gateway tells the assistant with every message."""
        return {"proof": self.proof, "customer_id": self.customer_id}


class IdentityStore:
    """Reads, links and forgets conversations' identities."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def get(self, conversation: str) -> Identity | None:
        """The conversation's identity, if it proved one."""
        fields = {
            _text(k): _text(v)
            for k, v in (await self._redis.hgetall(IDENTITY.format(conversation=conversation))).items()
        }
        if "proof" not in fields:
            return None
        return Identity(
            proof=fields["proof"],
            customer_id=fields.get("customer_id") or None,
            name=fields.get("name") or None,
            order_number=fields.get("order_number") or None,
            since=float(fields.get("since") or 0),
        )

    async def record(self, conversation: str, identity: Identity) -> None:
        """Records a proof; an order proof never replaces a proof of the whole customer."""
        current = await self.get(conversation)
        if current is not None and current.names_customer and not identity.names_customer:
            return
        key = IDENTITY.format(conversation=conversation)
        fields = {k: v for k, v in asdict(identity).items() if v is not None}
        async with self._redis.pipeline(transaction=True) as pipe:
            if current is not None and current.customer_id and current.customer_id != identity.customer_id:
                pipe.srem(CUSTOMER_CONVERSATIONS.format(customer_id=current.customer_id), conversation)
            pipe.delete(key)
            pipe.hset(key, mapping=fields)
            if identity.names_customer:
                pipe.sadd(CUSTOMER_CONVERSATIONS.format(customer_id=identity.customer_id), conversation)
            await pipe.execute()

    async def unlink(self, conversation: str) -> None:
        """Forgets who the conversation's customer is; the customer's other conversations stay linked."""
        current = await self.get(conversation)
        async with self._redis.pipeline(transaction=True) as pipe:
            if current is not None and current.customer_id:
                pipe.srem(CUSTOMER_CONVERSATIONS.format(customer_id=current.customer_id), conversation)
            pipe.delete(IDENTITY.format(conversation=conversation))
            await pipe.execute()

    async def conversations_of(self, customer_id: str) -> list[str]:
        """Every conversation that proved to be this customer."""
        members = await self._redis.smembers(CUSTOMER_CONVERSATIONS.format(customer_id=customer_id))
        return sorted(_text(member) for member in members)

    async def subject(self, conversation: str) -> str:
        """Whom per-customer limits count: the proven customer, else the conversation."""
        identity = await self.get(conversation)
        return f"customer:{identity.customer_id}" if identity and identity.names_customer else conversation

    async def detach(self, conversation: str) -> None:
        """Marks a web conversation as forgotten by its device: its cookie will open a new chat."""
        await self.unlink(conversation)
        await self._redis.set(DETACHED.format(conversation=conversation), 1, ex=DETACHED_SECONDS)

    async def detached(self, conversation: str) -> bool:
        """Whether the device was told to forget this conversation."""
        return bool(await self._redis.exists(DETACHED.format(conversation=conversation)))


def _optional_text(value: Any) -> str | None:
    return str(value)[:128] if isinstance(value, str | int) and str(value) else None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
