"""Live-handoff latency: customer's request to the agent console, and agent reply to the customer.

Needs the system running (`make run`). Each round: a new web customer asks for a
person; the time until a logged-in console socket hears about it is measured; an
agent claims the chat; the time from posting a reply to the customer's socket
receiving it is measured; the chat is resolved. Prints p50 and p99 of both.
Example: python -m scripts.bench_handoff --rounds 30
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bot.channels.web_client import WebCustomer
from bot.console.client import ConsoleAgent
from bot.dashboard.metrics import percentile
from scripts.bench_common import gateway_url, signed_in

BENCH_AGENT = "bench_agent"


async def one_round(gateway: str, agent: ConsoleAgent) -> tuple[float, float]:
    """Seconds from request to console event, and from reply post to the customer's socket."""
    customer = WebCustomer(gateway)
    await customer.connect()
    started = time.perf_counter()
    await customer.send_raw('{"type": "message", "text": "can I speak to an agent"}')
    queued = await agent.wait_for(lambda e: e.get("event") == "queued")
    to_console = time.perf_counter() - started
    conversation = queued["conversation"]
    await customer.bot_turn(timeout=15)
    (await agent.post(f"/console/api/conversations/{conversation}/claim")).raise_for_status()
    await customer.next_event()  # "… joined the chat"
    started = time.perf_counter()
    await agent.post(f"/console/api/conversations/{conversation}/reply", {"text": "Hi, how can I help?"})
    while (await customer.next_event()).get("role") != "agent":
        continue
    to_customer = time.perf_counter() - started
    await agent.post(f"/console/api/conversations/{conversation}/resolve")
    await customer.close()
    return to_console, to_customer


async def main(rounds: int) -> None:
    """Runs the rounds and prints the percentiles."""
    gateway = gateway_url()
    agent = await signed_in(BENCH_AGENT, "agent", "Bench")
    await agent.open_socket()
    samples = [await one_round(gateway, agent) for _ in range(rounds)]
    await agent.close(log_out=True)
    measured = {"request -> console": [s[0] for s in samples], "reply -> customer": [s[1] for s in samples]}
    for name, values in measured.items():
        ms = [v * 1000 for v in values]
        p50, p99 = percentile(ms, 50) or 0, percentile(ms, 99) or 0
        print(f"{name:<20} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   (n={len(ms)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))
