"""Ratings on a fixed clock: thumbs, the end-of-chat rating, comments, NPS, follow-ups and check-ins."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import fakeredis
import pytest

from bot.delivery import Delivery, outgoing
from bot.settings import PROJECT_ROOT
from bot.store.deliveries import DeliveryQueue
from bot.store.feedback import FeedbackStore
from bot.store.followups import FollowUpStore, Kudos
from bot.store.handoffs import Handoff
from bot.store.identities import Identity, IdentityStore
from bot.store.languages import ConversationLanguages
from bot.store.outbox import Outbox
from bot.store.surveys import SurveyStore
from bot.store.transcripts import TranscriptStore
from bot.support import SupportConfig
from bot.surveys import FeedbackConfig, Surveys, read_check_in_reply
from bot.texts import Texts
from knowledge import KnowledgeRepository

SEOUL = ZoneInfo("Asia/Seoul")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=SEOUL).timestamp()
TEXTS = Texts.load(PROJECT_ROOT / "domain.yml")


class Clock:
    def __init__(self) -> None:
        self.now = MONDAY_10AM

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_surveys(redis: fakeredis.FakeAsyncRedis, clock: Clock, chance: float) -> Surveys:
    transcripts = TranscriptStore(redis)
    return Surveys(
        state=SurveyStore(redis),
        feedback=FeedbackStore(redis),
        followups=FollowUpStore(redis),
        transcripts=transcripts,
        delivery=Delivery(transcripts, Outbox(redis, redis), DeliveryQueue(redis), clock),
        texts=TEXTS,
        knowledge=KnowledgeRepository(PROJECT_ROOT / "data" / "knowledge"),
        config=FeedbackConfig.load(),
        support=SupportConfig.load(),
        identities=IdentityStore(redis),
        languages=ConversationLanguages(redis),
        clock=clock,
        chance=lambda: chance,
    )


@pytest.fixture
def surveys(redis: fakeredis.FakeAsyncRedis, clock: Clock) -> Surveys:
    # chance 0.1: inside the 100 % rating sample and the 20 % NPS share.
    return make_surveys(redis, clock, chance=0.1)


async def answered(surveys: Surveys, conversation: str = "web-a") -> str:
    """A customer question and the FAQ answer; returns the answer's message id."""
    await surveys.delivery.record(conversation, "web", outgoing("customer", "how much is postage"))
    answer = outgoing("bot", "Shipping is free over 50,000 won.", faq_id="shipping_cost", language="en")
    answer["faq_alternatives"] = ["shipping_free_threshold", "retired_faq"]
    await surveys.delivery.record(conversation, "web", answer)
    return str(answer["id"])


def text(name: str, **values: str) -> str:
    return TEXTS.get(name).format(**values)


async def counters(redis: fakeredis.FakeAsyncRedis, day: str = "2026-11-23") -> dict[str, int]:
    raw = await redis.hgetall(f"stats:{day}")
    return {k.decode(): int(v) for k, v in raw.items()}


async def test_thumbs_up_is_stored_once(surveys: Surveys, redis: fakeredis.FakeAsyncRedis) -> None:
    message_id = await answered(surveys)
    [thanks] = await surveys.handle("web-a", "web", f"/rate_answer:{message_id}:up")
    assert thanks["text"] == text("utter_rating_thanks")
    [again] = await surveys.handle("web-a", "web", f"/rate_answer:{message_id}:down")
    assert again["text"] == text("utter_rating_duplicate")
    assert await counters(redis) == {"thumbs_up|web|en|shipping_cost": 1}


async def test_thumbs_down_offers_three_ways_on(surveys: Surveys, redis: fakeredis.FakeAsyncRedis) -> None:
    message_id = await answered(surveys)
    [sorry] = await surveys.handle("web-a", "web", f"/rate_answer:{message_id}:down")
    assert sorry["text"] == text("utter_thumbs_down")
    assert [b["payload"] for b in sorry["buttons"]] == [
        "/rephrase",
        f"/other_answers:{message_id}",
        '/request_human{"handoff_reason": "negative_feedback"}',
    ]
    [others] = await surveys.handle("web-a", "web", f"/other_answers:{message_id}")
    # An alternative that is no longer in the knowledge base is left out.
    assert [b["payload"] for b in others["buttons"]] == ['/faq{"faq_id": "shipping_free_threshold"}']
    assert await counters(redis) == {"thumbs_down|web|en|shipping_cost": 1}
    assert await redis.zrange("unanswered:2026-11-23|web|en", 0, -1, withscores=True) == [(b"how much is postage", 1.0)]


