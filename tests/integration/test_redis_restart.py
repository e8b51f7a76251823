"""Redis clients of every process ride out a restart of the server (support.redis_connection)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.store.outbox import RESUBSCRIBED, Outbox
from scripts.local_redis import LocalRedis
from support.redis_connection import async_client, sync_client

pytestmark = pytest.mark.integration


def restart_later(local_redis: LocalRedis, seconds: float) -> threading.Thread:
    """Kills the server now and starts it again after ``seconds``, in the background."""
    local_redis.kill()

    def start_after_a_pause() -> None:
        threading.Event().wait(seconds)
        local_redis.start()

    thread = threading.Thread(target=start_after_a_pause)
    thread.start()
    return thread


async def test_a_pooled_connection_to_a_restarted_server_is_replaced_without_an_error(
    local_redis: LocalRedis,
) -> None:
    client = async_client(local_redis.url, socket_timeout=3, socket_connect_timeout=2)
    try:
        await asyncio.gather(*(client.set(f"k{n}", n) for n in range(5)))  # several pooled connections
        local_redis.kill()
        local_redis.start()
        assert await asyncio.gather(*(client.set(f"k{n}", n) for n in range(5))) == [True] * 5
    finally:
        await client.close(close_connection_pool=True)


async def test_a_command_sent_while_redis_restarts_waits_for_it(local_redis: LocalRedis) -> None:
    client = async_client(local_redis.url, socket_timeout=3, socket_connect_timeout=2)
    try:
        await client.ping()
        restarting = restart_later(local_redis, 1.5)
        assert await client.rpush("transcript:web-a", "hello") == 1
        restarting.join()
    finally:
        await client.close(close_connection_pool=True)


def test_rasas_stores_ride_out_a_restart_too(local_redis: LocalRedis) -> None:
    client = sync_client(host="127.0.0.1", port=local_redis.port, db=0, decode_responses=True)
    try:
        client.set("tracker:web-a", "{}")
        restarting = restart_later(local_redis, 1.0)
        assert client.set("tracker:web-a", '{"events": []}')
        restarting.join()
        assert client.get("tracker:web-a") == '{"events": []}'
    finally:
        client.close()
        client.connection_pool.disconnect()


async def test_a_subscription_subscribes_again_and_says_so(local_redis: LocalRedis) -> None:
    publisher = async_client(local_redis.url, socket_timeout=3, socket_connect_timeout=2)
    subscriber = async_client(local_redis.url, socket_connect_timeout=2)
    outbox = Outbox(publisher, subscriber)
    try:
        async with outbox.following("web-a") as events:
            local_redis.kill()
            local_redis.start()
            assert await asyncio.wait_for(anext(events), 10) == RESUBSCRIBED
            await outbox.publish("web-a", {"type": "message", "text": "after the restart"})
            assert await asyncio.wait_for(anext(events), 5) == {"type": "message", "text": "after the restart"}
    finally:
        await publisher.close(close_connection_pool=True)
        await subscriber.close(close_connection_pool=True)
