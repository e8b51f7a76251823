"""Wrong console passwords, counted per account and per address, and the lockouts they lead to.

An account is locked after a few wrong passwords in a row, whoever typed them; an
address is locked after more, whichever accounts it tried (password spraying).
Addresses are stored as keyed hashes, never as they are. A lockout ends by
itself, or when an admin lifts it (``python -m bot.admin unlock``).
"""

from __future__ import annotations

from redis.asyncio import Redis

FAILURES = "login:failures:{subject}"
LOCKED = "login:locked:{subject}"


class LoginAttempts:
    """Counts wrong passwords and tells how long a login must wait."""

    def __init__(self, redis: Redis, per_account: int, per_address: int, lockout_seconds: int) -> None:
        self._redis = redis
        self._limits = {"account": per_account, "address": per_address}
        self._lockout = lockout_seconds

    async def locked_for(self, account: str, address: str) -> int:
        """Seconds until this account may be tried from this address again; 0 when it may now."""
        waits = [int(await self._redis.ttl(LOCKED.format(subject=subject))) for subject in _subjects(account, address)]
        return max([0, *waits])

    async def failed(self, account: str, address: str) -> bool:
        """Counts a wrong password; True if it locked the account or the address."""
        locked = False
        for (kind, subject), limit in zip(_kinds(account, address), self._limits.values(), strict=True):
            key = FAILURES.format(subject=subject)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self._lockout)
                count, _ = await pipe.execute()
            if int(count) >= limit:
                await self._redis.set(LOCKED.format(subject=subject), kind, ex=self._lockout)
                await self._redis.delete(key)
                locked = True
        return locked

    async def succeeded(self, account: str) -> None:
        """The right password: the account's count of wrong ones starts again."""
        await self._redis.delete(FAILURES.format(subject=_account(account)))


async def unlock(redis: Redis, account: str) -> bool:
    """Lifts an account's lockout (an admin's decision); True if it was locked."""
    subject = _account(account)
    await redis.delete(FAILURES.format(subject=subject))
    return bool(await redis.delete(LOCKED.format(subject=subject)))


def _account(account: str) -> str:
    return "account:" + account.strip().casefold()


def _kinds(account: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("account", _account(account)), ("address", "address:" + address)


def _subjects(account: str, address: str) -> list[str]:
    return [subject for _, subject in _kinds(account, address)]
