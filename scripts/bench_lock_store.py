"""Two Rasa-like servers handling one conversation's messages at once: does the lock keep them apart?

Each server is a lock store with its own Redis connection, thread and event loop, against one
redis-server started here. Every message takes the conversation's lock, works 2 ms and lets go.
Prints, per store and trial: messages handled, messages that failed to get the lock, messages
still waiting after 2 minutes (stuck), ticket numbers handed out twice, the most servers ever
inside at once (1 is right) and the seconds taken.

    python -m scripts.bench_lock_store [--trials 5] [--messages 40]
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from addons.redis_stores import UrlRedisLockStore
from scripts.local_redis import LocalRedis

CONVERSATION = "web-lock-bench"
# Short, so a ticket lost by a racing write blocks the other server for seconds, not Rasa's 60 s.
LOCK_LIFETIME_SECONDS = 5


@dataclass
class Turns:
    """Who is inside the locked section, the tickets served in order, and the messages that failed."""

    inside: int = 0
    most_inside: int = 0
    tickets: list[int] = field(default_factory=list)
    failed: int = 0
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, ticket: int) -> None:
        """A server starts a message's turn."""
        with self._guard:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.tickets.append(ticket)

    def leave(self) -> None:
        """The turn is over."""
        with self._guard:
            self.inside -= 1

    def fail(self) -> None:
        """A message could not get the lock (Rasa answers it with an error)."""
        with self._guard:
            self.failed += 1


def messages(store: LockStore, turns: Turns, count: int) -> None:
    """One server handling ``count`` messages of the conversation, each under the lock."""

    async def handle_all() -> None:
        for _ in range(count):
            try:
                lock_of = store.lock(CONVERSATION, lock_lifetime=LOCK_LIFETIME_SECONDS, wait_time_in_seconds=0.001)
                async with lock_of as lock:
                    turns.enter(lock.now_serving or 0)
                    await asyncio.sleep(0.002)  # the turn's work, long enough for the other server to try to get in
                    turns.leave()
            except LockError:
                turns.fail()

    asyncio.run(handle_all())


def two_servers(make_store: Callable[[], LockStore], count: int) -> Turns:
    """Runs two servers with ``count`` messages each, at once."""
    turns = Turns()
    # Daemons: a server stuck waiting forever (Rasa's store can lose a ticket) must not keep the script alive.
    threads = [threading.Thread(target=messages, args=(make_store(), turns, count), daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return turns


def main() -> None:
    """Prints the figures for Rasa's RedisLockStore and for ours."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--messages", type=int, default=40, help="messages per server and trial")
    args = parser.parse_args()
    server = LocalRedis()
    server.start()
    stores: dict[str, Callable[[], LockStore]] = {
        "addons UrlRedisLockStore": lambda: UrlRedisLockStore(EndpointConfig(url=server.url, key_prefix="ours")),
        "rasa RedisLockStore": lambda: RedisLockStore(host="127.0.0.1", port=server.port, db=0),
    }
    try:
        print(f"{'store':26} trial handled failed stuck duplicate-tickets most-inside-at-once seconds")
        for name, make_store in stores.items():
            for trial in range(1, args.trials + 1):
                started = time.monotonic()
                turns = two_servers(make_store, args.messages)
                seconds = time.monotonic() - started
                duplicates = len(turns.tickets) - len(set(turns.tickets))
                handled, failed, most = len(turns.tickets), turns.failed, turns.most_inside
                stuck = 2 * args.messages - handled - failed
                row = f"{name:26} {trial:5} {handled:7} {failed:6} {stuck:5} {duplicates:17} {most:19} {seconds:7.1f}"
                print(row, flush=True)
    finally:
        server.kill()


if __name__ == "__main__":
    main()
