"""Writes the gateway's mail to customers from the domain's responses and queues it for the sender.

Plain text in the conversation's language: a subject and a body response, then the footer
(``utter_mail_footer``). What a mail says about a callback window is written in full, with
the date, because the mail may be read on another day than it was sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from bot.store.callbacks import Callback
from bot.store.mail_queue import Mail, MailQueue
from bot.store.users import User
from bot.texts import Texts
from support.locale import write_moment

# The handoff reasons (bot.handoff.REASONS) each have a sentence for the confirmation.
REASON_PREFIX = "utter_mail_reason_"
DEFAULT_REASON = "customer_request"


class Mailroom:
    """Composes the callback confirmations, agents' replies and check-ins, and queues them."""

    def __init__(self, queue: MailQueue, texts: Texts, timezone: tzinfo, clock: Callable[[], float]) -> None:
        self.queue = queue
        self._texts = texts
        self._timezone = timezone
        self._clock = clock

    async def callback_booked(self, callback: Callback) -> Mail:
        """Confirms an email callback: we got the request, why, and when we will write back."""
        start = datetime.fromisoformat(callback.window_start).astimezone(self._timezone)
        end = datetime.fromisoformat(callback.window_end).astimezone(self._timezone) if callback.window_end else start
        language = callback.language
        reason = self._texts.get(f"{REASON_PREFIX}{callback.reason or DEFAULT_REASON}", language)
        values = {"reason": reason, "start": write_moment(start, language), "end": f"{end:%H:%M}"}
        names = ("utter_mail_callback_booked_subject", "utter_mail_callback_booked")
        subject, body = self._write(*names, language, values)
        return await self._queue(subject, body, "callback_booked", callback)

    async def callback_reply(self, callback: Callback, agent: str, agent_name: str, text: str) -> Mail:
        """The agent's answer to an email callback, in the customer's language around the agent's words."""
        language = callback.language
        values = {"agent": agent_name, "text": text}
        names = ("utter_mail_callback_reply_subject", "utter_mail_callback_reply")
        subject, body = self._write(*names, language, values)
        return await self._queue(subject, body, "callback_reply", callback, agent)

    async def check_in(self, conversation: str, to: str, language: str, agent_name: str) -> Mail:
        """The next-day check-in after an agent's chat, for a customer reached by email."""
        values = {"agent": agent_name}
        names = ("utter_mail_check_in_subject", "utter_mail_check_in")
        subject, body = self._write(*names, language, values)
        mail = Mail("", to, subject, body, language, "check_in", conversation, self._clock())
        return await self.queue.enqueue(mail)

    async def follow_up_reply(self, conversation: str, to: str, language: str, agent: User, text: str) -> Mail:
        """An agent's answer to a follow-up, for a customer who left this address for a callback."""
        values = {"agent": agent.display_name, "text": text}
        names = ("utter_mail_follow_up_reply_subject", "utter_mail_follow_up_reply")
        subject, body = self._write(*names, language, values)
        mail = Mail("", to, subject, body, language, "follow_up_reply", conversation, self._clock(), agent=agent.name)
        return await self.queue.enqueue(mail)

    async def forget(self, conversation: str) -> None:
        """Drops the conversation's mail (the customer deleted their data)."""
        await self.queue.forget(conversation)

    def _write(self, subject: str, body: str, language: str, values: dict[str, Any]) -> tuple[str, str]:
        footer = self._texts.get("utter_mail_footer", language)
        text = self._texts.get(body, language).format(**values)
        return self._texts.get(subject, language).format(**values), f"{text}\n\n{footer}\n"

    async def _queue(self, subject: str, body: str, kind: str, callback: Callback, agent: str | None = None) -> Mail:
        if not callback.email:
            raise ValueError(f"callback {callback.id} has no email address")
        language, conversation = callback.language, callback.conversation
        mail = Mail("", callback.email, subject, body, language, kind, conversation, self._clock(), callback.id, agent)
        return await self.queue.enqueue(mail)
