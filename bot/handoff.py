"""The help desk: queues handoffs, tells customers their place, and runs what agents do.

Actions ask for a person with a ``handoff`` payload and for a callback with a
``callback`` payload; this module turns them into queue and callback records.
Everything the customer reads comes from the domain's responses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.analytics import Analytics
from bot.delivery import Delivery, outgoing
from bot.mail.mailroom import Mailroom
from bot.rasa import RasaClient, RasaUnavailable
from bot.store.callbacks import Callback, CallbackStore
from bot.store.handoffs import Handoff, HandoffStore
from bot.store.languages import ConversationLanguages
from bot.store.mail_queue import Mail
from bot.store.notes import Note, NoteStore
from bot.store.outbox import Outbox
from bot.store.presence import Presence
from bot.store.users import User
from bot.support import SupportConfig, WaitEstimate, callback_reason, estimate_wait, typical_handling_minutes
from bot.texts import DEFAULT_LANGUAGE, Texts
from support.locale import write_moment

logger = logging.getLogger(__name__)
REASONS = (
    "customer_request",
    "frustration",
    "not_understood",
    "self_service_failed",
    "negative_feedback",
    "bot_unavailable",
)
KEEP_WAITING = "/queue_wait"
LEAVE_QUEUE = "/queue_leave"
REQUEST_CALLBACK = "/request_callback"
QUEUE_PAYLOADS = (KEEP_WAITING, LEAVE_QUEUE)
CALLBACK_METHODS = ("phone", "message")
# The callback's note when the agent answered by email and closed it at once.
EMAILED_NOTE = "answered by email"


class DeskError(ValueError):
    """An agent action that does not apply (not their chat, not queued, unknown agent)."""


@dataclass
class Desk:
    """Queue, agents' actions and callbacks."""

    handoffs: HandoffStore
    presence: Presence
    callbacks: CallbackStore
    notes: NoteStore
    delivery: Delivery
    outbox: Outbox
    rasa: RasaClient
    texts: Texts
    languages: ConversationLanguages
    config: SupportConfig
    analytics: Analytics
    clock: Callable[[], float]
    # Mail to customers; None when no SMTP server is configured.
    mail: Mailroom | None = None

    async def request(self, conversation: str, channel: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """Queues the conversation for a person and tells the customer their place and wait."""
        reason = payload.get("reason") if payload.get("reason") in REASONS else "customer_request"
        handoff = Handoff(
            conversation=conversation,
            channel=channel,
            reason=str(reason),
            priority=bool(payload.get("priority")),
            queued_at=self.clock(),
            context={k: v for k, v in payload.items() if k not in ("reason", "priority")},
        )
        newly_queued = await self.handoffs.enqueue(handoff)
        current = await self.handoffs.get(conversation)
        if current is None or current.state != "queued":
            return []
        if newly_queued:
            await self.analytics.handed_off(current)
        await self.outbox.publish_console({"type": "queue", "event": "queued", "conversation": conversation})
        message = await self._queue_message(current)
        await self.announce_positions(skip=conversation)
        return [await self.delivery.record(conversation, channel, message)]

    async def estimate(self, conversation: str) -> WaitEstimate | None:
        """The customer's place in the queue and the expected wait, if they are queued."""
        position = await self.handoffs.position(conversation)
        if position is None:
            return None
        agents = await self.presence.online(self.clock())
        samples = await self.handoffs.handling_times(self.config.handling_sample_size)
        handling = typical_handling_minutes(samples, self.config.default_handling_minutes)
        return estimate_wait(position, len(agents), handling)

    async def queue_choice(self, conversation: str, channel: str, payload: str) -> list[dict[str, Any]]:
        """Answers the queue's own buttons: keep waiting, or leave the queue."""
        handoff = await self.handoffs.get(conversation)
        language = await self.language(conversation, handoff)
        if payload == LEAVE_QUEUE:
            await self.handoffs.close(conversation, self.clock())
            await self.outbox.publish_console({"type": "queue", "event": "left", "conversation": conversation})
            await self._clear_queue_line(conversation, channel)
            await self.announce_positions()
            return [await self.delivery.record(conversation, channel, self._text("utter_queue_left", language))]
        estimate = await self.estimate(conversation)
        position = estimate.position if estimate else 1
        await self.handoffs.tell_position(conversation, position)
        message = self._text("utter_queue_keep_waiting", language, self._leave_button(language), position=position)
        return [await self.delivery.record(conversation, channel, message)]

    async def still_queued(self, conversation: str, channel: str) -> list[dict[str, Any]]:
        """Tells a queued customer who wrote meanwhile their place and the expected wait."""
        handoff = await self.handoffs.get(conversation)
        estimate = await self.estimate(conversation)
        if estimate is None:
            return []
        language = await self.language(conversation, handoff)
        response = "utter_queue_still_waiting" if estimate.known else "utter_queue_still_waiting_unknown"
        values = {"position": estimate.position, "minutes": estimate.minutes}
        message = self._text(response, language, self._leave_button(language), **values)
        return [await self.delivery.record(conversation, channel, message)]

    async def announce_positions(self, skip: str | None = None) -> None:
        """Tells every queued customer their current place and estimate.

        The web widget shows it as a status line, refreshed every time. A Telegram chat has no status
        line, so it gets a message, and only when the place changed since the customer was last told.
        """
        for handoff in await self.handoffs.queued():
            if handoff.conversation == skip:
                continue
            estimate = await self.estimate(handoff.conversation)
            if estimate is None:
                continue
            if handoff.channel == "web":
                language = await self.language(handoff.conversation, handoff)
                await self.delivery.signal(handoff.conversation, self._status_event(language, estimate))
            elif await self.handoffs.tell_position(handoff.conversation, estimate.position):
                response = "utter_queue_moved" if estimate.known else "utter_queue_moved_unknown"
                await self._notice(handoff, response, position=estimate.position, minutes=estimate.minutes)

    async def offer_overdue_callbacks(self) -> int:
        """Offers a callback to customers nobody claimed in time; returns how many were offered."""
        offered = 0
        limit = self.config.unclaimed_offer_minutes * 60
        for handoff in await self.handoffs.queued():
            waited = self.clock() - handoff.queued_at
            if handoff.callback_offered or waited < limit:
                continue
            if await self.handoffs.mark_callback_offered(handoff.conversation):
                language = await self.language(handoff.conversation, handoff)
                message = self._text(
                    "utter_handoff_unclaimed",
                    language,
                    buttons=self._callback_buttons(language),
                    minutes=int(waited // 60),
                )
                await self.delivery.record(handoff.conversation, handoff.channel, message)
                offered += 1
        return offered

    async def claim(self, conversation: str, agent: User) -> Handoff:
        """Gives a queued chat to the agent and tells the customer who joined."""
        offer = await self.first_offer(await self.handoffs.get(conversation))
        if offer is not None and offer["agent"] != agent.name:
            left = max(1, round((offer["until"] - self.clock()) / 60))
            raise DeskError(f"this chat is offered to {offer['name']} first (their earlier chat) for {left} more min")
        handoff = await self.handoffs.claim(conversation, agent.name, self.clock())
        if handoff is None:
            raise DeskError("this chat is not waiting any more: another agent may have claimed it")
        await self.analytics.claimed(handoff)
        await self._notice(handoff, "utter_agent_joined", agent=agent.display_name)
        await self.outbox.publish_console({"type": "queue", "event": "claimed", "conversation": conversation})
        await self.announce_positions()
        return handoff

    async def first_offer(self, handoff: Handoff | None) -> dict[str, Any] | None:
        """The agent a queued chat is kept for: who had it before a check-in reopened it, while online and in time."""
        offer = (handoff.context.get("first_offer") if handoff is not None else None) or {}
        if handoff is None or handoff.state != "queued" or not offer.get("agent"):
            return None
        now = self.clock()
        if float(offer.get("until") or 0) <= now or offer["agent"] not in await self.presence.online(now):
            return None
        return {"agent": str(offer["agent"]), "name": str(offer.get("name") or offer["agent"]), "until": offer["until"]}

    async def reply(self, conversation: str, agent: User, text: str) -> dict[str, Any]:
        """Delivers the agent's message and records it in the bot's tracker."""
        handoff = await self._held_by(conversation, agent)
        message = outgoing("agent", text, agent=agent.display_name)
        published = await self.delivery.record(conversation, handoff.channel, message)
        await self._log(conversation, [{"event": "bot", "text": text, "metadata": {"agent": agent.name}}])
        return published

    async def resolve(self, conversation: str, agent: User) -> Handoff:
        """Ends the agent's chat; the bot takes over again and says so."""
        handoff = await self._held_by(conversation, agent)
        await self.handoffs.close(conversation, self.clock())
        await self._notice(handoff, "utter_agent_resolved", agent=agent.display_name)
        await self.outbox.publish_console({"type": "queue", "event": "resolved", "conversation": conversation})
        return handoff

    async def transfer(self, conversation: str, agent: User, to: User) -> None:
        """Passes the agent's chat to a colleague."""
        if to.role not in ("agent", "admin"):
            raise DeskError(f"{to.name} is not an agent")
        handoff = await self._held_by(conversation, agent)
        if not await self.handoffs.transfer(conversation, agent.name, to.name):
            raise DeskError("the chat changed hands meanwhile")
        await self._notice(handoff, "utter_agent_transferred", agent=to.display_name)
        await self.outbox.publish_console({"type": "queue", "event": "transferred", "conversation": conversation})

    async def add_note(self, conversation: str, agent: User, text: str) -> Note:
        """Stores an internal note and shows it to agents with the chat open."""
        note = Note(agent.display_name, text, self.clock())
        await self.notes.add(conversation, note)
        await self.outbox.publish_console({"type": "note", **note.__dict__}, conversation=conversation)
        return note

    async def schedule_callback(self, conversation: str, channel: str, payload: dict[str, Any]) -> Callback | None:
        """Stores the callback the customer chose; they leave the queue, keeping the reason."""
        if payload.get("method") not in CALLBACK_METHODS or not payload.get("window_start"):
            logger.warning("ignored a malformed callback payload for %s", conversation)
            return None
        handoff = await self.handoffs.get(conversation)
        start = datetime.fromisoformat(str(payload["window_start"]))
        callback = await self.callbacks.create(
            Callback(
                id="",
                conversation=conversation,
                channel=channel,
                method=str(payload["method"]),
                window_start=start.isoformat(),
                window_end=str(payload.get("window_end") or ""),
                window_label=str(payload.get("window_label") or ""),
                due=start.astimezone(timezone.utc).timestamp(),
                created_at=self.clock(),
                phone=payload.get("phone"),
                email=payload.get("email"),
                reason=handoff.reason if handoff else None,
                language=await self.language(conversation, handoff),
            )
        )
        if handoff is not None and handoff.state == "queued":
            await self.handoffs.close(conversation, self.clock())
            await self._clear_queue_line(conversation, channel)
            await self.announce_positions()
        if callback.email and self.mail is not None:
            await self.mail.callback_booked(callback)
        elif callback.email:
            logger.warning("callback %s has an email but no SMTP server is configured: no confirmation", callback.id)
        await self.outbox.publish_console({"type": "callbacks", "event": "scheduled", "conversation": conversation})
        return callback

    async def pick_up_callback(self, callback_id: str, agent: User) -> Callback:
        """Assigns a callback to the agent and tells the customer someone is on it."""
        callback = await self.callbacks.pick_up(callback_id, agent.name)
        if callback is None:
            raise DeskError("this callback is not pending any more")
        if callback.method == "message":
            # The chat's check-in also goes to the email the customer left (bot.surveys).
            context = {"language": callback.language, "callback": callback.id, "contact_email": callback.email}
            reason = callback.reason or "customer_request"
            handoff = Handoff(callback.conversation, callback.channel, reason, False, self.clock(), context=context)
            await self.handoffs.enqueue(handoff)
            await self.handoffs.claim(callback.conversation, agent.name, self.clock())
        response = "utter_callback_calling" if callback.method == "phone" else "utter_callback_messaging"
        phone_end = (callback.phone or "")[-4:]
        message = self._text(response, callback.language, agent=agent.display_name, phone_end=phone_end)
        await self.delivery.record(callback.conversation, callback.channel, {**message, "role": "notice"})
        await self.outbox.publish_console({"type": "callbacks", "event": "picked_up", "conversation": callback.id})
        return callback

    async def finish_callback(self, callback_id: str, agent: User, note: str) -> Callback:
        """Marks the agent's callback done."""
        callback = await self.callbacks.finish(callback_id, agent.name, note)
        if callback is None:
            raise DeskError("only the agent who picked up this callback can close it")
        await self.outbox.publish_console({"type": "callbacks", "event": "done", "conversation": callback.id})
        return callback

    async def email_callback(self, callback_id: str, agent: User, text: str, finish: bool) -> tuple[Callback, Mail]:
        """Queues the agent's answer to an email callback they picked up; closes the callback if they chose to."""
        callback = await self.callbacks.get(callback_id)
        if callback is None or callback.state != "in_progress" or callback.agent != agent.name:
            raise DeskError("pick up this callback before you answer it")
        if not callback.email:
            raise DeskError("the customer left no email address for this callback")
        if self.mail is None:
            raise DeskError("mail is not configured (SMTP_HOST): answer in the chat or by phone")
        mail = await self.mail.callback_reply(callback, agent.name, agent.display_name, text)
        if finish:
            return await self.finish_callback(callback_id, agent, EMAILED_NOTE), mail
        await self.outbox.publish_console({"type": "callbacks", "event": "emailed", "conversation": callback.id})
        return callback, mail

    async def forget(self, conversation: str) -> None:
        """Erases the conversation's handoff, notes and mail (the customer deleted their data)."""
        await self.handoffs.close(conversation, self.clock())
        await self.notes.delete(conversation)
        if self.mail is not None:
            await self.mail.forget(conversation)

    async def _queue_message(self, handoff: Handoff) -> dict[str, Any]:
        estimate = await self.estimate(handoff.conversation)
        assert estimate is not None  # the caller checked that the chat is queued
        await self.handoffs.tell_position(handoff.conversation, estimate.position)
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        offer = callback_reason(self.config, estimate, now)
        values: dict[str, Any] = {
            "position": estimate.position,
            "minutes": estimate.minutes,
            "agents": estimate.agents_online,
        }
        language = await self.language(handoff.conversation, handoff)
        if offer is None:
            return self._text("utter_handoff_queued", language, self._leave_button(language), **values)
        await self.handoffs.mark_callback_offered(handoff.conversation)
        if offer == "closed":
            values["opening"] = write_moment(self.config.next_opening(now), language)
        buttons = self._callback_buttons(language)
        return self._text(f"utter_handoff_queued_{offer}", language, buttons=buttons, **values)

    def _callback_buttons(self, language: str) -> list[dict[str, str]]:
        return [
            {"title": self.texts.get("utter_button_request_callback", language), "payload": REQUEST_CALLBACK},
            {"title": self.texts.get("utter_button_keep_waiting", language), "payload": KEEP_WAITING},
            *self._leave_button(language),
        ]

    def _leave_button(self, language: str) -> list[dict[str, str]]:
        return [{"title": self.texts.get("utter_button_leave_queue", language), "payload": LEAVE_QUEUE}]

    async def _clear_queue_line(self, conversation: str, channel: str) -> None:
        """Takes the widget's queue line away: the customer left the queue."""
        if channel == "web":
            await self.delivery.signal(conversation, {"type": "queue", "text": ""})

    def _status_event(self, language: str, estimate: WaitEstimate) -> dict[str, Any]:
        name = "utter_queue_status" if estimate.known else "utter_queue_status_unknown"
        text = self.texts.get(name, language).format(position=estimate.position, minutes=estimate.minutes)
        return {"type": "queue", "position": estimate.position, "minutes": estimate.minutes, "text": text}

    def _text(
        self, response: str, language: str, buttons: list[dict[str, str]] | None = None, **values: Any
    ) -> dict[str, Any]:
        text = self.texts.get(response, language).format(**values)
        return outgoing("bot", text, buttons)

    async def language(self, conversation: str, handoff: Handoff | None) -> str:
        """The language the customer writes in now; else the one they asked for a person in."""
        return await self.languages.stored(conversation) or language_of(handoff)

    async def _held_by(self, conversation: str, agent: User) -> Handoff:
        handoff = await self.handoffs.get(conversation)
        if handoff is None or handoff.state != "agent" or handoff.agent != agent.name:
            raise DeskError("this chat is not assigned to you")
        return handoff

    async def _notice(self, handoff: Handoff, response: str, **values: Any) -> None:
        language = await self.language(handoff.conversation, handoff)
        message = {**self._text(response, language, **values), "role": "notice"}
        await self.delivery.record(handoff.conversation, handoff.channel, message)

    async def _log(self, conversation: str, events: list[dict[str, Any]]) -> None:
        try:
            await self.rasa.log_events(conversation, events)
        except RasaUnavailable as error:
            # The customer got the message; only the bot's memory of it is missing.
            logger.warning("could not record an agent message in the tracker: %s", error)


def language_of(handoff: Handoff | None) -> str:
    """The conversation's language, as the bot reported it with the handoff request."""
    if handoff is None:
        return DEFAULT_LANGUAGE
    return str(handoff.context.get("language") or DEFAULT_LANGUAGE)
