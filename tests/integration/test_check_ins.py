"""Check-ins end to end: the reply is read by the trained model, and the console lists every check-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis

from bot.channels.web_client import WebCustomer
from bot.console.client import ConsoleAgent
from bot.store.presence import ONLINE
from bot.store.surveys import CHECK_INS
from bot.texts import Texts
from support.language import languages
from tests.integration.stack import ROOT, Stack, handoff_of, rasa_headers

# Chats these tests queue leave the queue afterwards, so later tests' queue places are theirs.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("queue_left_as_found")]
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "integration-password"
# A customer's request for a person, and their reply that all is sorted, per language.
ASK_FOR_PERSON = {"en": "can I speak to an agent", "ko": "상담원 연결해 주세요"}
SORTED_REPLY = {"en": "Yes, all sorted now, thanks!", "ko": "네, 해결됐어요. 감사합니다!"}
# The model does not understand it (nlu_fallback): a reply it can't read goes to people.
PROBLEM_REPLY = "No, it's still not sorted"


def text_of(name: str, language: str = "en", **values: Any) -> str:
    return TEXTS.get(name, language).format(**values)


@pytest.fixture(scope="module")
def users(stack: Stack) -> None:
    stack.add_user("walker", "agent", "Walker")
    stack.add_user("hana", "agent", "Hana")


@pytest.fixture
async def walker(stack: Stack, users: None) -> AsyncIterator[ConsoleAgent]:
    """Walker, online (the console socket keeps him marked so), and nobody else from earlier tests."""
    redis.Redis.from_url(stack.redis_url).delete(ONLINE)
    agent = ConsoleAgent(stack.gateway_url)
    await agent.login("walker", PASSWORD)
    await agent.open_socket()
    yield agent
    await agent.close(log_out=True)


async def intent_of(stack: Stack, text: str) -> str:
    async with httpx.AsyncClient() as http:
        parsed = await http.post(
            f"{stack.rasa_url}/model/parse", json={"text": text}, headers=rasa_headers(), timeout=60
        )
    return str(parsed.json()["intent"]["name"])


async def chat_resolved_by(walker: ConsoleAgent, customer: WebCustomer, language: str = "en") -> str:
    """A customer's chat handed to Walker and resolved; returns the conversation."""
    await customer.connect()
    await customer.say(ASK_FOR_PERSON[language])
    queued = await walker.wait_for(lambda e: e.get("event") == "queued")
    conversation = str(queued["conversation"])
    assert (await walker.post(f"/console/api/conversations/{conversation}/claim")).status_code == 200
    await walker.post(f"/console/api/conversations/{conversation}/reply", {"text": "Your parcel is on its way."})
    assert (await walker.post(f"/console/api/conversations/{conversation}/resolve")).status_code == 200
    rating = await customer.next_message("bot")
    assert rating["text"] == text_of("utter_csat_question_agent", language, agent="Walker")
    return conversation


async def check_in_arrives(stack: Stack, customer: WebCustomer, conversation: str, language: str = "en") -> None:
    """Makes the planned check-in due now and waits for the gateway's sweep to send it."""
    client = redis.Redis.from_url(stack.redis_url)
    assert client.zscore(CHECK_INS, conversation) is not None  # planned for the next business morning
    client.zadd(CHECK_INS, {conversation: 0})
    client.connection_pool.disconnect()
    check_in = text_of("utter_check_in", language, agent="Walker")
    while (await customer.next_message("bot", timeout=40))["text"] != check_in:
        continue


async def listed(walker: ConsoleAgent, conversation: str) -> dict[str, Any]:
    check_ins = (await walker.http.get("/console/api/check-ins")).json()["check_ins"]
    [entry] = [c for c in check_ins if c["conversation"] == conversation]
    return dict(entry)


@pytest.mark.parametrize("language", languages().codes)
async def test_all_sorted_closes_the_check_in_with_thanks_and_queues_nothing(
    stack: Stack, walker: ConsoleAgent, language: str
) -> None:
    assert await intent_of(stack, SORTED_REPLY[language]) in ("affirm", "thank")
    customer = WebCustomer(stack.gateway_url)
    conversation = await chat_resolved_by(walker, customer, language)
    scheduled = await listed(walker, conversation)
    assert (scheduled["state"], scheduled["agent"], scheduled["agent_name"]) == ("scheduled", "walker", "Walker")
    await check_in_arrives(stack, customer, conversation, language)
    assert (await listed(walker, conversation))["state"] == "sent"

    [thanks] = await customer.say(SORTED_REPLY[language])
    assert thanks["text"] == text_of("utter_check_in_sorted", language, agent="Walker")
    assert handoff_of(stack.redis_url, conversation) == {}
    queue = (await walker.http.get("/console/api/queue")).json()
    assert conversation not in [h["conversation"] for h in queue["queued"]]
    answered = await listed(walker, conversation)
    assert (answered["state"], answered["outcome"]) == ("answered", "sorted")
    await customer.close()


async def test_a_problem_reopens_for_the_previous_agent_first(stack: Stack, walker: ConsoleAgent) -> None:
    assert await intent_of(stack, PROBLEM_REPLY) == "nlu_fallback"
    customer = WebCustomer(stack.gateway_url)
    conversation = await chat_resolved_by(walker, customer)
    await check_in_arrives(stack, customer, conversation)

    queued = await customer.say(PROBLEM_REPLY)
    assert "in the queue" in queued[-1]["text"]
    handoff = handoff_of(stack.redis_url, conversation)
    assert handoff["state"] == "queued"
    queue = (await walker.http.get("/console/api/queue")).json()
    [item] = [h for h in queue["queued"] if h["conversation"] == conversation]
    assert item["context"]["reopened_after_check_in"] is True
    assert item["context"]["previous_agent"] == "Walker"
    assert item["context"]["summary"]["customer_said"] == ["can I speak to an agent"]
    assert (item["first_offer"]["agent"], item["first_offer"]["name"]) == ("walker", "Walker")

    hana = ConsoleAgent(stack.gateway_url)
    await hana.login("hana", PASSWORD)
    refused = await hana.post(f"/console/api/conversations/{conversation}/claim")
    assert refused.status_code == 409
    assert refused.json()["error"].startswith("this chat is offered to Walker first")
    claimed = await walker.post(f"/console/api/conversations/{conversation}/claim")
    assert (claimed.status_code, claimed.json()["agent"]) == (200, "walker")
    answered = await listed(walker, conversation)
    assert (answered["state"], answered["outcome"]) == ("answered", "reopened")
    await walker.post(f"/console/api/conversations/{conversation}/resolve")
    await hana.close(log_out=True)
    await customer.close()


async def test_a_new_question_is_answered_by_the_assistant(stack: Stack, walker: ConsoleAgent) -> None:
    customer = WebCustomer(stack.gateway_url)
    conversation = await chat_resolved_by(walker, customer)
    await check_in_arrives(stack, customer, conversation)

    answer = await customer.say("how much is shipping?")
    assert answer[-1]["faq_id"] == "shipping_cost"
    assert handoff_of(stack.redis_url, conversation) == {}
    assert (await listed(walker, conversation))["outcome"] == "question"
    await customer.close()
