"""What the console shows of the mail to customers: each callback's mail, and the mail given up lately."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.store.callbacks import Callback
from bot.store.mail_queue import Mail, MailQueue

# Mail given up within this time is listed on the queue page for agents to follow up.
FAILED_SHOWN_SECONDS = 7 * 24 * 3600


def mail_view(mail: Mail) -> dict[str, Any]:
    """A mail as the console lists it: everything but the body."""
    return {key: value for key, value in asdict(mail).items() if key != "body"}


async def with_mail(callback: Callback, queue: MailQueue) -> dict[str, Any]:
    """The callback with its mail (queued, sent or failed), oldest first."""
    mails = await queue.of_callback(callback.conversation, callback.id) if callback.email else []
    return {**asdict(callback), "mails": [mail_view(mail) for mail in mails]}


async def mail_overview(queue: MailQueue, enabled: bool, now: float) -> dict[str, Any]:
    """Whether mail can be sent at all, and the mail given up lately, latest first."""
    failed = await queue.failed_since(now - FAILED_SHOWN_SECONDS)
    return {"enabled": enabled, "failed": [mail_view(mail) for mail in failed]}
