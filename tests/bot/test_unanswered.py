"""The gateway speaking for a bot that cannot answer: the apology, and a person on request."""

from __future__ import annotations

import fakeredis
import pytest

from bot.handoff import Desk
from bot.settings import PROJECT_ROOT
from bot.store.bot_turns import FAILURE_MEMORY_SECONDS, BotTurns
from bot.store.feedback import STATS, day_of
from bot.store.languages import ConversationLanguages
from bot.store.transcripts import TranscriptStore
from bot.unanswered import TALK_TO_PERSON, PersonRequests, Unanswered
from tests.bot.conftest import TEXTS, Clock

REQUESTS = PersonRequests.load(PROJECT_ROOT / "data" / "support" / "person_requests.yml")


@pytest.fixture
def unanswered(desk: Desk, redis: fakeredis.FakeAsyncRedis, clock: Clock) -> Unanswered:
    languages = ConversationLanguages(redis)
    return Unanswered(desk, desk.delivery, desk.analytics, TEXTS, REQUESTS, BotTurns(redis), languages, clock)


@pytest.mark.parametrize(
    "text",
    [
        "agent",
        "Can I talk to a HUMAN please?",
        "i want a real person",
        "상담원",
        "상담원이랑 얘기하고 싶어요",
        "사람이랑 얘기하고 싶어요",
    ],
)
def test_requests_for_a_person_are_recognised_in_both_languages(text: str) -> None:
    assert REQUESTS.asks_for_person(text)


@pytest.mark.parametrize("text", ["where is my order", "delete my personal data", "배송 언제 와요?", "agency fees?"])
def test_other_messages_are_not_requests_for_a_person(text: str) -> None:
    assert not REQUESTS.asks_for_person(text)


async def test_the_apology_offers_a_person_and_is_stored(
    unanswered: Unanswered, redis: fakeredis.FakeAsyncRedis
) -> None:
    [message] = await unanswered.apologise("web-a", "web", "where is my order", "empty")
    assert (message["text"], message["buttons"]) == (
        TEXTS.get("utter_bot_unavailable"),
        [{"title": "Talk to a person", "payload": TALK_TO_PERSON}],
    )
    [stored] = await TranscriptStore(redis).read("web-a")
    assert (stored.role, stored.text, stored.buttons) == ("bot", message["text"], message["buttons"])


async def test_a_failure_is_counted_by_cause(
    unanswered: Unanswered, redis: fakeredis.FakeAsyncRedis, clock: Clock
) -> None:
    await unanswered.apologise("web-a", "web", "hello", "timeout")
    await unanswered.apologise("web-b", "telegram", "hello", "down")
    counters = await redis.hgetall(STATS.format(day=day_of(clock())))
    assert counters == {b"bot_failure|web|en|timeout": b"1", b"bot_failure|telegram|en|down": b"1"}


async def test_a_typed_request_while_the_bot_fails_queues_the_chat(unanswered: Unanswered, desk: Desk) -> None:
    assert not await unanswered.wants_person("web-a", "agent please")
    await unanswered.apologise("web-a", "web", "where is my order", "down")
    assert await unanswered.wants_person("web-a", "agent please")
    assert not await unanswered.wants_person("web-a", "where is my order")
    [queued] = await unanswered.hand_over("web-a", "web")
    handoff = await desk.handoffs.get("web-a")
    assert handoff is not None
    assert (handoff.state, handoff.reason, handoff.context) == ("queued", "bot_unavailable", {"language": "en"})
    assert queued["text"] == TEXTS.get("utter_handoff_queued_no_agents").format(position=1)


async def test_asking_for_a_person_in_the_failed_turn_itself_queues_it_at_once(
    unanswered: Unanswered, desk: Desk
) -> None:
    [queued] = await unanswered.apologise("web-a", "web", "사람이랑 얘기하고 싶어요", "down")
    assert queued["text"] == TEXTS.get("utter_handoff_queued_no_agents").format(position=1)
    handoff = await desk.handoffs.get("web-a")
    assert handoff is not None
    assert handoff.reason == "bot_unavailable"


async def test_the_button_always_reaches_a_person(unanswered: Unanswered) -> None:
    assert await unanswered.wants_person("web-a", TALK_TO_PERSON)


async def test_the_failing_mode_ends_with_an_answer_or_with_time(unanswered: Unanswered, clock: Clock) -> None:
    await unanswered.apologise("web-a", "web", "hello", "down")
    await unanswered.turns.answered("web-a")
    assert not await unanswered.wants_person("web-a", "agent")
    await unanswered.apologise("web-b", "web", "hello", "down")
    clock.now += FAILURE_MEMORY_SECONDS + 1
    assert not await unanswered.wants_person("web-b", "agent")


async def test_the_apology_is_in_the_conversation_s_language(unanswered: Unanswered) -> None:
    await unanswered.languages.follow("web-a", "배송 언제 와요?")
    [apology] = await unanswered.apologise("web-a", "web", "배송 언제 와요?", "down")
    assert apology["text"] == TEXTS.get("utter_bot_unavailable", "ko")
    assert apology["buttons"] == [{"title": TEXTS.get("utter_button_talk_to_person", "ko"), "payload": TALK_TO_PERSON}]


async def test_the_conversation_language_is_forgotten_with_the_conversation(unanswered: Unanswered) -> None:
    assert await unanswered.languages.follow("web-a", "안녕하세요") == ("ko", True)
    assert await unanswered.languages.get("web-a") == "ko"
    await unanswered.languages.forget("web-a")
    assert await unanswered.languages.get("web-a") == "en"
