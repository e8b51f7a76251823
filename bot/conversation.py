"""What happens to a customer message on any channel: checks, transcript, Rasa, delivery."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from redis.exceptions import RedisError

from bot.analytics import Analytics
from bot.delivery import Delivery, outgoing
from bot.handoff import QUEUE_PAYLOADS, Desk
from bot.identity.sessions import GREETING
from bot.notices import Notices
from bot.observability.logs import conversation_logged
from bot.observability.metrics import GatewayMetrics
from bot.rasa import RasaClient, RasaUnavailable
from bot.store.identities import Identity, IdentityStore
from bot.store.languages import ConversationLanguages
from bot.store.limits import RateLimiter
from bot.surveys import REOPENED, SORTED, Surveys, read_check_in_reply
from bot.texts import Texts
from bot.unanswered import Unanswered
from support.language import languages
from support.plain_text import plain_text

logger = logging.getLogger(__name__)
BOT_MESSAGE_META = ("faq_id", "faq_alternatives", "language", "utter_action")
# Replies that would start over or misread a queued customer ("hello? anyone there?"): they get
# their place in the queue and the expected wait instead.
# The channel's guess at the customer's language (the browser's, Telegram's), for a first message
# with no letters of its own.
LANGUAGE_HINT = "language_hint"
WIDGET_LABELS = (
    "title", "open", "close", "placeholder", "send", "typing", "reconnecting", "sending", "too_long", "history",
    # the names of the emoji-only rating buttons
    "helpful", "not_helpful", "csat_1", "csat_2", "csat_3",
    # the chat button's count of messages from the team that came while it was closed
    "unread",
)  # fmt: skip
QUEUE_STATUS_INSTEAD = ("utter_greet", "utter_welcome", "utter_default", "utter_did_you_mean", "utter_out_of_scope")


class StoreUnavailable(RuntimeError):
    """Redis could not be reached."""


@dataclass(frozen=True)
class Incoming:
    """A customer message: what to send to Rasa and what to show in the transcript."""

    conversation: str
    channel: str
    text: str
    shown_text: str | None = None
    metadata: dict[str, Any] | None = None
    client_id: str | None = None


def as_plain_text(message: Incoming) -> Incoming:
    """The message with its texts as the project stores text (``support.plain_text``)."""
    shown = plain_text(message.shown_text) if message.shown_text is not None else None
    return replace(message, text=plain_text(message.text), shown_text=shown)


class Conversations:
    """Runs customer messages through the assistant, or to the agent who owns the chat."""

    def __init__(
        self,
        rasa: RasaClient,
        delivery: Delivery,
        desk: Desk,
        surveys: Surveys,
        analytics: Analytics,
        notices: Notices,
        limiter: RateLimiter,
        texts: Texts,
        max_chars: int,
        model_loading: Callable[[], Awaitable[bool]],
        identities: IdentityStore,
        unanswered: Unanswered,
        reply_deadline: float,
        clock: Callable[[], float],
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self._rasa = rasa
        self._delivery = delivery
        self._desk = desk
        self._surveys = surveys
        self._analytics = analytics
        self._notices = notices
        self._limiter = limiter
        self._texts = texts
        self._max_chars = max_chars
        self._model_loading = model_loading
        self._identities = identities
        self._unanswered = unanswered
        self._reply_deadline = reply_deadline
        self._clock = clock
        self._languages: ConversationLanguages = unanswered.languages
        # Messages in, reply latency, rate-limit hits, Redis errors (a metrics object of its own for tests).
        self._metrics = metrics or GatewayMetrics()

    def system(self, response: str, language: str) -> dict[str, Any]:
        """A message written by the gateway itself, from the domain's responses."""
        return outgoing("bot", self._texts.get(response, language))

    async def language_of(self, conversation: str) -> str:
        """The conversation's language."""
        return await self._languages.get(conversation)

    @staticmethod
    def offline_language(text: str, hint: str | None) -> str:
        """The best guess at a customer's language when the store, which knows it, is down."""
        return languages().follow(None, text, hint)

    def refusal(self, text: str, language: str) -> dict[str, Any] | None:
        """The reply to a message that must not reach Rasa, if it is one."""
        if not text.strip():
            return self.system("utter_empty_message", language)
        if len(text) > self._max_chars:
            return self.system("utter_message_too_long", language)
        return None

    async def handle(self, message: Incoming) -> list[dict[str, Any]]:
        """Processes one customer message and returns the messages delivered in reply.

        Raises:
            StoreUnavailable: Redis is down; nothing was stored or sent.
        """
        received = self._clock()
        message = as_plain_text(message)
        try:
            with conversation_logged(message.conversation):
                language = await self._follow_language(message)
                self._metrics.message_in(message.channel, language)
                refused = self.refusal(message.text, language)
                if refused is not None:
                    return [await self._delivery.notify(message.conversation, message.channel, refused)]
                if not await self._limiter.allow(message.conversation):
                    self._metrics.rate_limited("message")
                    limited = self.system("utter_rate_limited", language)
                    return [await self._delivery.notify(message.conversation, message.channel, limited)]
                return await self._route(message, language, received)
        except RedisError as error:
            self._metrics.redis_error("conversation")
            raise StoreUnavailable(str(error)) from error

    async def _follow_language(self, message: Incoming) -> str:
        """The conversation's language after this message; the widget relabels itself when it changes."""
        hint = (message.metadata or {}).get(LANGUAGE_HINT)
        written = message.shown_text or message.text
        language, changed = await self._languages.follow(message.conversation, written, hint)
        if changed:
            await self._delivery.signal(message.conversation, {"type": "language", **self.widget_labels(language)})
        return language

    def widget_labels(self, language: str) -> dict[str, Any]:
        """The web widget's labels in a language."""
        labels = {name: self._texts.get(f"utter_widget_{name}", language) for name in WIDGET_LABELS}
        return {"language": language, "labels": labels}

    async def _route(self, message: Incoming, language: str, received: float) -> list[dict[str, Any]]:
        handoff = await self._desk.handoffs.get(message.conversation)
        shown = message.shown_text or message.text
        customer = {**outgoing("customer", shown), "client_id": message.client_id}
        if message.shown_text is not None:
            customer["payload"] = message.text  # a button: agent assist skips ratings (bot/console/assist.py)
        await self._delivery.record(message.conversation, message.channel, customer)
        new_session = await self._analytics.customer_wrote(message.conversation, message.channel, language)
        if handoff is not None and handoff.state == "agent":
            await self._to_agent(message)
            return []
        if handoff is not None and message.text in QUEUE_PAYLOADS:
            return await self._desk.queue_choice(message.conversation, message.channel, message.text)
        if self._surveys.owns(message.text):
            return await self._surveys.handle(message.conversation, message.channel, message.text)
        comment = await self._surveys.take_comment(message.conversation, message.channel, message.text)
        if comment is not None:
            return comment
        await self._surveys.customer_active(message.conversation)
        check_in = await self._surveys.check_in_reply(message.conversation)
        if check_in is not None:
            answered = await self._answer_check_in(message, check_in)
            if answered is not None:
                return answered
        if await self._unanswered.wants_person(message.conversation, message.text):
            return await self._unanswered.hand_over(message.conversation, message.channel)
        queued = handoff is not None and handoff.state == "queued"
        return await self._converse(message, language, new_session, queued=queued, received=received)

    async def _answer_check_in(self, message: Incoming, check_in: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Reads the reply to a check-in: sorted is closed with thanks, a problem goes back to people.

        None for anything else (a new question): the assistant answers it as a normal message.
        """
        try:
            outcome = read_check_in_reply(await self._rasa.parse(message.text), self._surveys.config)
        except RasaUnavailable as error:
            # Unread, the reply may be a problem: a person reads it rather than nobody.
            logger.warning("could not read a check-in reply of %s: %s", message.conversation, error)
            outcome = REOPENED
        thanks = await self._surveys.check_in_answered(message.conversation, message.channel, check_in, outcome)
        if outcome == SORTED:
            return thanks
        if outcome == REOPENED:
            request = self._surveys.reopen_request(check_in)
            return await self._desk.request(message.conversation, message.channel, request)
        return None

    async def greet(self, conversation: str, channel: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Lets the assistant greet a customer it knows, before they type anything.

        Raises:
            StoreUnavailable: Redis is down; nothing was stored or sent.
        """
        try:
            with conversation_logged(conversation):
                greeting = Incoming(conversation, channel, GREETING, metadata=metadata)
                # Nothing written yet: the channel's hint decides, until the customer clearly writes in another one.
                language, _ = await self._languages.follow(conversation, "", metadata.get(LANGUAGE_HINT))
                return await self._converse(greeting, language, False, answer_required=False)
        except RedisError as error:
            self._metrics.redis_error("conversation")
            raise StoreUnavailable(str(error)) from error

    async def _to_agent(self, message: Incoming) -> None:
        """The agent answers; the bot only records the message, so it knows what happened later."""
        try:
            await self._rasa.log_customer_message(message.conversation, message.text)
        except RasaUnavailable as error:
            logger.warning("could not record a message to an agent in the tracker: %s", error)

    async def _converse(
        self,
        message: Incoming,
        language: str,
        new_session: bool,
        queued: bool = False,
        answer_required: bool = True,
        received: float | None = None,
    ) -> list[dict[str, Any]]:
        """Rasa's answer to the message; the apology if it has none (within the deadline, unless a model loads).

        With ``received`` (when the customer's message arrived), the time to the first reply is measured.
        """
        conversation = message.conversation
        await self._delivery.signal(conversation, {"type": "typing", "on": True})
        patient = await self._model_loading()
        asking = asyncio.ensure_future(self._ask_rasa(message, language, patient))
        delivered: list[dict[str, Any]] = []
        apologised = False
        replied_at: float | None = None
        try:
            if answer_required and not patient:
                done, _ = await asyncio.wait({asking}, timeout=self._reply_deadline)
                if not done:
                    # Rasa may still answer: its late reply follows the apology.
                    delivered += await self._apologise(message, "timeout")
                    apologised = True
                    replied_at = self._clock()
            replies, failure = await asking
        finally:
            asking.cancel()  # a no-op once it finished; else the turn itself failed or was cancelled
        # The bot answered in the language the gateway passed; FAQ answers say so themselves.
        replies = [{"language": language, **reply} for reply in replies]
        if new_session:
            delivered += await self._notices.at_start(conversation, message.channel, language)
        answers = []
        for reply in replies:
            answers += await self._act_on(conversation, message.channel, reply, queued)
            if answers and replied_at is None:
                replied_at = self._clock()
            await self._analytics.bot_replied(conversation, message.channel, reply, message.shown_text or message.text)
        delivered += answers
        if answers:
            await self._unanswered.turns.answered(conversation)
        elif answer_required and not apologised:
            delivered += await self._apologise(message, failure or "empty")
            replied_at = self._clock()
        if received is not None and replied_at is not None:
            self._metrics.replied(message.channel, replied_at - received)
        await self._delivery.signal(conversation, {"type": "typing", "on": False})
        return delivered

    async def _ask_rasa(
        self, message: Incoming, language: str, patient: bool
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Rasa's replies, and why there are none if it failed ("down": an error or a time-out)."""
        metadata = {**(message.metadata or {}), "channel": message.channel, "language": language}
        identity = await self._identities.get(message.conversation)
        if identity is not None:
            metadata["identity"] = identity.for_rasa()
        try:
            return await self._rasa.send(message.conversation, message.text, metadata, patient=patient), None
        except RasaUnavailable as error:
            logger.warning("Rasa failed on a message of %s: %s", message.conversation, error)
            return [], "down"

    async def _apologise(self, message: Incoming, cause: str) -> list[dict[str, Any]]:
        return await self._unanswered.apologise(message.conversation, message.channel, message.text, cause)

    async def _act_on(
        self, conversation: str, channel: str, reply: dict[str, Any], queued: bool = False
    ) -> list[dict[str, Any]]:
        """Delivers a bot message, or carries out a request the bot sent as a custom payload."""
        if queued and reply.get("utter_action") in QUEUE_STATUS_INSTEAD:
            return await self._desk.still_queued(conversation, channel)
        custom = reply.get("custom") or {}
        if isinstance(custom.get("handoff"), dict):
            return await self._desk.request(conversation, channel, custom["handoff"])
        if isinstance(custom.get("callback"), dict):
            await self._desk.schedule_callback(conversation, channel, custom["callback"])
        if isinstance(custom.get("identity"), dict):
            await self._record_identity(conversation, custom["identity"])
        if custom.get("forget_device"):
            await self._forget_device(conversation, channel)
        if custom.get("erase_conversation"):
            await self._erase(conversation, custom.get("conversations"))
        if not reply.get("text"):
            return []
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in reply.get("buttons") or []
        ]
        meta = {key: reply[key] for key in BOT_MESSAGE_META if reply.get(key)}
        event = outgoing("bot", reply["text"], buttons, **meta)
        if reply.get("faq_id"):
            event["buttons"] = buttons + self._surveys.thumbs(event["id"], str(reply["language"]))
        delivered = [await self._delivery.record(conversation, channel, event)]
        delivered += await self._notices.for_reply(conversation, channel, reply)
        return delivered + await self._surveys.after_bot_reply(conversation, channel, reply)

    async def _record_identity(self, conversation: str, signal: dict[str, Any]) -> None:
        identity = Identity.from_signal(signal, self._clock())
        if identity is None:
            logger.warning("ignored a malformed identity signal for %s", conversation)
            return
        await self._identities.record(conversation, identity)

    async def _forget_device(self, conversation: str, channel: str) -> None:
        """This device no longer knows the customer; a web browser also gets a new conversation."""
        if channel != "web":
            await self._identities.unlink(conversation)
            return
        await self._identities.detach(conversation)
        await self._delivery.signal(conversation, {"type": "session_ended"})

    async def _erase(self, conversation: str, linked: Any) -> None:
        """Deletes the conversation and, for a proven customer, every other conversation of theirs."""
        identity = await self._identities.get(conversation)
        others = {other for other in linked if isinstance(other, str)} if isinstance(linked, list) else set()
        if identity is not None and identity.customer_id:
            others |= set(await self._identities.conversations_of(identity.customer_id))
        others.discard(conversation)
        await self._forget(conversation)
        for other in sorted(others):
            await self._forget(other)
            try:
                # The tracker store deletes a tracker that ends a turn with this slot set (addons/redis_stores.py).
                await self._rasa.log_events(other, [{"event": "slot", "name": "erase_requested", "value": True}])
            except RasaUnavailable as error:
                logger.warning("could not erase the tracker of %s: %s", other, error)

    async def _forget(self, conversation: str) -> None:
        await self._delivery.forget(conversation)
        await self._unanswered.turns.forget(conversation)
        await self._languages.forget(conversation)
        await self._desk.forget(conversation)
        await self._surveys.forget(conversation)
        await self._identities.unlink(conversation)
