"""The live feedback paths on a gateway whose FEEDBACK_FILE asks everyone NPS and caps agent ratings at 12 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
import yaml

from bot.channels.web_client import WebCustomer
from bot.console.client import ConsoleAgent
from bot.store.feedback import RATINGS_STREAM, STATS, day_of
from bot.store.presence import ONLINE
from bot.texts import Texts
from tests.integration.stack import ROOT, Stack, conversation_of, free_port

# Chats these tests queue leave the queue afterwards, so later tests' queue places are theirs.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("queue_left_as_found")]
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "integration-password"
AGENT_GAP_SECONDS = 12


@pytest.fixture(scope="module")
def gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("nps")
    feedback = yaml.safe_load((ROOT / "data" / "support" / "feedback.yml").read_text(encoding="utf-8"))
    feedback["nps"]["share"] = 1
    feedback["csat"]["inactivity_minutes"] = 24 * 60  # no inactivity survey interleaves
    feedback["csat"]["agent_min_hours_between"] = AGENT_GAP_SECONDS / 3600
    (folder / "feedback.yml").write_text(yaml.safe_dump(feedback), encoding="utf-8")
    port = free_port()
    stack.start_gateway(name="gateway-nps", GATEWAY_PORT=str(port), FEEDBACK_FILE=str(folder / "feedback.yml"))
    yield f"http://127.0.0.1:{port}"
    stack.stop("gateway-nps")


def stored(stack: Stack, day: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The day's counters and the ratings stream, as stored."""
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        return client.hgetall(STATS.format(day=day)), [fields for _, fields in client.xrange(RATINGS_STREAM)]
    finally:
        client.connection_pool.disconnect()


def button(message: dict[str, Any], title: str) -> str:
    return str(next(b["payload"] for b in message["buttons"] if b["title"] == title))


@pytest.mark.parametrize(("language", "goodbye"), [("en", "bye"), ("ko", "안녕히 계세요")])
async def test_a_rating_customer_is_asked_nps_and_the_score_is_stored(
    stack: Stack, gateway: str, language: str, goodbye: str
) -> None:
    customer = WebCustomer(gateway)
    await customer.connect()
    turn = await customer.say(goodbye)
    question = next(m for m in turn if m["text"] == TEXTS.get("utter_csat_question_bot", language))
    [comment] = await customer.press(button(question, TEXTS.get("utter_button_csat_3", language)))
    assert comment["text"] == TEXTS.get("utter_csat_comment", language)
    [thanks] = await customer.press(button(comment, TEXTS.get("utter_button_skip", language)))
    assert thanks["text"] == TEXTS.get("utter_csat_thanks_positive", language)
    nps = await customer.next_message("bot")
    assert nps["text"] == TEXTS.get("utter_nps_question", language)
    assert [b["title"] for b in nps["buttons"]] == [str(n) for n in range(11)]
    [nps_thanks] = await customer.press(button(nps, "9"))
    assert nps_thanks["text"] == TEXTS.get("utter_nps_thanks", language)

    counters, ratings = stored(stack, day_of(time.time()))
    assert int(counters[f"nps|web|{language}|9"]) >= 1
    conversation = conversation_of(customer.session_token)
    mine = [(r["kind"], r.get("part", ""), r["score"]) for r in ratings if r["conversation"] == conversation]
    assert mine == [("csat", "bot", "3"), ("nps", "", "9")]
    await customer.close()


@pytest.fixture
async def yuri(stack: Stack, gateway: str) -> AsyncIterator[ConsoleAgent]:
    stack.add_user("yuri", "agent", "Yuri")
    redis.Redis.from_url(stack.redis_url).delete(ONLINE)
    agent = ConsoleAgent(gateway)
    await agent.login("yuri", PASSWORD)
    await agent.open_socket()
    yield agent
    await agent.close(log_out=True)


async def resolved_chat_rated(yuri: ConsoleAgent, customer: WebCustomer) -> bool:
    """The customer asks for a person, Yuri takes the chat and resolves it; True if the customer is asked to rate."""
    await customer.say("can I speak to an agent")
    queued = await yuri.wait_for(lambda e: e.get("event") == "queued")
    conversation = queued["conversation"]
    assert (await yuri.post(f"/console/api/conversations/{conversation}/claim")).status_code == 200
    assert (await yuri.post(f"/console/api/conversations/{conversation}/resolve")).status_code == 200
    resolved = TEXTS.get("utter_agent_resolved").format(agent="Yuri")
    while (await customer.next_message("notice"))["text"] != resolved:
        continue  # "Yuri joined" comes first
    try:
        rating = await customer.next_message("bot", timeout=3)
    except asyncio.TimeoutError:
        return False
    assert rating["text"] == TEXTS.get("utter_csat_question_agent").format(agent="Yuri")
    return True


async def test_every_agent_chat_is_rated_outside_the_per_customer_gap(
    stack: Stack, gateway: str, yuri: ConsoleAgent
) -> None:
    customer = WebCustomer(gateway)
    await customer.connect()
    assert await resolved_chat_rated(yuri, customer)
    first_asked = time.monotonic()
    assert not await resolved_chat_rated(yuri, customer)  # within the gap of this gateway's feedback file
    await asyncio.sleep(max(0.0, first_asked + AGENT_GAP_SECONDS + 1 - time.monotonic()))
    assert await resolved_chat_rated(yuri, customer)  # a later chat of the same conversation is rated again
    await customer.close()
