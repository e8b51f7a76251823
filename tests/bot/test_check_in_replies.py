"""A customer's reply to a check-in, through the whole conversation path with Rasa's reading mocked."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import fakeredis
import httpx
import pytest

from bot.analytics import Analytics
from bot.conversation import Conversations, Incoming
from bot.handoff import Desk
from bot.notices import Notices
from bot.rasa import RasaClient
from bot.settings import PROJECT_ROOT, Secret
from bot.store.activity import ActivityStore
from bot.store.bot_turns import BotTurns
from bot.store.feedback import FeedbackStore
from bot.store.handoffs import Handoff
from bot.store.identities import IdentityStore
from bot.store.limits import RateLimiter
from bot.store.notices import NoticeStore
from bot.surveys import Surveys
from bot.unanswered import PersonRequests, Unanswered
from knowledge import KnowledgeRepository
from tests.bot.conftest import TEXTS, Clock
from tests.bot.test_surveys import make_surveys

Handler = Callable[[httpx.Request], httpx.Response]


def reading(intent: str, confidence: float) -> Handler:
    """Rasa reads every text as ``intent``, and answers a message with one line."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/model/parse":
            return httpx.Response(200, json={"intent": {"name": intent, "confidence": confidence}})
        return httpx.Response(200, json=[{"text": "Shipping is free over 50,000 won.", "recipient_id": "web-c"}])

    return handle


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


@pytest.fixture
async def surveys(redis: fakeredis.FakeAsyncRedis, desk: Desk, clock: Clock) -> Surveys:
    """Surveys on the desk's clock, with Mina's check-in of web-c sent and Mina online."""
    surveys = dataclasses.replace(make_surveys(redis, clock, chance=0.1), delivery=desk.delivery)  # type: ignore[arg-type]
    context = {"language": "en", "summary": {"customer_said": ["my vase arrived broken"]}}
    await surveys.after_agent(Handoff("web-c", "web", "frustration", True, clock.now, context=context), "mina", "Mina")
    clock.now += 2 * 24 * 3600
    await surveys.sweep()
    await desk.presence.beat("mina", clock.now)
    return surveys


async def reply(
    handler: Handler, text: str, redis: fakeredis.FakeAsyncRedis, desk: Desk, surveys: Surveys, clock: Clock
) -> list[dict[str, Any]]:
    analytics = Analytics(ActivityStore(redis), FeedbackStore(redis), clock)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        rasa = RasaClient(http, "http://rasa", Secret("a-test-rasa-token-of-at-least-32-bytes"), 1.0)

        async def not_loading() -> bool:
            return False

        conversations = Conversations(
            rasa,
            desk.delivery,
            desk,
            surveys,
            analytics,
            Notices(NoticeStore(redis), desk.delivery, KnowledgeRepository(PROJECT_ROOT / "data" / "knowledge"), clock),
            RateLimiter(redis, 100, 60),
            TEXTS,
            2000,
            not_loading,
            IdentityStore(redis),
            Unanswered(
                desk=desk,
                delivery=desk.delivery,
                analytics=analytics,
                texts=TEXTS,
                requests=PersonRequests.load(PROJECT_ROOT / "data" / "support" / "person_requests.yml"),
                turns=BotTurns(redis),
                languages=desk.languages,
                clock=clock,
            ),
            2.0,
            clock,
        )
        return await conversations.handle(Incoming("web-c", "web", text))


async def outcome(surveys: Surveys) -> str | None:
    [check_in] = await surveys.state.check_ins()
    return check_in.outcome


async def test_all_sorted_is_thanked_and_nothing_is_queued(
    redis: fakeredis.FakeAsyncRedis, desk: Desk, surveys: Surveys, clock: Clock
) -> None:
    [thanks] = await reply(reading("thank", 0.58), "Yes, all sorted now, thanks!", redis, desk, surveys, clock)
    assert thanks["text"] == TEXTS.get("utter_check_in_sorted").format(agent="Mina")
    assert await desk.handoffs.get("web-c") is None
    assert await outcome(surveys) == "sorted"


async def test_a_problem_is_queued_for_mina_first_with_the_summary(
    redis: fakeredis.FakeAsyncRedis, desk: Desk, surveys: Surveys, clock: Clock
) -> None:
    await reply(reading("deny", 0.99), "no, still broken", redis, desk, surveys, clock)
    handoff = await desk.handoffs.get("web-c")
    assert handoff is not None
    assert (handoff.state, handoff.context["previous_agent"], handoff.context["summary"]) == (
        "queued",
        "Mina",
        {"customer_said": ["my vase arrived broken"]},
    )
    assert await desk.first_offer(handoff) == {"agent": "mina", "name": "Mina", "until": clock.now + 600}
    assert await outcome(surveys) == "reopened"


async def test_a_clear_new_question_is_answered_by_the_assistant(
    redis: fakeredis.FakeAsyncRedis, desk: Desk, surveys: Surveys, clock: Clock
) -> None:
    [answer] = await reply(reading("faq", 0.9), "how much is shipping?", redis, desk, surveys, clock)
    assert answer["text"] == "Shipping is free over 50,000 won."
    assert await desk.handoffs.get("web-c") is None
    assert await outcome(surveys) == "question"


async def test_with_rasa_down_a_person_reads_the_reply(
    redis: fakeredis.FakeAsyncRedis, desk: Desk, surveys: Surveys, clock: Clock
) -> None:
    await reply(down, "it is still not sorted", redis, desk, surveys, clock)
    handoff = await desk.handoffs.get("web-c")
    assert handoff is not None
    assert (handoff.context["reopened_after_check_in"], handoff.context["first_offer"]["agent"]) == (True, "mina")
    assert await outcome(surveys) == "reopened"
