"""What the dashboard counts, recorded as conversations happen: sessions, misunderstandings, handoffs, waits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.redaction import redact
from bot.store.activity import ActivityStore
from bot.store.feedback import FeedbackStore, Scope
from bot.store.handoffs import Handoff
from bot.texts import DEFAULT_LANGUAGE

# Replies that mean the bot did not understand; the customer's message goes to the unanswered list.
NOT_UNDERSTOOD = ("utter_did_you_mean", "utter_default", "utter_out_of_scope", "utter_faq_unavailable")
EMPATHY_PREFIX = "utter_empathy_"
SESSION_QUIET_SECONDS = 30 * 60


@dataclass
class Analytics:
    """Feeds the feedback store's counters and the session tracker."""

    activity: ActivityStore
    feedback: FeedbackStore
    clock: Callable[[], float]

    async def customer_wrote(self, conversation: str, channel: str, language: str) -> bool:
        """A customer message in the conversation's language: the session is alive. True if it starts a new session."""
        return await self.activity.touch(conversation, channel, language, self.clock())

    async def bot_replied(self, conversation: str, channel: str, reply: dict[str, Any], question: str) -> None:
        """Counts a misunderstanding or a frustration trigger; an answer marks the session as served."""
        action = str(reply.get("utter_action") or "")
        scope = Scope(conversation, channel, str(reply.get("language") or DEFAULT_LANGUAGE), self.clock())
        if action in NOT_UNDERSTOOD:
            # Customer text reaches editors: the inbox only ever holds the redacted form.
            await self.feedback.unanswered(scope, redact(question))
        elif action.startswith(EMPATHY_PREFIX):
            await self.feedback.frustration(scope, action.removeprefix(EMPATHY_PREFIX))
        else:
            await self.activity.mark(conversation, "answered")

    async def bot_failed(self, conversation: str, channel: str, language: str, cause: str) -> None:
        """The bot left a customer message unanswered (Rasa down, a time-out, an empty reply)."""
        await self.feedback.bot_failure(Scope(conversation, channel, language, self.clock()), cause)

    async def handed_off(self, handoff: Handoff) -> None:
        """A chat went to the queue, with why, and what frustrated the customer if that was why."""
        await self.activity.mark(handoff.conversation, "handoff")
        signals = (handoff.context.get("frustration") or {}).get("reasons") or []
        await self.feedback.handoff(self._scope(handoff), handoff.reason, [str(s) for s in signals])

    async def claimed(self, handoff: Handoff) -> None:
        """An agent took the chat: the customer's wait is recorded."""
        if handoff.claimed_at is not None:
            await self.feedback.queue_wait(self._scope(handoff), handoff.claimed_at - handoff.queued_at)

    async def close_quiet_sessions(self) -> int:
        """Ends sessions quiet for 30 minutes and counts their outcome; returns how many."""
        sessions = await self.activity.quiet_since(self.clock() - SESSION_QUIET_SECONDS)
        for session in sessions:
            scope = Scope(session.conversation, session.channel, session.language, session.last)
            await self.feedback.session_ended(scope, session.started, session.handoff, session.answered)
        return len(sessions)

    def _scope(self, handoff: Handoff) -> Scope:
        language = str(handoff.context.get("language") or DEFAULT_LANGUAGE)
        return Scope(handoff.conversation, handoff.channel, language, self.clock())
