"""What the durable outbox costs: added reply latency against a direct send, and its throughput.

Runs on its own Redis server (a free port, nothing of `make run` is touched) and the
local Bot API double the tests use; python-telegram-bot makes the calls in both cases.

- Latency: one message at a time to a fresh chat, timed from the moment the reply
  is ready to the moment the Bot API receives it: sent directly with
  ``Bot.send_message`` (what the gateway did before); through the outbox as the
  gateway does it (``Delivery.notify``: queued, then sent at once by the instance
  that has Telegram); and queued by an instance without Telegram, for the running
  dispatcher loop. Prints p50/p90/p99 of each and the p50 added.
- Web latency: a message from ``Delivery.notify`` to a subscribed socket's Redis
  subscription, through the outbox (queued, leased and published at once by the
  instance's web dispatcher) against a plain publish (what the gateway did before).
- Throughput: a burst queued at once across many chats, with Telegram's pacing
  switched off so the machinery itself is measured (with it on, Telegram's limit of
  30 messages a second is the ceiling by design).

Example: python -m scripts.bench_outbox --messages 300 --burst 3000
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from telegram import Bot

from bot.channels.dispatch import Dispatcher, DispatchPolicy, Pacing
from bot.channels.telegram import ButtonStore, TelegramSender, TelegramStatus
from bot.channels.web import WebSender
from bot.dashboard.metrics import percentile
from bot.delivery import Delivery
from bot.store.deliveries import DeliveryQueue
from bot.store.outbox import Outbox
from bot.store.transcripts import TranscriptStore
from tests.integration.stack import scratch_redis, wait_until
from tests.integration.telegram_double import BotApiDouble

# Spacing between timed messages keeps the latency run under Telegram's 30 a second.
LATENCY_SPACING_SECONDS = 0.04
UNPACED = Pacing(per_chat=10**9, overall=10**9)
TEXT = "Standard delivery costs ₩3,000."


async def arrival(double: BotApiDouble, chat_id: int) -> float:
    """When the Bot API received the first message to ``chat_id``."""
    while True:
        tries = double.tries(chat_id=chat_id)
        if tries:
            return tries[0][1]
        await asyncio.sleep(0.0002)


async def timed(double: BotApiDouble, chats: range, send: Callable[[int], Awaitable[object]]) -> list[float]:
    """Milliseconds from handing each message over to its arrival at the Bot API."""
    latencies = []
    for chat_id in chats:
        start = time.time()
        await send(chat_id)
        latencies.append((await arrival(double, chat_id) - start) * 1000)
        await asyncio.sleep(LATENCY_SPACING_SECONDS)
    return latencies


async def web_latencies(redis: Redis, messages: int, through_outbox: bool) -> list[float]:
    """Milliseconds from handing a web message over to its arrival at a subscribed socket."""
    outbox = Outbox(redis, redis)
    delivery = Delivery(TranscriptStore(redis), outbox, DeliveryQueue(redis), time.time)
    delivery.immediate["web"] = Dispatcher(
        "web", delivery.queue, WebSender(outbox), delivery.report, time.time, pacing=None
    )
    latencies = []
    async with outbox.following("web-bench") as events:
        for n in range(messages):
            message = {"id": f"w{n}", "type": "message", "role": "bot", "text": TEXT}
            start = time.perf_counter()
            if through_outbox:
                await delivery.notify("web-bench", "web", message)
            else:
                await outbox.publish("web-bench", message)
            await anext(events)
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def summary(name: str, values: list[float]) -> str:
    """One line of percentiles."""
    p50, p90, p99 = (percentile(values, q) or 0.0 for q in (50, 90, 99))
    return f"{name:<22} p50 {p50:6.2f} ms   p90 {p90:6.2f} ms   p99 {p99:6.2f} ms"


async def run(redis_url: str, double: BotApiDouble, messages: int, burst: int) -> None:
    """Times both ways of sending, then the burst; prints the figures."""
    redis = Redis.from_url(redis_url)
    bot = Bot("123456:bench", base_url=f"{double.url}/bot")
    await bot.initialize()
    queue = DeliveryQueue(redis)
    sender = TelegramSender(bot, ButtonStore(redis), TelegramStatus("webhook"))

    async def ignore(conversation: str, event: dict[str, object]) -> None:
        raise RuntimeError(f"a benchmark message was not delivered: {event}")

    dispatcher = Dispatcher("telegram", queue, sender, ignore, time.time, DispatchPolicy(), UNPACED)
    # The gateway's own dispatcher, paced to Telegram's limits, sending what its instance queues at once.
    paced = Dispatcher("telegram", queue, sender, ignore, time.time)
    running = asyncio.create_task(dispatcher.run())
    try:
        message = {"id": "m", "role": "bot", "text": TEXT, "buttons": []}
        direct = await timed(double, range(1, messages + 1), lambda chat: bot.send_message(chat, TEXT))
        delivery = Delivery(TranscriptStore(redis), Outbox(redis, redis), queue, time.time)
        delivery.immediate["telegram"] = paced
        immediate = await timed(
            double,
            range(100_001, 100_001 + messages),
            lambda chat: delivery.notify(f"tg-{chat}", "telegram", {**message, "id": f"t{chat}"}),
        )
        queued = await timed(
            double,
            range(150_001, 150_001 + messages),
            lambda chat: queue.enqueue("telegram", f"tg-{chat}", message, time.time()),
        )
        print(summary("telegram, direct send", direct))
        print(summary("telegram, outbox", immediate))
        print(summary("telegram, outbox loop", queued))
        added = (percentile(immediate, 50) or 0.0) - (percentile(direct, 50) or 0.0)
        print(f"telegram, added        p50 {added:6.2f} ms over {messages} messages")
        published = await web_latencies(redis, messages, through_outbox=False)
        delivered = await web_latencies(redis, messages, through_outbox=True)
        print(summary("web, direct publish", published))
        print(summary("web, outbox", delivered))
        added = (percentile(delivered, 50) or 0.0) - (percentile(published, 50) or 0.0)
        print(f"web, added             p50 {added:6.2f} ms over {messages} messages")
        already_sent = len(double.sent())
        start = time.time()
        for n in range(burst):
            await queue.enqueue("telegram", f"tg-{200_001 + n % 200}", message, time.time())
        queued_at = time.time()
        await asyncio.to_thread(wait_until, lambda: len(double.sent()) >= already_sent + burst, 300, "the burst")
        seconds = time.time() - start
        print(
            f"throughput             {burst / seconds:6.0f} messages/s ({burst} over 200 chats in {seconds:.2f} s; "
            f"queueing alone {burst / (queued_at - start):.0f}/s)"
        )
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await bot.shutdown()
        await redis.close(close_connection_pool=True)


def main() -> None:
    """Starts a private Redis and the Bot API double, and runs the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300, help="timed messages per way of sending")
    parser.add_argument("--burst", type=int, default=3000, help="messages queued at once for the throughput")
    args = parser.parse_args()
    double = BotApiDouble()
    double.start()
    try:
        with scratch_redis() as redis_url:
            asyncio.run(run(redis_url, double, args.messages, args.burst))
    finally:
        double.stop()


if __name__ == "__main__":
    main()
