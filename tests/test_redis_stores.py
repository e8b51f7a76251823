import fakeredis
import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.redis_stores import UrlRedisTrackerStore, redis_params

DOMAIN = Domain.from_dict({"slots": {"erase_requested": {"type": "bool", "mappings": [{"type": "custom"}]}}})


def test_redis_url_is_split_into_connection_keywords() -> None:
    assert redis_params("rediss://user:p%40ss@cache.internal:6380/2") == {
        "host": "cache.internal",
        "port": 6380,
        "db": 2,
        "username": "user",
        "password": "p@ss",
        "use_ssl": True,
    }
    assert redis_params("redis://127.0.0.1:6390")["db"] == 0


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="redis://"):
        redis_params("http://127.0.0.1:6390")


@pytest.fixture
def tracker_store() -> UrlRedisTrackerStore:
    store = UrlRedisTrackerStore(DOMAIN, host="redis://127.0.0.1:6390/0")
    store.red = fakeredis.FakeStrictRedis(decode_responses=True)
    return store


async def test_conversation_is_saved(tracker_store: UrlRedisTrackerStore) -> None:
    tracker = DialogueStateTracker.from_events("web-1", [UserUttered("hi")], slots=DOMAIN.slots)
    await tracker_store.save(tracker)
    assert tracker_store.red.exists("tracker:web-1")


async def test_erased_conversation_is_deleted_instead_of_saved(tracker_store: UrlRedisTrackerStore) -> None:
    tracker = DialogueStateTracker.from_events("web-1", [UserUttered("hi")], slots=DOMAIN.slots)
    await tracker_store.save(tracker)
    tracker.update(SlotSet("erase_requested", True))
    await tracker_store.save(tracker)
    assert not tracker_store.red.exists("tracker:web-1")
    assert await tracker_store.retrieve("web-1") is None
