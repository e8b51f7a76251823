"""One running stack (Redis, actions, Rasa, gateway, Telegram double) for all integration tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, sync_playwright

from bot.store.handoffs import HandoffStore
from scripts.local_redis import LocalRedis
from support.redis_connection import async_client
from tests.integration.stack import ROOT, Stack, running_stack
from tests.integration.telegram_double import BotApiDouble
from tests.mailbox import LocalMailbox


@pytest.fixture(scope="session")
def telegram() -> Iterator[BotApiDouble]:
    double = BotApiDouble()
    double.start()
    yield double
    double.stop()


@pytest.fixture(scope="session")
def mailbox() -> Iterator[LocalMailbox]:
    """The SMTP server the stack's action server sends one-time codes to."""
    with LocalMailbox() as running:
        yield running


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, telegram: BotApiDouble, mailbox: LocalMailbox) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack"), telegram.url, mailbox.port) as running:
        yield running


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing; run 'make test' (it installs it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def redis_client(stack: Stack) -> Iterator[redis.Redis]:
    """The stack's Redis; afterwards the proof attempts counted from 127.0.0.1 are cleared for the next test."""
    client = redis.Redis.from_url(stack.redis_url)
    yield client
    for key in client.scan_iter("proof:attempts:*"):
        client.delete(key)
    # redis-py 4's close() keeps the pool's sockets open; disconnect them.
    client.connection_pool.disconnect()


@pytest.fixture
async def queue_left_as_found(stack: Stack) -> AsyncIterator[None]:
    """Chats a test queued leave the queue afterwards, so later tests' queue places start where they expect."""
    before = await queued_chats(stack.redis_url)
    yield
    await close_queued_chats(stack.redis_url, keep=before)


@pytest.fixture
def local_redis() -> Iterator[LocalRedis]:
    """A redis-server of the test's own (not the stack's), which the test may kill and restart."""
    server = LocalRedis()
    server.start()
    yield server
    server.kill()


@pytest.fixture
def browser_queue_left_as_found(stack: Stack) -> Iterator[None]:
    """``queue_left_as_found`` for browser tests: Playwright's own loop runs in the test's thread."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        before = worker.submit(asyncio.run, queued_chats(stack.redis_url)).result()
        yield
        worker.submit(asyncio.run, close_queued_chats(stack.redis_url, keep=before)).result()


async def queued_chats(redis_url: str) -> set[str]:
    """The conversations waiting in the queue now."""
    # The project's client: the test may have restarted Redis under it.
    client = async_client(redis_url)
    queued = {handoff.conversation for handoff in await HandoffStore(client).queued()}
    await client.close(close_connection_pool=True)
    return queued


async def close_queued_chats(redis_url: str, keep: set[str]) -> None:
    """Closes every queued conversation but ``keep``."""
    client = async_client(redis_url)
    handoffs = HandoffStore(client)
    for handoff in await handoffs.queued():
        if handoff.conversation not in keep:
            await handoffs.close(handoff.conversation, time.time())
    await client.close(close_connection_pool=True)


@pytest.fixture
def restored_knowledge() -> Iterator[Path]:
    """The knowledge files (every language) as they were before the test, whatever it changes.

    Yields the English shipping file, the one the editing tests change.
    """
    knowledge = ROOT / "data" / "knowledge"
    originals = {path: path.read_bytes() for path in knowledge.glob("*/*.yml")}
    yield knowledge / "en" / "shipping.yml"
    for path, content in originals.items():
        path.write_bytes(content)