@pytest.mark.parametrize(
    "payload",
    [
        "/rate_answer:not-a-message:up",  # unknown message
        "/rate_answer:{id}:sideways",  # not a rating
        "/csat:whatever:bot:3",  # no survey was asked
    ],
)
async def test_forged_ratings_are_refused_and_store_nothing(
    surveys: Surveys, redis: fakeredis.FakeAsyncRedis, payload: str
) -> None:
    message_id = await answered(surveys)
    [refused] = await surveys.handle("web-a", "web", payload.format(id=message_id))
    assert refused["text"] == text("utter_rating_refused")
    assert await counters(redis) == {}
    assert await redis.xlen("ratings") == 0


async def test_another_customers_answer_cannot_be_rated(surveys: Surveys, redis: fakeredis.FakeAsyncRedis) -> None:
    theirs = await answered(surveys, "web-someone-else")
    [refused] = await surveys.handle("web-a", "web", f"/rate_answer:{theirs}:down")
    assert refused["text"] == text("utter_rating_refused")
    assert await counters(redis) == {}


async def test_goodbye_asks_once_and_a_sad_face_files_a_follow_up(
    surveys: Surveys, redis: fakeredis.FakeAsyncRedis
) -> None:
    goodbye = {"text": "Bye!", "utter_action": "utter_goodbye", "language": "en"}
    [question] = await surveys.after_bot_reply("web-a", "web", goodbye)
    assert question["text"] == text("utter_csat_question_bot")
    assert [b["title"] for b in question["buttons"]] == ["😞", "😐", "😊"]
    assert await surveys.after_bot_reply("web-a", "web", goodbye) == []  # never asked twice

    [out_of_range] = await surveys.handle("web-a", "web", question["buttons"][0]["payload"].replace(":1", ":7"))
    assert out_of_range["text"] == text("utter_rating_refused")
    [comment_prompt] = await surveys.handle("web-a", "web", question["buttons"][0]["payload"])
    assert comment_prompt["text"] == text("utter_csat_comment")
    [sorry, nps] = await surveys.take_comment("web-a", "web", "the parcel came late, call me on 010-2345-6789") or []
    # The promise names the end of the next business day (Tuesday's close) and is the follow-up's due time.
    assert sorry["text"] == text("utter_csat_thanks_negative", due="Tue 24 Nov 18:00 KST")
    assert sorry["text"].endswith("get back to you here by Tue 24 Nov 18:00 KST.")
    assert nps["text"] == text("utter_nps_question")
    [followup] = await surveys.followups.open()
    assert (followup.conversation, followup.kind, followup.score) == ("web-a", "csat", 1)
    assert (followup.language, followup.due) == ("en", datetime(2026, 11, 24, 18, 0, tzinfo=SEOUL).timestamp())
    assert followup.comment == "the parcel came late, call me on [phone]"
    [nps_thanks] = await surveys.handle("web-a", "web", nps["buttons"][4]["payload"])
    assert nps_thanks["text"] == text("utter_nps_thanks")
    assert sorted(f.kind for f in await surveys.followups.open()) == ["csat", "nps"]
    stats = await counters(redis)
    assert (stats["csat|web|en|1"], stats["nps|web|en|4"]) == (1, 1)


async def test_after_an_agent_both_parts_are_rated_and_praise_reaches_the_agent(surveys: Surveys, clock: Clock) -> None:
    handoff = Handoff("tg-9", "telegram", "customer_request", False, clock.now, context={"language": "en"})
    await surveys.after_agent(handoff, "mina", "Mina")
    transcript = await surveys.transcripts.read("tg-9")
    assert transcript[-1].text == text("utter_csat_question_agent", agent="Mina")
    agent_face = transcript[-1].buttons[2]["payload"]
    [bot_question] = await surveys.handle("tg-9", "telegram", agent_face)
    assert bot_question["text"] == text("utter_csat_question_bot")
    await surveys.handle("tg-9", "telegram", bot_question["buttons"][1]["payload"])
    [thanks, _] = await surveys.take_comment("tg-9", "telegram", "Mina was brilliant") or []
    assert thanks["text"] == text("utter_csat_thanks_neutral")
    assert await surveys.followups.kudos("mina") == [Kudos("tg-9", "Mina was brilliant", clock.now)]


