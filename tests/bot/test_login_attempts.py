"""Wrong console passwords lock the account, or the address, for a while; an admin can lift it."""

from __future__ import annotations

import fakeredis
import pytest

from bot.store.login_attempts import LoginAttempts, unlock

LOCKOUT = 900


@pytest.fixture
def redis() -> fakeredis.aioredis.FakeRedis:
    return fakeredis.aioredis.FakeRedis()


@pytest.fixture
def attempts(redis: fakeredis.aioredis.FakeRedis) -> LoginAttempts:
    return LoginAttempts(redis, per_account=3, per_address=5, lockout_seconds=LOCKOUT)


async def test_the_third_wrong_password_locks_the_account_from_every_address(attempts: LoginAttempts) -> None:
    assert [await attempts.failed("mina", "ip:a") for _ in range(3)] == [False, False, True]
    assert await attempts.locked_for("mina", "ip:a") == LOCKOUT
    assert await attempts.locked_for("Mina ", "ip:elsewhere") == LOCKOUT
    assert await attempts.locked_for("joon", "ip:elsewhere") == 0


async def test_a_right_password_starts_the_count_again(attempts: LoginAttempts) -> None:
    await attempts.failed("mina", "ip:a")
    await attempts.failed("mina", "ip:a")
    await attempts.succeeded("mina")
    assert [await attempts.failed("mina", "ip:a") for _ in range(2)] == [False, False]
    assert await attempts.locked_for("mina", "ip:a") == 0


async def test_an_address_spraying_many_accounts_is_locked(attempts: LoginAttempts) -> None:
    locks = [await attempts.failed(name, "ip:sprayer") for name in ("a", "b", "c", "d", "e")]
    assert locks == [False, False, False, False, True]
    assert await attempts.locked_for("f", "ip:sprayer") == LOCKOUT
    assert await attempts.locked_for("f", "ip:colleague") == 0


async def test_an_admin_lifts_the_lockout(redis: fakeredis.aioredis.FakeRedis, attempts: LoginAttempts) -> None:
    for _ in range(3):
        await attempts.failed("mina", "ip:a")
    assert await unlock(redis, "MINA") is True
    assert await attempts.locked_for("mina", "ip:b") == 0
    assert await unlock(redis, "mina") is False
