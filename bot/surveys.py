"""Feedback from customers: thumbs on answers, the end-of-chat rating, comments, NPS and check-ins.

The gateway owns every rating: the buttons it adds carry gateway payloads
(``/rate_answer:…``, ``/csat:…``, ``/nps:…``) that never reach Rasa. A rating is
accepted only for a message or survey of the customer's own conversation, once,
with a score in range; anything else is refused with a clear message and stores
nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.comments import categorise
from bot.delivery import Delivery, outgoing
from bot.followups import due_after, promised_time
from bot.mail.mailroom import Mailroom
from bot.observability.metrics import GatewayMetrics
from bot.redaction import redact
from bot.store.feedback import FeedbackStore, Scope
from bot.store.followups import FollowUp, FollowUpStore, Kudos
from bot.store.handoffs import Handoff
from bot.store.identities import IdentityStore
from bot.store.languages import ConversationLanguages
from bot.store.surveys import Survey, SurveyStore
from bot.store.transcripts import Entry, TranscriptStore
from bot.support import SupportConfig
from bot.texts import DEFAULT_LANGUAGE, Texts
from knowledge import KnowledgeRepository

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "support" / "feedback.yml"
RATE_ANSWER, CSAT, NPS, SKIP, OTHER_ANSWERS, REPHRASE = (
    "/rate_answer:",
    "/csat:",
    "/nps:",
    "/csat_skip:",
    "/other_answers:",
    "/rephrase",
)
GATEWAY_PAYLOADS = (RATE_ANSWER, CSAT, NPS, SKIP, OTHER_ANSWERS, REPHRASE)
CSAT_SCORES = (1, 2, 3)
NPS_SCORES = range(11)
PERSON_PAYLOAD = '/request_human{"handoff_reason": "negative_feedback"}'
# How a reply to a check-in was read (the console and the dashboard's counters use these words).
SORTED, REOPENED, QUESTION = "sorted", "reopened", "question"


class RatingRefused(ValueError):
    """A rating that does not belong to this conversation, is out of range or was given already."""

    def __init__(self, response: str) -> None:
        super().__init__(response)
        self.response = response


@dataclass(frozen=True)
class FeedbackConfig:
    """When and how often customers are asked (``data/support/feedback.yml``)."""

    sampling_rate: float
    inactivity_minutes: float
    comment_minutes: float
    nps_share: float
    nps_cooldown_days: int
    check_in_enabled: bool
    check_in_hour: time
    agent_min_hours_between: float
    check_in_sorted_intents: frozenset[str]
    check_in_sorted_min_confidence: float
    check_in_problem_intents: frozenset[str]
    check_in_question_min_confidence: float
    previous_agent_first_minutes: float

    @classmethod
    def load(cls, path: Path = DEFAULT_FILE) -> FeedbackConfig:
        """Reads the feedback settings."""
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        hours, minutes = str(raw["check_in"]["hour"]).split(":")
        return cls(
            sampling_rate=float(raw["csat"]["sampling_rate"]),
            inactivity_minutes=float(raw["csat"]["inactivity_minutes"]),
            comment_minutes=float(raw["csat"]["comment_minutes"]),
            nps_share=float(raw["nps"]["share"]),
            nps_cooldown_days=int(raw["nps"]["cooldown_days"]),
            check_in_enabled=bool(raw["check_in"]["enabled"]),
            check_in_hour=time(int(hours), int(minutes)),
            agent_min_hours_between=float(raw["csat"]["agent_min_hours_between"]),
            check_in_sorted_intents=frozenset(raw["check_in"]["sorted_intents"]),
            check_in_sorted_min_confidence=float(raw["check_in"]["sorted_min_confidence"]),
            check_in_problem_intents=frozenset(raw["check_in"]["problem_intents"]),
            check_in_question_min_confidence=float(raw["check_in"]["question_min_confidence"]),
            previous_agent_first_minutes=float(raw["check_in"]["previous_agent_first_minutes"]),
        )


@dataclass
class Surveys:
    """Adds rating buttons, runs the surveys and files follow-ups."""

    state: SurveyStore
    feedback: FeedbackStore
    followups: FollowUpStore
    transcripts: TranscriptStore
    delivery: Delivery
    texts: Texts
    knowledge: KnowledgeRepository
    config: FeedbackConfig
    support: SupportConfig
    # The NPS limit counts per proven customer, across their devices and channels.
    identities: IdentityStore
    languages: ConversationLanguages
    clock: Callable[[], float]
    chance: Callable[[], float] = random.random
    # Mail to customers; None when no SMTP server is configured.
    mail: Mailroom | None = None
    # Ratings are counted by kind and value (a metrics object of its own for tests).
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)

    @staticmethod
    def owns(text: str) -> bool:
        """True for the payloads of the gateway's own rating buttons."""
        return text.startswith(GATEWAY_PAYLOADS)

    def thumbs(self, message_id: str, language: str) -> list[dict[str, str]]:
        """The thumbs buttons under a knowledge-base answer."""
        return [
            {"title": self.texts.get("utter_button_thumbs_up", language), "payload": f"{RATE_ANSWER}{message_id}:up"},
            {
                "title": self.texts.get("utter_button_thumbs_down", language),
                "payload": f"{RATE_ANSWER}{message_id}:down",
            },
        ]

    async def handle(self, conversation: str, channel: str, payload: str) -> list[dict[str, Any]]:
        """Answers a rating button; a refused rating gets a clear message and stores nothing."""
        try:
            return await self._dispatch(conversation, channel, payload)
        except RatingRefused as refused:
            return [await self._say(conversation, channel, refused.response, await self.languages.get(conversation))]

    async def take_comment(self, conversation: str, channel: str, text: str) -> list[dict[str, Any]] | None:
        """Takes the customer's message as the survey comment, if a comment was just asked for."""
        survey = await self.state.get(conversation)
        if survey is None or survey.stage != "comment":
            return None
        if self.clock() - survey.asked_at > self.config.comment_minutes * 60:
            await self.state.end(conversation)
            return None
        return await self._finish(conversation, survey, redact(text.strip())[:2000])

    async def after_bot_reply(self, conversation: str, channel: str, reply: dict[str, Any]) -> list[dict[str, Any]]:
        """Starts the rating after a goodbye, or the inactivity timer after an answer."""
        if reply.get("utter_action") == "utter_goodbye":
            return await self.ask(conversation, channel, await self.languages.get(conversation))
        if reply.get("faq_id"):
            await self.state.answered(conversation, channel, self.clock())
        return []

    async def customer_active(self, conversation: str) -> None:
        """The customer wrote: a pending inactivity survey waits for the next quiet spell."""
        await self.state.active(conversation)

    async def ask(
        self, conversation: str, channel: str, language: str, agent: tuple[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Asks for the end-of-chat rating (agent part first when there was one).

        The bot-only rating is asked once per conversation; an agent's chat is rated every time, but a
        customer at most once per ``agent_min_hours_between`` (per proven customer, else per conversation).
        """
        if self.chance() >= self.config.sampling_rate:
            return []
        parts = ["agent", "bot"] if agent else ["bot"]
        name, display = agent or ("", "")
        draft = Survey("", channel, language, parts, agent=name, agent_name=display, asked_at=self.clock())
        if agent:
            subject = await self.identities.subject(conversation)
            gap = self.config.agent_min_hours_between * 3600
            survey = await self.state.start_agent_rating(conversation, draft, subject, self.clock(), gap)
        else:
            survey = await self.state.start(conversation, draft)
        if survey is None:
            return []
        return [await self.delivery.record(conversation, channel, self._rating_question(survey))]

    async def after_agent(self, handoff: Handoff, agent: str, display_name: str) -> None:
        """After an agent resolves a chat: the rating (both parts) now, and a check-in next business day."""
        language = str(handoff.context.get("language") or DEFAULT_LANGUAGE)
        await self.ask(handoff.conversation, handoff.channel, language, agent=(agent, display_name))
        if self.config.check_in_enabled:
            context = {
                "agent": agent,
                "agent_name": display_name,
                "channel": handoff.channel,
                "language": language,
                "summary": handoff.context.get("summary") or {},
                "customer": handoff.context.get("customer") or {},
                # The address a customer who booked an email callback left: the chat may not reach them.
                "contact_email": handoff.context.get("contact_email"),
            }
            await self.state.schedule_check_in(handoff.conversation, self._next_business_morning(), context)

    async def check_in_reply(self, conversation: str) -> dict[str, Any] | None:
        """The check-in this message answers, if any."""
        return await self.state.take_check_in_reply(conversation)

    async def check_in_answered(
        self, conversation: str, channel: str, check_in: dict[str, Any], outcome: str
    ) -> list[dict[str, Any]]:
        """Records how the reply to a check-in was read; a "sorted" one is closed with thanks (returned)."""
        language = str(check_in.get("language") or DEFAULT_LANGUAGE)
        if check_in.get("id"):
            await self.state.check_in_answered(str(check_in["id"]), outcome, self.clock())
        await self.feedback.check_in(Scope(conversation, channel, language, self.clock()), outcome)
        if outcome != SORTED:
            return []
        thanks = self.texts.get("utter_check_in_sorted", language).format(agent=check_in.get("agent_name", ""))
        return [await self.delivery.record(conversation, channel, outgoing("bot", thanks))]

    def reopen_request(self, check_in: dict[str, Any]) -> dict[str, Any]:
        """The handoff request of a customer whose check-in reply says it is not sorted.

        The agent who had the chat is offered it first for a while (``bot.handoff.Desk.first_offer``).
        """
        return {
            "reason": "customer_request",
            "reopened_after_check_in": True,
            "previous_agent": check_in.get("agent_name"),
            "first_offer": {
                "agent": check_in.get("agent"),
                "name": check_in.get("agent_name"),
                "until": self.clock() + self.config.previous_agent_first_minutes * 60,
            },
            "language": check_in.get("language"),
            "summary": check_in.get("summary") or {},
            "customer": check_in.get("customer") or {},
        }

    async def forget(self, conversation: str) -> None:
        """Erases what the surveys keep of a conversation: its survey state, check-ins, follow-ups and comments."""
        await self.state.forget(conversation)
        await self.followups.forget(conversation)
        await self.feedback.forget_comments(conversation)

    async def sweep(self) -> None:
        """Asks quiet customers for their rating and sends the check-ins that are due."""
        cutoff = self.clock() - self.config.inactivity_minutes * 60
        for conversation, channel in await self.state.idle_since(cutoff):
            await self.ask(conversation, channel, await self.languages.get(conversation))
        for conversation, context in await self.state.due_check_ins(self.clock()):
            language, channel = context.get("language", DEFAULT_LANGUAGE), context.get("channel", "web")
            text = self.texts.get("utter_check_in", language).format(agent=context.get("agent_name", ""))
            # Marked sent first: a customer who answers at once is read as answering it.
            await self.state.check_in_sent(conversation, context, self.clock())
            await self.delivery.record(conversation, channel, outgoing("bot", text))
            email = context.get("contact_email")
            if email and self.mail is not None:
                await self.mail.check_in(conversation, email, language, context.get("agent_name", ""))
            await self.feedback.check_in(Scope(conversation, channel, language, self.clock()), "sent")

    async def _dispatch(self, conversation: str, channel: str, payload: str) -> list[dict[str, Any]]:
        if payload.startswith(RATE_ANSWER):
            return await self._rate_answer(conversation, channel, payload.removeprefix(RATE_ANSWER))
        if payload.startswith(OTHER_ANSWERS):
            return await self._other_answers(conversation, channel, payload.removeprefix(OTHER_ANSWERS))
        if payload == REPHRASE:
            language = await self.languages.get(conversation)
            return [await self._say(conversation, channel, "utter_rephrase_invite", language)]
        survey = await self.state.get(conversation)
        if survey is None:
            raise RatingRefused("utter_rating_refused")
        if payload.startswith(CSAT):
            return await self._rate_chat(conversation, survey, payload.removeprefix(CSAT))
        if payload.startswith(NPS):
            return await self._rate_nps(conversation, survey, payload.removeprefix(NPS))
        if payload == f"{SKIP}{survey.id}" and survey.stage == "comment":
            return await self._finish(conversation, survey, "")
        raise RatingRefused("utter_rating_refused")

    async def _rate_answer(self, conversation: str, channel: str, rest: str) -> list[dict[str, Any]]:
        message_id, _, direction = rest.partition(":")
        entries = await self.transcripts.read(conversation, 200)
        answer = answer_in(entries, message_id)
        if answer is None or direction not in ("up", "down"):
            raise RatingRefused("utter_rating_refused")
        language = str(answer.meta.get("language") or DEFAULT_LANGUAGE)
        if self.knowledge.current().get(str(answer.meta["faq_id"]), language) is None:
            raise RatingRefused("utter_rating_refused")
        if not await self.feedback.once(f"thumb:{conversation}:{message_id}"):
            raise RatingRefused("utter_rating_duplicate")
        index = entries.index(answer)
        question = next((e.text for e in reversed(entries[:index]) if e.role == "customer"), None)
        scope = Scope(conversation, channel, language, self.clock())
        await self.feedback.thumb(scope, str(answer.meta["faq_id"]), direction == "up", question)
        self.metrics.rated("answer", direction)
        if direction == "up":
            return [await self._say(conversation, channel, "utter_rating_thanks", language)]
        buttons = [
            {"title": self.texts.get("utter_button_rephrase", language), "payload": REPHRASE},
            {
                "title": self.texts.get("utter_button_other_answers", language),
                "payload": f"{OTHER_ANSWERS}{message_id}",
            },
            {"title": self.texts.get("utter_button_talk_to_person", language), "payload": PERSON_PAYLOAD},
        ]
        return [await self._say(conversation, channel, "utter_thumbs_down", language, buttons)]

    async def _other_answers(self, conversation: str, channel: str, message_id: str) -> list[dict[str, Any]]:
        entries = await self.transcripts.read(conversation, 200)
        answer = answer_in(entries, message_id)
        if answer is None:
            raise RatingRefused("utter_rating_refused")
        language = str(answer.meta.get("language") or DEFAULT_LANGUAGE)
        knowledge = self.knowledge.current()
        faqs = [knowledge.get(str(i), language) for i in answer.meta.get("faq_alternatives") or []]
        buttons = [{"title": f.question, "payload": f'/faq{{"faq_id": "{f.id}"}}'} for f in faqs if f is not None]
        if not buttons:
            person = [{"title": self.texts.get("utter_button_talk_to_person", language), "payload": PERSON_PAYLOAD}]
            return [await self._say(conversation, channel, "utter_other_answers_none", language, person)]
        return [await self._say(conversation, channel, "utter_other_answers", language, buttons)]

    async def _rate_chat(self, conversation: str, survey: Survey, rest: str) -> list[dict[str, Any]]:
        survey_id, part, score_text = ([*rest.split(":"), "", "", ""])[:3]
        score = int(score_text) if score_text.isdigit() else -1
        if survey_id != survey.id or part != survey.next_part or score not in CSAT_SCORES:
            raise RatingRefused("utter_rating_refused")
        if not await self.feedback.once(f"csat:{conversation}:{survey.id}:{part}"):
            raise RatingRefused("utter_rating_duplicate")
        scope = Scope(conversation, survey.channel, survey.language, self.clock())
        await self.feedback.csat(scope, part, score, survey.agent if part == "agent" else None)
        self.metrics.rated(f"csat_{part}", str(score))
        rated = replace(survey, scores={**survey.scores, part: score}, asked_at=self.clock())
        if rated.next_part is not None:
            await self.state.save(conversation, rated)
            return [await self.delivery.record(conversation, survey.channel, self._rating_question(rated))]
        commenting = replace(rated, stage="comment")
        await self.state.save(conversation, commenting)
        skip = [{"title": self.texts.get("utter_button_skip", survey.language), "payload": f"{SKIP}{survey.id}"}]
        return [await self._say(conversation, survey.channel, "utter_csat_comment", survey.language, skip)]

    async def _finish(self, conversation: str, survey: Survey, comment: str) -> list[dict[str, Any]]:
        """Thanks the customer, files a follow-up for a 😞, passes praise on, and maybe asks NPS."""
        scope = Scope(conversation, survey.channel, survey.language, self.clock())
        if comment:
            await self.feedback.comment(scope, categorise(comment, survey.language), comment, survey.agent or None)
        lowest = min(survey.scores.values())
        filed = await self._follow_up(conversation, survey, "csat", lowest, comment) if lowest == 1 else None
        if comment and survey.agent and survey.scores.get("agent") == 3:
            await self.followups.add_kudos(survey.agent, Kudos(conversation, comment, self.clock()))
        if filed is not None:
            replies = [await self._promise(conversation, survey, filed)]
        else:
            thanks = {2: "utter_csat_thanks_neutral", 3: "utter_csat_thanks_positive"}
            replies = [await self._say(conversation, survey.channel, thanks[lowest], survey.language)]
        cooldown = self.config.nps_cooldown_days * 24 * 3600
        if self.chance() < self.config.nps_share and await self.state.claim_nps(
            await self.identities.subject(conversation), cooldown
        ):
            await self.state.save(conversation, replace(survey, stage="nps"))
            scale = [{"title": str(n), "payload": f"{NPS}{survey.id}:{n}"} for n in NPS_SCORES]
            replies.append(await self._say(conversation, survey.channel, "utter_nps_question", survey.language, scale))
        else:
            await self.state.end(conversation)
        return replies

    async def _rate_nps(self, conversation: str, survey: Survey, rest: str) -> list[dict[str, Any]]:
        survey_id, _, score_text = rest.partition(":")
        score = int(score_text) if score_text.isdigit() else -1
        if survey_id != survey.id or survey.stage != "nps" or score not in NPS_SCORES:
            raise RatingRefused("utter_rating_refused")
        if not await self.feedback.once(f"nps:{conversation}:{survey.id}"):
            raise RatingRefused("utter_rating_duplicate")
        await self.feedback.nps(Scope(conversation, survey.channel, survey.language, self.clock()), score)
        self.metrics.rated("nps", str(score))
        if score <= 6:
            await self._follow_up(conversation, survey, "nps", score, "")
        await self.state.end(conversation)
        return [await self._say(conversation, survey.channel, "utter_nps_thanks", survey.language)]

    async def _follow_up(self, conversation: str, survey: Survey, kind: str, score: int, comment: str) -> FollowUp:
        due = due_after(self.support.opening, self.clock()).timestamp()
        followup = FollowUp("", conversation, survey.channel, kind, score, self.clock(), comment, survey.agent)
        followup = replace(followup, language=survey.language, due=due)
        filed = await self.followups.create(followup)
        await self.delivery.console({"type": "followups", "event": "created", "conversation": conversation})
        return filed

    async def _promise(self, conversation: str, survey: Survey, filed: FollowUp) -> dict[str, Any]:
        """The apology after a 😞, naming the follow-up's due time: the promise is exactly what was filed."""
        due = promised_time(datetime.fromtimestamp(filed.due, self.support.timezone), survey.language)
        text = self.texts.get("utter_csat_thanks_negative", survey.language).format(due=due)
        return await self.delivery.record(conversation, survey.channel, outgoing("bot", text))

    def _rating_question(self, survey: Survey) -> dict[str, Any]:
        part = survey.next_part or "bot"
        name = "utter_csat_question_agent" if part == "agent" else "utter_csat_question_bot"
        text = self.texts.get(name, survey.language).format(agent=survey.agent_name)
        faces = [
            {
                "title": self.texts.get(f"utter_button_csat_{score}", survey.language),
                "payload": f"{CSAT}{survey.id}:{part}:{score}",
            }
            for score in CSAT_SCORES
        ]
        return outgoing("bot", text, faces)

    async def _say(
        self, conversation: str, channel: str, response: str, language: str, buttons: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        return await self.delivery.record(
            conversation, channel, outgoing("bot", self.texts.get(response, language), buttons)
        )

    def _next_business_morning(self) -> float:
        tomorrow = datetime.fromtimestamp(self.clock(), self.support.timezone) + timedelta(days=1)
        start = datetime.combine(tomorrow.date(), self.config.check_in_hour, self.support.timezone)
        return self.support.next_opening(start).timestamp()


def read_check_in_reply(parsed: dict[str, Any], config: FeedbackConfig) -> str:
    """How the assistant's reading of a check-in reply (Rasa's parse) is taken: sorted, reopened or question.

    Unsure readings go to people: a customer who says it is not sorted must not get a bot's guess.
    """
    intent = parsed.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if name in config.check_in_sorted_intents and confidence >= config.check_in_sorted_min_confidence:
        return SORTED
    if name in config.check_in_problem_intents:
        return REOPENED
    if confidence >= config.check_in_question_min_confidence:
        return QUESTION
    return REOPENED


def answer_in(entries: list[Entry], message_id: str) -> Entry | None:
    """The knowledge-base answer with this message id in a transcript, if it is there."""
    return next((e for e in entries if e.meta.get("message_id") == message_id and e.meta.get("faq_id")), None)
