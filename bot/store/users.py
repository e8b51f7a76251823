"""Console users (agents, editors, admins) with scrypt-hashed passwords."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

ROLES = ("agent", "editor", "admin")
KEY = "user:{name}"
ALL_USERS = "users"
# scrypt cost: ~50 ms per check on this 2-core machine, which slows guessing without slowing logins.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """A user can't be created as asked."""


@dataclass(frozen=True)
class User:
    """Someone who can log in to the console."""

    name: str
    role: str
    display_name: str


def hash_password(password: str) -> str:
    """A salted scrypt hash with its parameters, as stored."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """True if the password produces the stored hash."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


class UserStore:
    """Creates, finds and authenticates users."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def create(self, name: str, role: str, password: str, display_name: str) -> User:
        """Adds a user (or replaces their role, name and password)."""
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        if not name.isidentifier():
            raise UserError("user names use letters, digits and underscores, starting with a letter")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
        fields = {"role": role, "display_name": display_name or name, "password": hash_password(password)}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(KEY.format(name=name), mapping=fields)
            pipe.sadd(ALL_USERS, name)
            await pipe.execute()
        return User(name, role, fields["display_name"])

    async def get(self, name: str) -> User | None:
        """The user, if they exist."""
        raw = await self._redis.hgetall(KEY.format(name=name))
        if not raw:
            return None
        return User(name, raw[b"role"].decode(), raw[b"display_name"].decode())

    async def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password is right, else None."""
        stored = await self._redis.hget(KEY.format(name=name), "password")
        if stored is None:
            # Hash anyway so a wrong name takes as long as a wrong password.
            password_matches(password, hash_password("timing-equaliser"))
            return None
        if not password_matches(password, stored.decode()):
            return None
        return await self.get(name)

    async def all(self) -> list[User]:
        """Every user, by name."""
        names = sorted(n.decode() for n in await self._redis.smembers(ALL_USERS))
        users = [await self.get(name) for name in names]
        return [user for user in users if user is not None]
