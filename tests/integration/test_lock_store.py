"""The conversation lock serves one message at a time across Rasa servers (addons/redis_stores.py).

Each "server" is a lock store of its own, with its own Redis connection and its own thread and
event loop, against one real redis-server: what two Rasa processes sharing a Redis do
(``scripts/bench_lock_store.py`` runs the same against Rasa's own RedisLockStore).
"""

from __future__ import annotations

import time

import pytest
from rasa.utils.endpoints import EndpointConfig

from addons.redis_stores import UrlRedisLockStore
from scripts.bench_lock_store import CONVERSATION, two_servers
from scripts.local_redis import LocalRedis

pytestmark = pytest.mark.integration
MESSAGES_PER_SERVER = 40


def lock_store(local_redis: LocalRedis) -> UrlRedisLockStore:
    return UrlRedisLockStore(EndpointConfig(url=local_redis.url, key_prefix="maru"))


def test_two_servers_never_handle_one_conversation_at_once_and_take_turns_in_ticket_order(
    local_redis: LocalRedis,
) -> None:
    turns = two_servers(lambda: lock_store(local_redis), MESSAGES_PER_SERVER)

    assert (turns.most_inside, turns.failed) == (1, 0)
    assert len(turns.tickets) == 2 * MESSAGES_PER_SERVER
    assert turns.tickets == sorted(turns.tickets)
    assert len(set(turns.tickets)) == len(turns.tickets)
    assert lock_store(local_redis).get_lock(CONVERSATION) is None  # every ticket was finished


def test_a_ticket_filed_while_another_finishes_is_kept(local_redis: LocalRedis) -> None:
    first, second = lock_store(local_redis), lock_store(local_redis)
    mine = first.issue_ticket(CONVERSATION, 30)
    theirs = second.issue_ticket(CONVERSATION, 30)
    first.cleanup(CONVERSATION, mine)

    lock = second.get_lock(CONVERSATION)
    assert lock is not None
    assert [ticket.number for ticket in lock.tickets] == [theirs]
    assert not lock.is_locked(theirs)


async def test_the_ticket_of_a_server_that_died_expires_and_the_next_message_goes_on(local_redis: LocalRedis) -> None:
    dead, alive = lock_store(local_redis), lock_store(local_redis)
    dead.issue_ticket(CONVERSATION, 0.3)  # never finished: the server died holding the lock
    started = time.monotonic()
    async with alive.lock(CONVERSATION, lock_lifetime=30, wait_time_in_seconds=0.05) as lock:
        waited = time.monotonic() - started
        assert [ticket.number for ticket in lock.tickets] == [2]
    assert 0.2 < waited < 5


def test_ticket_numbers_do_not_restart_while_the_conversation_is_busy(local_redis: LocalRedis) -> None:
    store = lock_store(local_redis)
    numbers = []
    for _ in range(3):
        ticket = store.issue_ticket(CONVERSATION, 30)
        numbers.append(ticket)
        store.cleanup(CONVERSATION, ticket)
    assert numbers == [1, 2, 3]