async def test_a_skipped_comment_without_nps_ends_the_survey(redis: fakeredis.FakeAsyncRedis, clock: Clock) -> None:
    surveys = make_surveys(redis, clock, chance=0.5)  # outside the 20 % NPS share
    [question] = await surveys.ask("web-b", "web", "en")
    prompt = (await surveys.handle("web-b", "web", question["buttons"][2]["payload"]))[0]
    [thanks] = await surveys.handle("web-b", "web", prompt["buttons"][0]["payload"])
    assert thanks["text"] == text("utter_csat_thanks_positive")
    assert await surveys.state.get("web-b") is None
    assert await surveys.followups.open() == []


async def test_quiet_customers_are_asked_after_the_inactivity_time(surveys: Surveys, clock: Clock) -> None:
    answer = {"text": "…", "faq_id": "shipping_cost", "language": "en"}
    await surveys.after_bot_reply("web-c", "web", answer)
    clock.now += 9 * 60
    await surveys.sweep()
    assert await surveys.transcripts.read("web-c") == []
    clock.now += 2 * 60
    await surveys.sweep()
    [question] = await surveys.transcripts.read("web-c")
    assert question.text == text("utter_csat_question_bot")


async def test_check_in_next_business_morning_and_a_reply_reopens(surveys: Surveys, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 27, 17, 0, tzinfo=SEOUL).timestamp()  # Friday afternoon
    context = {"language": "en", "summary": {"customer_said": ["my vase arrived broken"]}}
    await surveys.after_agent(Handoff("web-d", "web", "frustration", True, clock.now, context=context), "mina", "Mina")
    clock.now = datetime(2026, 11, 28, 9, 59, tzinfo=SEOUL).timestamp()
    await surveys.sweep()
    assert await surveys.check_in_reply("web-d") is None
    clock.now = datetime(2026, 11, 28, 10, 0, tzinfo=SEOUL).timestamp()  # Saturday opens at 10:00
    await surveys.sweep()
    transcript = await surveys.transcripts.read("web-d")
    assert transcript[-1].text == text("utter_check_in", agent="Mina")
    reply = await surveys.check_in_reply("web-d")
    assert reply is not None
    assert reply["summary"] == {"customer_said": ["my vase arrived broken"]}
    assert await surveys.check_in_reply("web-d") is None


async def nps_after_a_happy_rating(surveys: Surveys, conversation: str) -> list[str]:
    """The texts after a 😊 rating and a skipped comment: with or without the NPS question."""
    [question] = await surveys.ask(conversation, "web", "en")
    prompt = (await surveys.handle(conversation, "web", question["buttons"][2]["payload"]))[0]
    return [m["text"] for m in await surveys.handle(conversation, "web", prompt["buttons"][0]["payload"])]


async def test_nps_is_asked_once_per_proven_customer_across_their_conversations(surveys: Surveys) -> None:
    for conversation in ("web-phone", "tg-77"):
        await surveys.identities.record(conversation, Identity("code", "C1001", "Mina Kim"))
    assert text("utter_nps_question") in await nps_after_a_happy_rating(surveys, "web-phone")
    assert text("utter_nps_question") not in await nps_after_a_happy_rating(surveys, "tg-77")
    # Someone else, unproven, still gets their own chance.
    assert text("utter_nps_question") in await nps_after_a_happy_rating(surveys, "web-stranger")


async def test_a_customer_who_deleted_their_data_gets_no_check_in_or_survey(surveys: Surveys, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 27, 17, 0, tzinfo=SEOUL).timestamp()
    handoff = Handoff("web-e", "web", "frustration", True, clock.now, context={"language": "en"})
    await surveys.after_agent(handoff, "mina", "Mina")
    assert await surveys.state.get("web-e") is not None
    await surveys.state.forget("web-e")
    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=SEOUL).timestamp()
    await surveys.sweep()
    assert await surveys.state.get("web-e") is None
    assert [e.role for e in await surveys.transcripts.read("web-e")] == ["bot"]  # the rating question, no check-in


async def agent_rating_asked(surveys: Surveys, conversation: str) -> bool:
    """Resolves an agent's chat of the conversation; True if the customer was asked to rate it."""
    handoff = Handoff(conversation, "web", "customer_request", False, surveys.clock(), context={"language": "en"})
    before = len(await surveys.transcripts.read(conversation))
    await surveys.after_agent(handoff, "mina", "Mina")
    texts = [entry.text for entry in (await surveys.transcripts.read(conversation))[before:]]
    return text("utter_csat_question_agent", agent="Mina") in texts


