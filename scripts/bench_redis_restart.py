"""What a Redis restart costs: commands that fail, and the longest wait, with and without the retry policy.

Starts a private Redis server (no persistence), keeps ``--clients`` coroutines writing to it
(each one an RPUSH then an LRANGE, like a transcript append and read), kills the server with
SIGKILL, starts it again after ``--down`` seconds, and counts. Run once with the project's
clients (``support.redis_connection``) and once with plain redis-py clients.

    python -m scripts.bench_redis_restart --clients 20 --down 1.0
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from scripts.local_redis import LocalRedis
from support.redis_connection import async_client


@dataclass
class Tally:
    """Commands tried and failed, and the slowest one (seconds)."""

    tried: int = 0
    failed: int = 0
    slowest: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)


async def keep_writing(client: Redis, key: str, until: float, tally: Tally) -> None:
    """Appends and reads like a transcript does, every 50 ms until ``until``, counting into ``tally``."""
    while time.monotonic() < until:
        started = time.monotonic()
        tally.tried += 1
        try:
            await client.rpush(key, "message")
            await client.lrange(key, -10, -1)
        except RedisError as error:
            tally.failed += 1
            tally.errors[type(error).__name__] = tally.errors.get(type(error).__name__, 0) + 1
        tally.slowest = max(tally.slowest, time.monotonic() - started)
        await asyncio.sleep(0.05)


async def run(resilient: bool, clients: int, down: float) -> Tally:
    """One restart under ``clients`` writers, with the project's clients or plain ones."""
    server = LocalRedis()
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    options = {"socket_timeout": 3, "socket_connect_timeout": 2}
    client = async_client(url, **options) if resilient else Redis.from_url(url, **options)
    tally = Tally()
    until = time.monotonic() + down + 4.0
    writers = [asyncio.create_task(keep_writing(client, f"k{n}", until, tally)) for n in range(clients)]
    await asyncio.sleep(1.0)  # every writer has a pooled connection by now
    server.kill()
    await asyncio.sleep(down)
    server.start()
    await asyncio.gather(*writers)
    await client.close(close_connection_pool=True)
    server.kill()
    return tally


def main() -> None:
    """Runs the restart with both kinds of client and prints a row for each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--down", type=float, default=1.0, help="seconds Redis stays down")
    args = parser.parse_args()
    print(f"Redis killed and started again after {args.down:.1f} s, {args.clients} concurrent writers")
    print(f"{'clients':<28}{'operations':>11}{'failed':>8}{'slowest':>10}  errors")
    for name, resilient in (("support.redis_connection", True), ("plain redis-py", False)):
        tally = asyncio.run(run(resilient, args.clients, args.down))
        print(f"{name:<28}{tally.tried:>11}{tally.failed:>8}{tally.slowest:>9.2f}s  {tally.errors or '-'}")


if __name__ == "__main__":
    main()
