"""Time to live for knowledge edits, and customer latency while a new model is swapped in.

Needs the system running (`make run`). Works as an editor through the gateway's editor
API and as web customers through the widget's socket, like the real people would:

1. answer edits: an answer is changed; the time until a customer asking that FAQ gets
   the new text (goal under 2 s);
2. a new FAQ with 10 phrasings: added through the editor API, which starts retraining;
   the time until a customer asking an unseen wording gets the new answer (goal under
   60 s; the live phrasings answer it before any training), and until the retrained
   model is swapped in (after which the same wording must still get it). Meanwhile a
   customer keeps chatting, a message every few seconds; every reply latency is recorded,
   and any "assistant unavailable" reply counts as a failure.

Everything is rolled back at the end (the FAQ is retired, which retrains once more).
Example: python -m scripts.bench_editing --edits 10
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.channels.web_client import WebCustomer
from bot.console.client import ConsoleAgent
from bot.dashboard.metrics import percentile
from bot.texts import Texts
from scripts.bench_common import SAMPLE_FAQ, SAMPLE_FAQ_UNSEEN, gateway_url, signed_in

ROOT = Path(__file__).resolve().parents[1]
BENCH_EDITOR = "bench_editor"
EDITED_FAQ = ("shipping_cost", "what do you charge for postage")
NEW_FAQ = {**SAMPLE_FAQ, "id": "bench_parcel_lockers", "answer": SAMPLE_FAQ["answer"] + " (Benchmark FAQ.)"}
# A person reads and types between messages (and the gateway allows 20 messages a minute per chat).
TYPING_PAUSE_SECONDS = 3.5
CHATTER = ["hi", "how long does delivery take", "what is your returns policy", "do you ship abroad", "thanks"]


@dataclass
class Chatter:
    """A customer who keeps talking while the model changes; every reply's latency and failures."""

    gateway: str
    unavailable: str
    latencies: list[tuple[float, float]] = field(default_factory=list)
    failures: int = 0
    running: bool = True

    async def run(self) -> None:
        """Sends one message after another until stopped."""
        customer = WebCustomer(self.gateway)
        await customer.connect()
        turn = 0
        while self.running:
            started = time.perf_counter()
            replies = await customer.say(CHATTER[turn % len(CHATTER)], timeout=120)
            self.latencies.append((time.time(), time.perf_counter() - started))
            self.failures += any(r.get("text") == self.unavailable for r in replies)
            turn += 1
            await asyncio.sleep(TYPING_PAUSE_SECONDS)
        await customer.close()


async def first_answer(customer: WebCustomer, question: str) -> str:
    """The text of the knowledge-base answer to a question ("" if the bot answered otherwise)."""
    replies = await customer.say(question, timeout=120)
    return next((str(r.get("text", "")) for r in replies if r.get("faq_id")), "")


async def answer_edits(editor: ConsoleAgent, gateway: str, rounds: int) -> list[float]:
    """Seconds from saving an edited answer to a customer receiving it (a new customer each round)."""
    faq_id, question = EDITED_FAQ
    original = (await editor.http.get(f"/editor/api/faqs/{faq_id}")).json()["answer"]
    seconds = []
    try:
        for round_ in range(rounds):
            customer = WebCustomer(gateway)
            await customer.connect()
            marked = f"{original} (edit {round_} {secrets.token_hex(3)})"
            (await edit_answer(editor, faq_id, marked)).raise_for_status()
            saved = time.perf_counter()
            while True:  # the customer asks until the new text comes back
                if await first_answer(customer, question) == marked:
                    break
                await asyncio.sleep(0.05)
            seconds.append(time.perf_counter() - saved)
            await customer.close()
    finally:
        await edit_answer(editor, faq_id, original)
    return seconds


async def edit_answer(editor: ConsoleAgent, faq_id: str, answer: str) -> httpx.Response:
    """Saves an FAQ's answer over its version as read now (the editor refuses a save without one)."""
    return await editor.post(
        f"/editor/api/faqs/{faq_id}/answer", {"answer": answer, "version": await version(editor, faq_id)}
    )


async def version(editor: ConsoleAgent, faq_id: str) -> str:
    """The FAQ's version now."""
    return str((await editor.http.get(f"/editor/api/faqs/{faq_id}")).json()["version"])


