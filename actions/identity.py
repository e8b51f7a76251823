"""Proving who the customer is, before anything private is shown or changed.

Each proof unlocks a different amount:
- an order number with the email it was placed with proves that one order;
- a one-time code sent to the customer's email proves the whole customer;
- the store's signed login (checked by the gateway) proves the whole customer.

An email address alone proves nothing: it is printed on every parcel label.
Attempts are counted per conversation and per origin (the gateway's hash of
the customer's IP address, or their Telegram user), and every failed lookup
gets the same answer, so order numbers and emails cannot be enumerated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from redis.asyncio import Redis

from actions.store import Customer

PROOF_ORDER = "order"
PROOF_CODE = "code"
PROOF_STORE_LOGIN = "store_login"
# The proofs that make the whole customer known, so their orders may be listed.
CUSTOMER_PROOFS = (PROOF_CODE, PROOF_STORE_LOGIN)
CODE_DIGITS = 6
ATTEMPTS_KEY = "proof:attempts:{scope}:{key}"
CODE_KEY = "proof:code:{sender}"
# A spent or expired code's record is kept a while longer, to say "expired" rather than "no code".
CODE_RECORD_GRACE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Limits:
    """How many attempts a conversation and an origin get, and how long a code lives."""

    conversation_attempts: int = 5
    origin_attempts: int = 20
    window_seconds: int = 3600
    code_tries: int = 5
    code_seconds: int = 600


def customer_slots(customer: Customer, proof: str) -> dict[str, Any]:
    """The slots of a conversation that has proven this whole customer."""
    return {
        "customer_id": customer.id,
        "identity_proof": proof,
        "customer_name": customer.name,
        "email": customer.email,
        "returning_customer": True,
    }


def anonymous_slots() -> dict[str, Any]:
    """The slots of a conversation that no longer knows who the customer is."""
    return {
        "customer_id": None,
        "identity_proof": None,
        "customer_name": None,
        "email": None,
        "order_number": None,
        "returning_customer": False,
    }


def identity_signal(proof: str, customer: Customer | None = None, order_number: str | None = None) -> dict[str, Any]:
    """The custom payload that tells the gateway how this conversation proved its customer."""
    identity: dict[str, Any] = {"proof": proof}
    if customer is not None:
        identity.update(customer_id=customer.id, name=customer.name)
    if order_number is not None:
        identity["order_number"] = order_number
    return {"identity": identity}


def proves_customer(slots: dict[str, Any]) -> bool:
    """Whether the conversation has proven a whole customer (not only one order)."""
    return bool(slots.get("customer_id")) and slots.get("identity_proof") in CUSTOMER_PROOFS


def origin_of(latest_message: dict[str, Any], sender_id: str) -> str:
    """Where the customer writes from, as the gateway tells it; the conversation itself otherwise."""
    origin = (latest_message.get("metadata") or {}).get("origin")
    return str(origin) if origin else f"conversation:{sender_id}"


class Attempts:
    """Counts attempts to prove an identity (failed order checks, codes sent) in a sliding hour."""

    def __init__(self, redis: Redis, limits: Limits) -> None:
        self._redis = redis
        self._limits = limits

    def _keys(self, sender_id: str, origin: str) -> tuple[str, str]:
        return (
            ATTEMPTS_KEY.format(scope="conversation", key=sender_id),
            ATTEMPTS_KEY.format(scope="origin", key=origin),
        )

    async def exhausted(self, sender_id: str, origin: str) -> bool:
        """True when the conversation or its origin has used up its attempts."""
        by_conversation, by_origin = await self._redis.mget(self._keys(sender_id, origin))
        return (
            int(by_conversation or 0) >= self._limits.conversation_attempts
            or int(by_origin or 0) >= self._limits.origin_attempts
        )

    async def count(self, sender_id: str, origin: str) -> None:
        """Counts one attempt against the conversation and its origin."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(sender_id, origin):
                # The window starts with the first attempt; later ones don't extend it.
                pipe.set(key, 0, nx=True, ex=self._limits.window_seconds)
                pipe.incr(key)
            await pipe.execute()


class CodeCheck(Enum):
    """What a typed one-time code turned out to be."""

    PROVEN = "proven"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    NONE_SENT = "none_sent"


@dataclass(frozen=True)
class CodeResult:
    """The check of a code: the outcome, whose code it was, and the tries left."""

    outcome: CodeCheck
    customer_id: str | None = None
    tries_left: int = 0


@dataclass(frozen=True)
class CodeSent:
    """The last code a conversation was sent: to which address, and whether it still works."""

    email: str
    live: bool


class LoginCodes:
    """One-time codes sent by email, one live code per conversation, stored only as a keyed hash."""

    def __init__(self, redis: Redis, limits: Limits, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._limits = limits
        self._clock = clock

    async def issue(self, sender_id: str, email: str, customer_id: str | None) -> str:
        """A new code for this conversation (replacing any earlier one); None customer: no account."""
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        record = {
            "digest": _digest(sender_id, code),
            "email": email.lower(),
            "customer_id": customer_id or "",
            "expires_at": self._clock() + self._limits.code_seconds,
            "tries": 0,
        }
        key = CODE_KEY.format(sender=sender_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=record)
            pipe.expire(key, self._limits.code_seconds + CODE_RECORD_GRACE_SECONDS)
            await pipe.execute()
        return code

    async def sent(self, sender_id: str) -> CodeSent | None:
        """The conversation's last code: where it went and whether it can still be used."""
        record = await self._record(sender_id)
        if not record:
            return None
        live = not self._expired(record) and int(record["tries"]) < self._limits.code_tries
        return CodeSent(record["email"], live)

    async def check(self, sender_id: str, code: str) -> CodeResult:
        """Checks a typed code; a right one is spent, and every try counts."""
        key = CODE_KEY.format(sender=sender_id)
        record = await self._record(sender_id)
        if not record:
            return CodeResult(CodeCheck.NONE_SENT)
        if self._expired(record):
            return CodeResult(CodeCheck.EXPIRED)
        tries = int(await self._redis.hincrby(key, "tries", 1))
        if tries > self._limits.code_tries:
            return CodeResult(CodeCheck.LOCKED)
        matches = hmac.compare_digest(record["digest"], _digest(sender_id, code.strip()))
        if matches and record["customer_id"]:
            await self._redis.delete(key)
            return CodeResult(CodeCheck.PROVEN, customer_id=record["customer_id"])
        left = self._limits.code_tries - tries
        return CodeResult(CodeCheck.WRONG if left else CodeCheck.LOCKED, tries_left=left)

    async def forget(self, sender_id: str) -> None:
        """Drops the conversation's code (the customer deleted their data)."""
        await self._redis.delete(CODE_KEY.format(sender=sender_id))

    async def _record(self, sender_id: str) -> dict[str, str]:
        fields = await self._redis.hgetall(CODE_KEY.format(sender=sender_id))
        return {_text(k): _text(v) for k, v in fields.items()}

    def _expired(self, record: dict[str, str]) -> bool:
        return float(record["expires_at"]) <= self._clock()


def _digest(sender_id: str, code: str) -> str:
    # Keyed by the conversation: a code is worth nothing in another chat, and the store holds no code.
    return hmac.new(sender_id.encode(), code.encode(), hashlib.sha256).hexdigest()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
