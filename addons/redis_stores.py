"""Redis tracker and lock stores configured by one URL (``REDIS_URL``).

The tracker store also carries out data erasure: when a turn ends with the
``erase_requested`` slot set (by ``action_delete_my_data``), the conversation's
tracker is deleted instead of saved, so nothing of it remains in Redis.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from support.redis_connection import sync_client

ERASE_SLOT = "erase_requested"


def redis_params(url: str) -> dict[str, Any]:
    """Splits a ``redis://`` or ``rediss://`` URL into redis-py connection keywords."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must start with redis:// or rediss://, got '{parsed.scheme}://'")
    return {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or 6379,
        "db": int(parsed.path.lstrip("/") or 0),
        "username": unquote(parsed.username) if parsed.username else None,
        "password": unquote(parsed.password) if parsed.password else None,
        "use_ssl": parsed.scheme == "rediss",
    }


class UrlRedisTrackerStore(RedisTrackerStore):
    """RedisTrackerStore that takes a URL, rides out a Redis restart and deletes erased conversations."""

    def __init__(self, domain: Domain, host: str, **kwargs: Any) -> None:
        kwargs.pop("url", None)
        params = redis_params(host)
        super().__init__(domain, **params, **kwargs)
        self.red = sync_client(**_connection_keywords(params), decode_responses=True)

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Saves the tracker, or deletes it when the customer asked for erasure."""
        if tracker.get_slot(ERASE_SLOT):
            self.red.delete(self.key_prefix + tracker.sender_id)
            return
        await super().save(tracker, timeout)


class UrlRedisLockStore(RedisLockStore):
    """RedisLockStore that takes a URL and rides out a Redis restart."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        params = redis_params(endpoint_config.url or "")
        super().__init__(
            host=params["host"],
            port=params["port"],
            db=params["db"],
            username=params["username"],
            password=params["password"],
            use_ssl=params["use_ssl"],
            key_prefix=endpoint_config.kwargs.get("key_prefix"),
        )
        self.red = sync_client(**_connection_keywords(params), socket_timeout=10)


def _connection_keywords(params: dict[str, Any]) -> dict[str, Any]:
    """redis-py's keywords for the parsed URL (``use_ssl`` is redis-py's ``ssl``)."""
    keywords = {key: value for key, value in params.items() if key != "use_ssl"}
    return {**keywords, "ssl": params["use_ssl"]}
