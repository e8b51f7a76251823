"""One running stack (Redis, actions, Rasa, gateway, Telegram double) for all integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.stack import Stack, running_stack
from tests.integration.telegram_double import BotApiDouble


@pytest.fixture(scope="session")
def telegram() -> Iterator[BotApiDouble]:
    double = BotApiDouble()
    double.start()
    yield double
    double.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, telegram: BotApiDouble) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack"), telegram.url) as running:
        yield running
