"""One running stack (Redis, actions, Rasa, gateway, Telegram double) for all integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, sync_playwright

from tests.integration.stack import Stack, running_stack
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
