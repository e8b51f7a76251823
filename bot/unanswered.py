"""When the bot leaves a customer's message unanswered: an apology with a way to a person.

Rasa may be down, time out, or answer with nothing because the action server failed.
The gateway then speaks for the bot, in the conversation's language: the technical-trouble
message with a "Talk to a person" button. It takes that choice itself, and a typed request
for a person (phrases per language in ``data/support/person_requests.yml``), and queues
the chat with the reason ``bot_unavailable``: the queue lives in Redis, not in Rasa.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.analytics import Analytics
from bot.delivery import Delivery, outgoing
from bot.handoff import Desk
from bot.store.bot_turns import BotTurns
from bot.store.languages import ConversationLanguages
from bot.texts import Texts

logger = logging.getLogger(__name__)
TALK_TO_PERSON = "/talk_to_person"
BOT_UNAVAILABLE = "bot_unavailable"


@dataclass(frozen=True)
class PersonRequests:
    """Phrases that ask for a person, in every language."""

    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def load(cls, path: Path) -> PersonRequests:
        """Reads the phrases; each becomes a pattern that no Latin letter may touch on either side."""
        by_language: dict[str, list[str]] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        phrases = {str(phrase).lower() for phrases in by_language.values() for phrase in phrases or []}
        return cls(tuple(re.compile(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])") for phrase in sorted(phrases)))

    def asks_for_person(self, text: str) -> bool:
        """True if the message contains one of the phrases."""
        lowered = text.lower()
        return any(pattern.search(lowered) for pattern in self.patterns)


@dataclass
class Unanswered:
    """Apologises for a turn the bot left unanswered, and hands the chat to a person on request."""

    desk: Desk
    delivery: Delivery
    analytics: Analytics
    texts: Texts
    requests: PersonRequests
    turns: BotTurns
    languages: ConversationLanguages
    clock: Callable[[], float]

    async def wants_person(self, conversation: str, text: str) -> bool:
        """True if the gateway itself should queue this message: the button, or a typed request while failing."""
        if text == TALK_TO_PERSON:
            return True
        return self.requests.asks_for_person(text) and await self.turns.failing(conversation, self.clock())

    async def apologise(self, conversation: str, channel: str, text: str, cause: str) -> list[dict[str, Any]]:
        """The customer's message got no answer: they get a person if they asked for one, else the apology."""
        language = await self.languages.get(conversation)
        logger.warning("no answer from the bot for %s (%s): the gateway answers", conversation, cause)
        await self.turns.failed(conversation, self.clock())
        await self.analytics.bot_failed(conversation, channel, language, cause)
        if self.requests.asks_for_person(text):
            return await self._queue(conversation, channel, language)
        button = {"title": self.texts.get("utter_button_talk_to_person", language), "payload": TALK_TO_PERSON}
        message = outgoing("bot", self.texts.get("utter_bot_unavailable", language), [button])
        return [await self.delivery.record(conversation, channel, message)]

    async def hand_over(self, conversation: str, channel: str) -> list[dict[str, Any]]:
        """Queues the chat for a person, marked as one the bot could not serve."""
        return await self._queue(conversation, channel, await self.languages.get(conversation))

    async def _queue(self, conversation: str, channel: str, language: str) -> list[dict[str, Any]]:
        return await self.desk.request(conversation, channel, {"reason": BOT_UNAVAILABLE, "language": language})
