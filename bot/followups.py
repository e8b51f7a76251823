"""Follow-ups an agent acts on: the promise made to the customer, taking one, answering, closing it.

A 😞 promises an answer by the end of the next business day in the team's time zone
(``support.hours``); that moment is both the text the customer reads and the follow-up's
due time. Taking a follow-up gives its conversation to the agent as a handoff without a
queue, so the agent's messages reach the customer on their channel and the customer's
replies go to the agent, as in any live handoff; "Done" gives the conversation back to the bot.
The agent's answers are also emailed only to a customer who gave an address to be answered at
(an email callback in the same conversation).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bot.delivery import Delivery
from bot.handoff import DeskError
from bot.mail.mailroom import Mailroom
from bot.store.followups import FollowUp, FollowUpStore
from bot.store.handoffs import Handoff, HandoffStore
from bot.store.identities import Identity, IdentityStore
from bot.store.mail_queue import Mail, MailQueue
from bot.store.users import User
from bot.texts import DEFAULT_LANGUAGE
from support.hours import OpeningHours
from support.locale import write_moment

REASON = "follow_up"
GUEST_CODE_LENGTH = 6


def due_after(opening: OpeningHours, now: float) -> datetime:
    """When a follow-up filed at ``now`` is due: the end of the next business day, in the team's time zone."""
    return opening.next_business_day_end(datetime.fromtimestamp(now, opening.timezone))


def promised_time(due: datetime, language: str) -> str:
    """The due time as the customer reads it, with its zone: 'Tue 8 Dec 18:00 KST'."""
    return f"{write_moment(due, language)} {due:%Z}"


def customer_label(identity: Identity | None, conversation: str) -> str:
    """Who the customer is for agents: the proven name, else 'Guest' and a short code stable per conversation."""
    if identity is not None and identity.name:
        return identity.name
    code = hashlib.sha256(conversation.encode()).hexdigest()[:GUEST_CODE_LENGTH].upper()
    return f"Guest {code}"


@dataclass
class FollowUpDesk:
    """Takes and closes follow-ups for agents, and describes them for the console."""

    followups: FollowUpStore
    handoffs: HandoffStore
    identities: IdentityStore
    delivery: Delivery
    mail_queue: MailQueue
    clock: Callable[[], float]
    # Mail to customers; None when no SMTP server is configured.
    mail: Mailroom | None = None

    async def take(self, followup_id: str, agent: User) -> FollowUp:
        """Makes the agent the follow-up's only owner and gives them its conversation."""
        taken = await self.followups.take(followup_id, agent.name, self.clock())
        if taken is None:
            raise DeskError("this follow-up is done or another agent has taken it")
        context = {"language": taken.language, "followup": taken.id, "rating": taken.score, "comment": taken.comment}
        handoff = Handoff(taken.conversation, taken.channel, REASON, False, self.clock(), context=context)
        if not await self.handoffs.assign(handoff, agent.name, self.clock()):
            current = await self.handoffs.get(taken.conversation)
            if current is None or current.state != "agent" or current.agent != agent.name:
                await self.followups.release(followup_id, agent.name, self.clock())
                raise DeskError("the customer is waiting in the queue or with another agent: answer them there")
        await self._changed(taken.conversation)
        return taken

    async def done(self, followup_id: str, agent: User, note: str) -> FollowUp:
        """Closes the follow-up with the agent's note; the bot takes the conversation back from them."""
        closed = await self.followups.done(followup_id, agent.name, note, self.clock())
        if closed is None:
            raise DeskError("this follow-up is done already or another agent has it")
        handoff = await self.handoffs.get(closed.conversation)
        if handoff is not None and handoff.agent == agent.name and handoff.context.get("followup") == closed.id:
            await self.handoffs.close(closed.conversation, self.clock())
        await self._changed(closed.conversation)
        return closed

    async def mail_reply(self, conversation: str, agent: User, text: str) -> Mail | None:
        """Also emails the agent's answer to a follow-up they own, if the customer left an address to be reached at."""
        handoff = await self.handoffs.get(conversation)
        if self.mail is None or handoff is None or handoff.agent != agent.name or "followup" not in handoff.context:
            return None
        email = await self.contact_email(conversation)
        if email is None:
            return None
        language = str(handoff.context.get("language") or DEFAULT_LANGUAGE)
        return await self.mail.follow_up_reply(conversation, email, language, agent, text)

    async def contact_email(self, conversation: str) -> str | None:
        """The address the customer gave in this conversation to be answered by email (an email callback)."""
        booked = [m.to for m in await self.mail_queue.of_conversation(conversation) if m.kind == "callback_booked"]
        return booked[-1] if booked else None

    async def row(self, followup: FollowUp) -> dict[str, Any]:
        """The follow-up as the console shows it: with who the customer is and the address they left, if any."""
        identity = await self.identities.get(followup.conversation)
        return {
            **asdict(followup),
            "customer": customer_label(identity, followup.conversation),
            "contact_email": await self.contact_email(followup.conversation),
        }

    async def rows(self, followups: list[FollowUp]) -> list[dict[str, Any]]:
        """Rows for several follow-ups."""
        return [await self.row(f) for f in followups]

    async def of_conversation(self, conversation: str) -> dict[str, Any] | None:
        """The row of the conversation's newest follow-up, if it has one."""
        followup = await self.followups.of_conversation(conversation)
        return await self.row(followup) if followup else None

    async def _changed(self, conversation: str) -> None:
        await self.delivery.console({"type": "followups", "event": "changed", "conversation": conversation})
        await self.delivery.console({"type": "queue", "event": "follow_up", "conversation": conversation})
