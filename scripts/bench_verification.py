"""Does a failed order check tell a stranger anything by its timing? Wrong pairs timed by kind.

Needs the system running (`make run`). Web conversations from this machine give an
order number, then an email that does not go with it, in three kinds: no such order,
another customer's order, and an address with no account. Five tries per
conversation (its limit), as many conversations as asked; the time from sending the
email to the answer is measured. Prints p50 and p90 per kind and the largest gap
between the kinds' medians. The attempt counters this run filled (in ``REDIS_URL``)
are cleared at the end, so the machine is not locked out of order checks for an hour.
Example: python -m scripts.bench_verification --conversations 8
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from redis.asyncio import Redis

from bot.channels.web_client import WebCustomer
from bot.dashboard.metrics import percentile
from scripts.bench_common import gateway_url

KINDS = {
    "no such order": ("19999", "mina.kim@example.com"),
    "another customer's order": ("10421", "joon.park@example.org"),
    "no account": ("10433", "nobody@example.com"),
}
TRIES_PER_CONVERSATION = 5


async def one_conversation(url: str, first_kind: int) -> dict[str, list[float]]:
    """Five wrong pairs in one conversation; seconds per kind."""
    customer = WebCustomer(url)
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    await customer.connect()
    await customer.say("where is my order")
    for attempt in range(TRIES_PER_CONVERSATION):
        kind = list(KINDS)[(first_kind + attempt) % len(KINDS)]
        number, email = KINDS[kind]
        await customer.say(number)
        started = time.perf_counter()
        await customer.say(email)
        seconds[kind].append(time.perf_counter() - started)
    await customer.close()
    return seconds


async def clear_attempts() -> None:
    """Forgets the attempts counted during the run (this benchmark's own, from this machine)."""
    redis = Redis.from_url(os.environ["REDIS_URL"])
    async for key in redis.scan_iter("proof:attempts:*"):
        await redis.delete(key)
    await redis.close(close_connection_pool=True)


async def main(conversations: int) -> None:
    """Runs the conversations one after another (the origin's limit is cleared every four)."""
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for number in range(conversations):
        for kind, values in (await one_conversation(gateway_url(), number * TRIES_PER_CONVERSATION)).items():
            seconds[kind].extend(values)
        if number % 4 == 3:
            await clear_attempts()
    await clear_attempts()
    medians = [report(kind, values) for kind, values in seconds.items()]
    print(f"largest gap between the kinds' p50: {(max(medians) - min(medians)) * 1000:.1f} ms")


def report(kind: str, values: list[float]) -> float:
    """Prints one kind's figures; returns its median."""
    median, p90 = percentile(values, 50) or 0.0, percentile(values, 90) or 0.0
    print(f"{kind:26} n={len(values):3}  p50 {median * 1000:6.1f} ms  p90 {p90 * 1000:6.1f} ms")
    return median


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=8)
    asyncio.run(main(parser.parse_args().conversations))
