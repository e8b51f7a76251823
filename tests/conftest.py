"""Shared fixtures: a demo store on a fixed date, fake Redis, and tracker fixtures."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import fakeredis
import pytest
from rasa_sdk import Tracker
from redis.asyncio import Redis

from actions.identity import Attempts, Limits, LoginCodes
from actions.policy import Policy
from actions.profiles import ProfileStore
from actions.runtime import Services, use_services
from actions.store import SqliteStore, build_database
from actions.verification import Verifier
from bot.store.identities import IdentityStore
from knowledge import KnowledgeRepository
from tests.integration.stack import scratch_redis

ROOT = Path(__file__).resolve().parent.parent
TRACKERS = Path(__file__).resolve().parent / "data" / "trackers"
# A Wednesday with no public holiday near it, so business-day sums are easy to check.
TODAY = date(2026, 11, 18)


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    """The demo store built from the seed data as of TODAY."""
    return build_database(tmp_path / "store.sqlite3", TODAY)


@pytest.fixture
def policy() -> Policy:
    """The store policy from data/store/policy.yml."""
    return Policy.load()


@pytest.fixture
async def redis() -> AsyncIterator[fakeredis.FakeAsyncRedis]:
    """An in-process fake Redis."""
    client = fakeredis.FakeAsyncRedis()
    yield client
    await client.close()


@pytest.fixture
def identities(redis: fakeredis.FakeAsyncRedis) -> IdentityStore:
    """The gateway's record of how conversations proved their customer, on the fake Redis."""
    return IdentityStore(redis)


@pytest.fixture
def profiles(redis: fakeredis.FakeAsyncRedis) -> ProfileStore:
    """Profiles on the fake Redis."""
    return ProfileStore(redis)


@pytest.fixture
def verifier(store: SqliteStore, profiles: ProfileStore, redis: fakeredis.FakeAsyncRedis) -> Verifier:
    """The order forms' proofs, with the default limits and no mail configured."""
    limits = Limits()
    return Verifier(store, profiles, Attempts(redis, limits), LoginCodes(redis, limits), None)


@pytest.fixture
def services(store: SqliteStore, profiles: ProfileStore, verifier: Verifier, policy: Policy) -> Iterator[Services]:
    """Installs test services for the actions and removes them afterwards."""
    installed = Services(
        store=store,
        profiles=profiles,
        verifier=verifier,
        knowledge=KnowledgeRepository(ROOT / "data" / "knowledge"),
        policy=policy,
        today=lambda: TODAY,
    )
    use_services(installed)
    yield installed
    use_services(None)


def load_tracker(name: str, **slots: Any) -> Tracker:
    """A tracker from tests/data/trackers/<name>.json, with optional slot overrides."""
    state = json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))
    state["slots"] = {**state.get("slots", {}), **slots}
    return Tracker.from_dict(state)


def sent(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages a dispatcher collected, without the keys rasa-sdk leaves empty."""
    return [{key: value for key, value in message.items() if value not in (None, [], {})} for message in messages]


@pytest.fixture(scope="module")
def scratch_redis_url() -> Iterator[str]:
    """A private Redis server for one test module."""
    with scratch_redis() as url:
        yield url


@pytest.fixture
async def real_redis(scratch_redis_url: str) -> AsyncIterator[Redis]:
    """A client of the module's private Redis server, emptied before each test."""
    client = Redis.from_url(scratch_redis_url)
    await client.flushdb()
    yield client
    await client.close(close_connection_pool=True)
