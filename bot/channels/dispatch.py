"""Sends a channel's queued messages: in order per conversation, paced, retried, and honest when they fail.

One ``Dispatcher`` runs per channel on every gateway instance that can reach the
channel. It leases due conversations from the outbox (``bot.store.deliveries``),
sends each conversation's messages oldest first, and removes a message only once the
channel confirmed it. A channel's ``Sender`` says how a send failed:

- ``RetryLater``: try again, after the channel's own delay or an exponential back-off;
- ``Unreachable``: the customer blocked us; nothing more is tried until they write;
- ``Rejected``: this message can never be sent.

A message still unsent after the deadline is given up. Agents are told in the
console whenever a message is given up, and whenever a customer becomes unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from redis.exceptions import RedisError

from bot.store.deliveries import DeliveryQueue, Item

logger = logging.getLogger(__name__)
Report = Callable[[str, dict[str, Any]], Awaitable[None]]
MAX_BACKOFF_SECONDS = 60.0


class RetryLater(Exception):
    """The channel failed for now; ``seconds`` is its own delay, if it gave one."""

    def __init__(self, reason: str, seconds: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds


class Unreachable(Exception):
    """The customer can't be written to on this channel (they blocked the bot)."""


class Rejected(Exception):
    """The channel refuses this message for good."""


class Sender(Protocol):
    """Sends one message to a conversation's customer, or raises one of the errors above."""

    async def send(self, conversation: str, message: dict[str, Any]) -> None:
        """Delivers the message; returns only once the channel confirmed it."""


@dataclass(frozen=True)
class Pacing:
    """The channel's own limits: so many messages per window in one chat, and overall."""

    per_chat: int = 3
    per_chat_window_seconds: float = 3.0
    overall: int = 30
    overall_window_seconds: float = 1.0


@dataclass(frozen=True)
class DispatchPolicy:
    """How long to hold a conversation, how long a message may wait, and how many chats at once."""

    deadline_seconds: float = 3600.0
    lease_seconds: float = 30.0
    concurrency: int = 8
    poll_seconds: float = 0.5


def backoff_seconds(attempts: int) -> float:
    """1, 2, 4 … seconds after each failed attempt, at most a minute."""
    return min(2.0**attempts, MAX_BACKOFF_SECONDS)


class Dispatcher:
    """Drains one channel's outbox for as long as the gateway runs."""

    def __init__(
        self,
        channel: str,
        queue: DeliveryQueue,
        sender: Sender,
        report: Report,
        clock: Callable[[], float],
        policy: DispatchPolicy = DispatchPolicy(),
        pacing: Pacing | None = Pacing(),
    ) -> None:
        self.channel = channel
        self._queue = queue
        self._sender = sender
        self._report = report
        self._clock = clock
        self.policy = policy
        self._pacing = pacing
        self._busy: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Claims due conversations and drains each in its own task; cancelled with the server."""
        queued = self._queue.queued_signal(self.channel)
        try:
            while True:
                queued.clear()
                await self._claim_due()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(queued.wait(), self.policy.poll_seconds)
        finally:
            for task in self._busy:
                task.cancel()
            await asyncio.gather(*self._busy, return_exceptions=True)

    async def _claim_due(self) -> None:
        free = self.policy.concurrency - len(self._busy)
        if free <= 0:
            return
        try:
            claimed = await self._queue.claim(self.channel, self._clock(), self.policy.lease_seconds, free)
        except RedisError as error:
            logger.warning("%s outbox unavailable: %s", self.channel, error)
            return
        for conversation in claimed:
            task = asyncio.create_task(self.drain(conversation))
            self._busy.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._busy.discard(task)
        # A freed slot may be what a due conversation waits for.
        self._queue.queued_signal(self.channel).set()

    async def drain(self, conversation: str) -> None:
        """Sends the conversation's messages in order until none is left or the channel says wait."""
        try:
            while await self._send_head(conversation):
                pass
        except RedisError as error:
            # The lease runs out and another attempt picks the conversation up.
            logger.warning("%s delivery to %s interrupted: %s", self.channel, conversation, error)

    async def _send_head(self, conversation: str) -> bool:
        """Sends the oldest message; True if another may be sent right away."""
        item, reachable = await self._queue.next_for(self.channel, conversation)
        now = self._clock()
        if item is None:
            return await self._queue.settle(self.channel, conversation, now + self.policy.lease_seconds)
        if now - item.queued_at > self.policy.deadline_seconds:
            return await self._give_up(item, "expired")
        if not reachable:
            return await self._give_up(item, "unreachable")
        wait = await self._pace(conversation, now)
        if wait > 0:
            await self._queue.postpone(self.channel, conversation, now + wait)
            return False
        try:
            await self._sender.send(conversation, item.message)
        except RetryLater as error:
            delay = error.seconds if error.seconds is not None else backoff_seconds(item.attempts)
            logger.warning("%s delivery to %s failed, retrying in %.0f s: %s", self.channel, conversation, delay, error)
            await self._queue.retry_at(self.channel, item, self._clock() + delay)
            return False
        except Unreachable as error:
            logger.info("%s customer %s is unreachable: %s", self.channel, conversation, error)
            await self._queue.mark_unreachable(conversation, str(error), self._clock())
            event = {"type": "unreachable", "conversation": conversation, "reason": str(error)}
            await self._report(conversation, event)
            return await self._give_up(item, "unreachable")
        except Rejected as error:
            logger.warning("%s refused a message to %s: %s", self.channel, conversation, error)
            return await self._give_up(item, "rejected")
        return await self._queue.done(self.channel, item, self._clock() + self.policy.lease_seconds)

    async def _pace(self, conversation: str, now: float) -> float:
        """0 if a message may go now, else how long the channel's limits ask to wait."""
        pacing = self._pacing
        if pacing is None:
            return 0.0
        limits = [(pacing.per_chat, pacing.per_chat_window_seconds), (pacing.overall, pacing.overall_window_seconds)]
        return await self._queue.take_slots(self.channel, conversation, limits, now)

    async def _give_up(self, item: Item, reason: str) -> bool:
        now = self._clock()
        await self._queue.mark_undelivered(item, reason, now)
        message_id = str(item.message.get("id") or item.id)
        event = {"type": "undelivered", "conversation": item.conversation, "message_id": message_id, "reason": reason}
        await self._report(item.conversation, event)
        return await self._queue.done(self.channel, item, now + self.policy.lease_seconds)