async def test_every_agent_chat_is_rated_but_a_customer_at_most_once_per_20_hours(
    surveys: Surveys, clock: Clock
) -> None:
    assert await agent_rating_asked(surveys, "web-r")
    clock.now += 24 * 3600  # the next day, a second chat with an agent: rated too
    assert await agent_rating_asked(surveys, "web-r")
    clock.now += 19 * 3600  # a third within the 20 hours of feedback.yml: not asked
    assert not await agent_rating_asked(surveys, "web-r")


async def test_the_agent_rating_cap_follows_a_proven_customer_across_conversations(
    surveys: Surveys, clock: Clock, redis: fakeredis.FakeAsyncRedis
) -> None:
    for conversation in ("web-phone", "tg-77"):
        await surveys.identities.record(conversation, Identity("code", "C1001", "Mina Kim"))
    assert await agent_rating_asked(surveys, "web-phone")
    assert not await agent_rating_asked(surveys, "tg-77")
    assert await agent_rating_asked(surveys, "web-stranger")
    assert await redis.ttl("survey:agent_asked:customer:C1001") == 20 * 3600


async def test_a_bot_only_rating_is_still_asked_once_per_conversation(surveys: Surveys, clock: Clock) -> None:
    assert await agent_rating_asked(surveys, "web-s")
    clock.now += 24 * 3600
    assert await surveys.ask("web-s", "web", "en") == []
    assert len(await surveys.ask("web-t", "web", "en")) == 1
    assert await surveys.ask("web-t", "web", "en") == []


@pytest.mark.parametrize(
    ("intent", "confidence", "outcome"),
    [
        ("affirm", 0.68, "sorted"),  # "yes thanks"
        ("thank", 0.45, "sorted"),  # "all good, thank you"
        ("thank", 0.3, "reopened"),  # too unsure to close it: a person reads it
        ("deny", 0.99, "reopened"),  # "아니요, 아직 해결 안 됐어요"
        ("request_human", 0.97, "reopened"),  # "I need to talk to someone again"
        ("nlu_fallback", 0.1, "reopened"),  # "No, it's still not sorted"
        ("faq", 0.31, "reopened"),  # "no, the parcel never arrived"
        ("faq", 0.76, "question"),  # "how much is shipping?"
    ],
)
def test_a_check_in_reply_is_read_by_its_intent(intent: str, confidence: float, outcome: str) -> None:
    parsed = {"intent": {"name": intent, "confidence": confidence}}
    assert read_check_in_reply(parsed, FeedbackConfig.load()) == outcome


async def sent_check_in(surveys: Surveys, clock: Clock, conversation: str) -> dict[str, object]:
    """An agent's chat, its check-in sent the next business morning, and the customer's reply taken."""
    context = {"language": "ko", "summary": {"customer_said": ["화분이 깨져서 왔어요"]}, "customer": {"name": "Sun"}}
    handoff = Handoff(conversation, "web", "frustration", True, clock.now, context=context)
    await surveys.after_agent(handoff, "mina", "Mina")
    clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=SEOUL).timestamp()
    await surveys.sweep()
    reply = await surveys.check_in_reply(conversation)
    assert reply is not None
    return reply


async def test_a_sorted_check_in_is_thanked_in_the_customers_language_and_logged(
    surveys: Surveys, clock: Clock, redis: fakeredis.FakeAsyncRedis
) -> None:
    assert await surveys.state.check_ins() == []
    check_in = await sent_check_in(surveys, clock, "web-k")
    [thanks] = await surveys.check_in_answered("web-k", "web", check_in, "sorted")
    assert thanks["text"] == TEXTS.get("utter_check_in_sorted", "ko").format(agent="Mina")
    [entry] = await surveys.state.check_ins()
    assert (entry.conversation, entry.agent, entry.agent_name, entry.customer) == ("web-k", "mina", "Mina", "Sun")
    assert (entry.state, entry.outcome, entry.sent_at, entry.answered_at) == (
        "answered",
        "sorted",
        clock.now,
        clock.now,
    )
    assert await counters(redis, "2026-11-24") == {"check_in|web|ko|sent": 1, "check_in|web|ko|sorted": 1}


