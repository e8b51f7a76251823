"""Reply latency through the gateway (web socket) against Rasa's own REST channel.

Needs the system running (`make run`). N conversations run concurrently, each
sending the same short script of messages; the time from sending a message to
the bot's last reply is measured per message. Prints p50 and p99 for both paths
and the gateway's added share. Example: python -m scripts.bench_gateway --conversations 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import httpx

from bot.channels.web_client import WebCustomer
from bot.dashboard.metrics import percentile

SCRIPT = ["hello", "what do you charge for postage", "how long do refunds take", "thanks"]


async def rasa_conversation(http: httpx.AsyncClient, rasa_url: str) -> list[float]:
    """One conversation on Rasa's token-protected gateway channel (no gateway in between); each message's latency."""
    sender, latencies = f"bench-rest-{uuid.uuid4().hex}", []
    for text in SCRIPT:
        started = time.perf_counter()
        response = await http.post(f"{rasa_url}/webhooks/gateway/webhook", json={"sender": sender, "message": text})
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)
    return latencies


async def gateway_conversation(gateway_url: str) -> list[float]:
    """One conversation through the gateway's web socket; the latency of each message."""
    customer, latencies = WebCustomer(gateway_url), []
    await customer.connect()
    for text in SCRIPT:
        started = time.perf_counter()
        await customer.say(text)
        latencies.append(time.perf_counter() - started)
    await customer.close()
    return latencies


async def measure(conversations: int, gateway_url: str, rasa_url: str) -> dict[str, list[float]]:
    """Runs both paths, one after the other, with the same concurrency."""
    headers = {"Authorization": f"Bearer {os.environ['RASA_TOKEN']}"}
    async with httpx.AsyncClient(timeout=30, headers=headers) as http:
        rest = await asyncio.gather(*(rasa_conversation(http, rasa_url) for _ in range(conversations)))
    web = await asyncio.gather(*(gateway_conversation(gateway_url) for _ in range(conversations)))
    return {"rasa_rest": [x for c in rest for x in c], "gateway_web": [x for c in web for x in c]}


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--gateway", default=f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}")
    parser.add_argument("--rasa", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    arguments = parser.parse_args()
    results = asyncio.run(measure(arguments.conversations, arguments.gateway, arguments.rasa))
    print(f"{arguments.conversations} concurrent conversations x {len(SCRIPT)} messages")
    print(f"{'path':<14}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, samples in results.items():
        p50, p99 = (percentile(samples, 50) or 0) * 1000, (percentile(samples, 99) or 0) * 1000
        print(f"{name:<14}{p50:>10.1f}{p99:>10.1f}{statistics.mean(samples) * 1000:>10.1f}")
    rest, web = results["rasa_rest"], results["gateway_web"]
    rest_p50, web_p50 = percentile(rest, 50) or 0, percentile(web, 50) or 0
    added = (web_p50 - rest_p50) / rest_p50
    print(f"gateway adds {added:+.1%} at p50")


if __name__ == "__main__":
    main()
