"""Sends the queued mail through the mailer, trying again with growing waits until it goes or a day passed.

Every gateway instance runs the loop; each mail is leased to one instance at a time
(``bot.store.mail_queue``). A mail whose send stopped half-way (the gateway restarted) is sent
again when its lease ends: a customer may then get it twice, but never not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from bot.observability.metrics import GatewayMetrics
from bot.store.mail_queue import Mail, MailQueue
from support.mail import Mailer, MailFailed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """When a mail that failed is tried again, and when it is given up.

    Attributes:
        first_delay_seconds: The wait after the first failure; it doubles after each one after that.
        max_delay_seconds: The longest wait between two tries.
        give_up_after_seconds: How long after it was queued a mail is tried; the last try is then.
        lease_seconds: How long a claimed mail is left to its sender: longer than the slowest send
            (every SMTP step may take the mailer's whole time-out).
        poll_seconds: How often the queue is looked at when this instance queued nothing new.
        concurrency: How many mails are sent at once.
    """

    first_delay_seconds: float = 30.0
    max_delay_seconds: float = 3600.0
    give_up_after_seconds: float = 24 * 3600.0
    lease_seconds: float = 300.0
    poll_seconds: float = 5.0
    concurrency: int = 4

    def delay(self, failures: int) -> float:
        """The wait after ``failures`` failed tries in a row: 30 s, 60 s, 120 s … at most an hour."""
        # The exponent is capped so that many failures can't overflow the float.
        return min(self.first_delay_seconds * 2.0 ** min(failures - 1, 32), self.max_delay_seconds)

    def next_attempt(self, mail: Mail, now: float, permanent: bool) -> float | None:
        """When to try a mail again after the try that just failed; None gives it up."""
        deadline = mail.queued_at + self.give_up_after_seconds
        if permanent or now >= deadline:
            return None
        return min(now + self.delay(mail.attempts + 1), deadline)


class MailSender:
    """Claims due mail, sends it and settles it: sent, queued for a later try, or failed.

    ``notify`` tells agents' consoles (``Outbox.publish_console``) after every try.
    """

    def __init__(
        self,
        queue: MailQueue,
        mailer: Mailer,
        notify: Callable[[dict[str, Any]], Awaitable[None]],
        clock: Callable[[], float],
        policy: RetryPolicy | None = None,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self._queue = queue
        # Tries are counted by kind and outcome (a metrics object of its own for tools and tests).
        self._metrics = metrics or GatewayMetrics()
        self._mailer = mailer
        self._notify = notify
        self._clock = clock
        self.policy = policy or RetryPolicy()

    async def run(self) -> None:
        """Sends due mail until cancelled with the server."""
        queued = self._queue.queued_signal()
        while True:
            queued.clear()
            try:
                busy = await self.send_due() == self.policy.concurrency
            except RedisError as error:
                logger.warning("mail queue unavailable: %s", error)
                busy = False
            except Exception:
                # A bug must not stop all mail: the leased mail is tried again when its lease ends.
                logger.exception("mail sending failed")
                busy = False
            if not busy:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(queued.wait(), self.policy.poll_seconds)

    async def send_due(self) -> int:
        """Tries the mail that is due (as many as ``concurrency``); returns how many were tried."""
        claimed = await self._queue.claim(self._clock(), self.policy.lease_seconds, self.policy.concurrency)
        outcomes = await asyncio.gather(*(self._attempt(mail) for mail in claimed), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, RedisError):
                # The mail stays leased; it is tried again when the lease ends.
                logger.warning("mail not settled, Redis unavailable: %s", outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
        return len(claimed)

    async def _attempt(self, mail: Mail) -> None:
        try:
            await self._mailer.send(mail.to, mail.subject, mail.body)
        except MailFailed as error:
            settled = await self._after_failure(mail, str(error), error.permanent)
        except Exception as error:
            # A bug must neither stop the loop nor have the mail tried forever: it counts as a failure.
            logger.exception("mail %s (%s) could not be sent", mail.id, mail.kind)
            settled = await self._after_failure(mail, f"unexpected error: {type(error).__name__}", False)
        else:
            settled = await self._queue.sent(mail, self._clock())
            logger.info("mail %s (%s) sent after %d attempt(s)", settled.id, settled.kind, settled.attempts)
        self._metrics.mail_tried(settled.kind, settled.state)
        await self._notify(console_event(settled))

    async def _after_failure(self, mail: Mail, reason: str, permanent: bool) -> Mail:
        now = self._clock()
        at = self.policy.next_attempt(mail, now, permanent)
        if at is None:
            failed = await self._queue.give_up(mail, reason, now)
            logger.warning("mail %s (%s) given up after %d attempt(s): %s", mail.id, mail.kind, failed.attempts, reason)
            return failed
        logger.info("mail %s (%s) not sent, trying again in %.0f s: %s", mail.id, mail.kind, at - now, reason)
        return await self._queue.retry(mail, reason, at)


def console_event(mail: Mail) -> dict[str, Any]:
    """What agents' consoles are told after a try: the mail's state now, and whose mail it is."""
    return {
        "type": "mail",
        "event": mail.state,
        "mail": mail.id,
        "callback": mail.callback,
        "conversation": mail.conversation,
    }