async def test_a_problem_reopens_with_the_summary_and_the_previous_agent_first(surveys: Surveys, clock: Clock) -> None:
    check_in = await sent_check_in(surveys, clock, "web-p")
    assert await surveys.check_in_answered("web-p", "web", check_in, "reopened") == []
    assert surveys.reopen_request(check_in) == {
        "reason": "customer_request",
        "reopened_after_check_in": True,
        "previous_agent": "Mina",
        "first_offer": {"agent": "mina", "name": "Mina", "until": clock.now + 10 * 60},
        "language": "ko",
        "summary": {"customer_said": ["화분이 깨져서 왔어요"]},
        "customer": {"name": "Sun"},
    }


async def test_a_newer_check_in_replaces_the_planned_one_and_forget_drops_the_log(
    surveys: Surveys, clock: Clock
) -> None:
    handoff = Handoff("web-n", "web", "customer_request", False, clock.now, context={"language": "en"})
    await surveys.after_agent(handoff, "mina", "Mina")
    await surveys.after_agent(handoff, "joon", "Joon")
    assert sorted((c.agent, c.state) for c in await surveys.state.check_ins()) == [
        ("joon", "scheduled"),
        ("mina", "replaced"),
    ]
    await surveys.state.forget("web-n")
    assert await surveys.state.check_ins() == []


async def test_the_promise_after_a_sad_face_is_in_the_customers_language(surveys: Surveys, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=SEOUL).timestamp()  # a Saturday: Sunday is closed
    [question] = await surveys.ask("web-ko", "web", "ko")
    await surveys.handle("web-ko", "web", question["buttons"][0]["payload"])
    [sorry, _] = await surveys.take_comment("web-ko", "web", "배송이 늦었어요") or []
    due = "11월 30일 (월) 18:00 KST"
    assert sorry["text"] == TEXTS.get("utter_csat_thanks_negative", "ko").format(due=due)
    assert sorry["text"].endswith(f"상담원이 이 대화를 확인하고 {due}까지 여기로 답변드릴게요.")
    [followup] = await surveys.followups.open()
    assert (followup.language, followup.due) == ("ko", datetime(2026, 11, 30, 18, 0, tzinfo=SEOUL).timestamp())


async def sad_face_with_comment(surveys: Surveys, conversation: str, comment: str) -> None:
    """A customer says goodbye, rates the chat 😞 and writes a comment."""
    goodbye = {"text": "Bye!", "utter_action": "utter_goodbye", "language": "en"}
    [question] = await surveys.after_bot_reply(conversation, "web", goodbye)
    await surveys.handle(conversation, "web", question["buttons"][0]["payload"])
    await surveys.take_comment(conversation, "web", comment)


async def test_deleting_a_customers_data_erases_their_follow_ups_kudos_and_comments(
    surveys: Surveys, clock: Clock, redis: fakeredis.FakeAsyncRedis
) -> None:
    await sad_face_with_comment(surveys, "web-a", "the parcel came late")
    await sad_face_with_comment(surveys, "web-c", "the lid was cracked")
    handoff = Handoff("tg-9", "telegram", "customer_request", False, clock.now, context={"language": "en"})
    await surveys.after_agent(handoff, "mina", "Mina")
    [bot_question] = await surveys.handle(
        "tg-9", "telegram", (await surveys.transcripts.read("tg-9"))[-1].buttons[2]["payload"]
    )
    await surveys.handle("tg-9", "telegram", bot_question["buttons"][2]["payload"])
    await surveys.take_comment("tg-9", "telegram", "Mina was brilliant")
    [taken] = [f for f in await surveys.followups.open() if f.conversation == "web-a"]
    await surveys.followups.done(taken.id, "mina", "called back", clock.now)

    await surveys.forget("web-a")
    await surveys.forget("tg-9")

    assert [f.conversation for f in await surveys.followups.open()] == ["web-c"]
    assert await surveys.followups.done_list(10) == []
    assert await surveys.followups.get(taken.id) is None
    assert await surveys.followups.kudos("mina") == []
    ratings = [{k.decode(): v.decode() for k, v in values.items()} for _, values in await redis.xrange("ratings")]
    assert [(r["conversation"], r["comment"]) for r in ratings if "comment" in r] == [("web-c", "the lid was cracked")]
    # The scores stay, with no words of the customer's.
    assert sorted(r["conversation"] for r in ratings if r.get("kind") == "csat") == ["tg-9", "tg-9", "web-a", "web-c"]