async def training_finished(editor: ConsoleAgent, since: float) -> dict[str, str]:
    """The state of the retraining job started after ``since`` (Unix time), once it is done or failed."""
    while True:
        state = (await editor.http.get("/editor/api/training")).json()
        if state.get("state") in ("done", "failed") and float(state.get("started", 0)) >= since:
            return dict(state)
        await asyncio.sleep(1)


async def new_faq(editor: ConsoleAgent, gateway: str) -> tuple[float, float, dict[str, str]]:
    """Seconds from adding the FAQ to a customer getting it for an unseen wording, and to the swap; the job."""
    since = time.time()
    response = await editor.post("/editor/api/faqs", NEW_FAQ)
    response.raise_for_status()
    added = time.perf_counter()
    while True:  # new customers ask until the new answer comes back
        if await asked_by_a_new_customer(gateway, SAMPLE_FAQ_UNSEEN) == NEW_FAQ["answer"]:
            break
        await asyncio.sleep(0.1)
    live = time.perf_counter() - added
    job = await training_finished(editor, since)
    swapped = time.perf_counter() - added
    if job.get("state") != "done":
        raise RuntimeError(f"retraining failed: {job.get('error')}")
    answer = await asked_by_a_new_customer(gateway, SAMPLE_FAQ_UNSEEN)
    if answer != NEW_FAQ["answer"]:
        raise RuntimeError(f"after the swap, {SAMPLE_FAQ_UNSEEN!r} got {answer!r}")
    return live, swapped, job


async def asked_by_a_new_customer(gateway: str, question: str) -> str:
    """The knowledge-base answer a customer new to the chat gets (a repeated question would read as frustration)."""
    customer = WebCustomer(gateway)
    await customer.connect()
    try:
        return await first_answer(customer, question)
    finally:
        await customer.close()


async def main(edits: int) -> None:
    """Runs both measurements and prints them."""
    gateway = gateway_url()
    editor = await signed_in(BENCH_EDITOR, "editor", "Bench editor")

    edit_seconds = await answer_edits(editor, gateway, edits)
    print(f"answer edit -> customer     p50 {percentile(edit_seconds, 50):6.2f} s   "
          f"max {max(edit_seconds):6.2f} s   (n={len(edit_seconds)})")  # fmt: skip

    chatter = Chatter(gateway, Texts.load(ROOT / "domain.yml").get("utter_gateway_unavailable"))
    talking = asyncio.create_task(chatter.run())
    try:
        live, swapped, job = await new_faq(editor, gateway)
    finally:
        chatter.running = False
        await talking
    print(f"new FAQ (10 phrasings) -> customer, unseen wording  {live:6.2f} s   (live phrasings)")
    print(f"new FAQ (10 phrasings) -> retrained model swapped in {swapped:6.1f} s   "
          f"(held-out FAQ accuracy {job.get('accuracy_before')} -> {job.get('accuracy_after')})")  # fmt: skip
    print_chatter(chatter, job)
    retired = time.time()
    await editor.post(f"/editor/api/faqs/{NEW_FAQ['id']}/retire", {"version": await version(editor, NEW_FAQ["id"])})
    print("rolling back: the benchmark FAQ is retired and the model retrained without it ...")
    await training_finished(editor, retired)
    await editor.close(log_out=True)


def print_chatter(chatter: Chatter, job: dict[str, str]) -> None:
    """Latency of the chatting customer over the whole job and around the swap."""
    everything = [seconds * 1000 for _, seconds in chatter.latencies]
    finished = float(job.get("finished", time.time()))
    around_swap = [s * 1000 for at, s in chatter.latencies if finished - 60 <= at <= finished + 5]
    print(f"customer during retraining  p50 {percentile(everything, 50):7.1f} ms   "
          f"p99 {percentile(everything, 99):7.1f} ms   (n={len(everything)}, failed {chatter.failures})")  # fmt: skip
    if around_swap:
        print(f"customer around the swap    p50 {percentile(around_swap, 50):7.1f} ms   "
              f"p99 {percentile(around_swap, 99):7.1f} ms   (n={len(around_swap)})")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10)
    asyncio.run(main(parser.parse_args().edits))
