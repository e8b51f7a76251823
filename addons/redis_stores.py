"""Redis tracker and lock stores configured by one URL (``REDIS_URL``).

The tracker store also carries out data erasure: when a turn ends with the
``erase_requested`` slot set (by ``action_delete_my_data``), the conversation's
tracker is deleted instead of saved, so nothing of it remains in Redis.

The lock store keeps a conversation's messages in order across Rasa servers. Rasa 3.6's
``RedisLockStore`` reads the whole lock, adds a ticket and writes it back: two servers doing that
at once issue the same ticket number, or one write drops the other's ticket, and both process the
conversation at once (RasaHQ/rasa #9213; the fix was reverted in #11428). Here every step is one
atomic Redis command: tickets are numbered by ``INCR`` and kept in a sorted set by their expiry.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any
from urllib.parse import unquote, urlparse

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from support.redis_connection import sync_client

ERASE_SLOT = "erase_requested"
# The ticket counter outlives its tickets by this much, so numbers never restart while a server
# that took one a moment ago still waits on it.
COUNTER_SECONDS = 24 * 3600
# Numbers the ticket and files it in one step: a ticket numbered but not yet filed would let a
# later one be served first.
ISSUE_TICKET = """
local number = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[1], number)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return number
"""


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
    """A ticket lock store whose every step is atomic in Redis; it takes a URL and rides out a Redis restart."""

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
        self._issue = self.red.register_script(ISSUE_TICKET)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Numbers and files a ticket in one step; the lowest unexpired number is served first."""
        expires = time.time() + lock_lifetime
        keys = [self._tickets(conversation_id), self._counter(conversation_id)]
        try:
            return int(self._issue(keys=keys, args=[expires, int(lock_lifetime * 1000) + 1000, COUNTER_SECONDS]))
        except Exception as error:  # Rasa's callers expect a LockError for any failure here
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's unexpired tickets in number order; None when there are none."""
        self.update_lock(conversation_id)
        filed = self.red.zrange(self._tickets(conversation_id), 0, -1, withscores=True)
        tickets = sorted((Ticket(int(number), expires) for number, expires in filed), key=lambda t: t.number)
        return TicketLock(conversation_id, deque(tickets)) if tickets else None

    def update_lock(self, conversation_id: str) -> None:
        """Drops expired tickets (those of a server that died while holding or waiting)."""
        self.red.zremrangebyscore(self._tickets(conversation_id), "-inf", time.time())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Removes one ticket; the others are untouched, whoever filed them meanwhile."""
        self.red.zrem(self._tickets(conversation_id), ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finishes the ticket. Redis drops an empty set itself, so a lock is never deleted under a new ticket."""
        self.finish_serving(conversation_id, ticket_number)

    def delete_lock(self, conversation_id: str) -> None:
        """Deletes every ticket of the conversation."""
        self._log_deletion(conversation_id, bool(self.red.delete(self._tickets(conversation_id))))

    def save_lock(self, lock: TicketLock) -> None:
        """Replaces the conversation's tickets with the lock's, in one transaction."""
        key = self._tickets(lock.conversation_id)
        with self.red.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if lock.tickets:
                pipe.zadd(key, {str(ticket.number): ticket.expires for ticket in lock.tickets})
            pipe.execute()

    def _tickets(self, conversation_id: str) -> str:
        return f"{self.key_prefix}{conversation_id}:tickets"

    def _counter(self, conversation_id: str) -> str:
        return f"{self.key_prefix}{conversation_id}:next"


def _connection_keywords(params: dict[str, Any]) -> dict[str, Any]:
    """redis-py's keywords for the parsed URL (``use_ssl`` is redis-py's ``ssl``)."""
    keywords = {key: value for key, value in params.items() if key != "use_ssl"}
    return {**keywords, "ssl": params["use_ssl"]}
