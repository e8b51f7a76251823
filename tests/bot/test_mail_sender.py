"""The mail sender's retry decisions, and its loop against a real Redis server and a real SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.mail.sender import MailSender, RetryPolicy
from bot.observability.metrics import GatewayMetrics
from bot.store.mail_queue import Mail, MailQueue
from support.mail import Mailer, MailSettings
from tests.mailbox import LocalMailbox

START = 1_800_000_000.0
DAY = 24 * 3600.0
POLICY = RetryPolicy()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def draft(to: str = "mina@example.com") -> Mail:
    return Mail("", to, "Your request", "Hello\n", "en", "callback_booked", "web-a", START, "cb1")


def mailer_on(port: int) -> Mailer:
    return Mailer(MailSettings("127.0.0.1", port, "Maru <help@maru.example>", starttls=False, timeout_seconds=5))


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def mailbox() -> Iterator[LocalMailbox]:
    with LocalMailbox() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def queue(real_redis: Redis) -> MailQueue:
    return MailQueue(real_redis)


def sender_for(queue: MailQueue, mailer: Mailer, clock: Clock, events: list[dict[str, Any]]) -> MailSender:
    async def notify(event: dict[str, Any]) -> None:
        events.append(event)

    return MailSender(queue, mailer, notify, clock)


# --- the decisions --------------------------------------------------------------------------------


def test_the_wait_doubles_from_30_seconds_up_to_an_hour() -> None:
    assert [POLICY.delay(failures) for failures in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert POLICY.delay(5000) == 3600


def test_the_next_try_follows_the_failures_so_far() -> None:
    mail = draft()
    assert POLICY.next_attempt(mail, START, permanent=False) == START + 30
    assert POLICY.next_attempt(replace(mail, attempts=3), START + 500, permanent=False) == START + 500 + 240


def test_the_last_try_is_a_day_after_the_mail_was_queued_then_it_is_given_up() -> None:
    late = replace(draft(), attempts=30)
    assert POLICY.next_attempt(late, START + DAY - 600, permanent=False) == START + DAY
    assert POLICY.next_attempt(late, START + DAY, permanent=False) is None


def test_a_permanent_refusal_is_given_up_at_once() -> None:
    assert POLICY.next_attempt(draft(), START, permanent=True) is None


# --- the loop ----------------------------------------------------------------------------------------


async def test_a_due_mail_is_sent_and_agents_are_told(
    queue: MailQueue, mailbox: LocalMailbox, clock: Clock, events: list[dict[str, Any]]
) -> None:
    sender = sender_for(queue, mailer_on(mailbox.port), clock, events)
    mail = await queue.enqueue(draft())
    clock.now += 1

    assert await sender.send_due() == 1

    [arrived] = mailbox.wait_for(1, seconds=5)
    assert (arrived["To"], arrived["Subject"], arrived.get_content()) == ("mina@example.com", "Your request", "Hello\n")
    sent = await queue.get(mail.id)
    assert sent is not None
    assert (sent.state, sent.attempts, sent.sent_at) == ("sent", 1, START + 1)
    assert events == [{"type": "mail", "event": "sent", "mail": mail.id, "callback": "cb1", "conversation": "web-a"}]
    assert await sender.send_due() == 0


async def test_while_the_server_is_down_the_mail_waits_longer_each_time_then_fails(
    queue: MailQueue, clock: Clock, events: list[dict[str, Any]]
) -> None:
    sender = sender_for(queue, mailer_on(unused_port()), clock, events)
    mail = await queue.enqueue(draft())
    tries = []
    for _ in range(4):
        assert await sender.send_due() == 1
        stored = await queue.get(mail.id)
        assert stored is not None
        tries.append((stored.state, stored.attempts, stored.next_attempt_at - clock.now))
        clock.now = stored.next_attempt_at
    assert tries == [("queued", 1, 30), ("queued", 2, 60), ("queued", 3, 120), ("queued", 4, 240)]
    waiting = await queue.get(mail.id)
    assert waiting is not None
    assert str(waiting.last_error).startswith("the connection to the mail server failed: ")

    clock.now = START + DAY
    assert await sender.send_due() == 1

    failed = await queue.get(mail.id)
    assert failed is not None
    assert (failed.state, failed.attempts, failed.failed_at) == ("failed", 5, START + DAY)
    assert [m.id for m in await queue.failed_since(START)] == [mail.id]
    assert [e["event"] for e in events] == ["queued", "queued", "queued", "queued", "failed"]


async def test_a_refused_recipient_is_given_up_at_the_first_try(
    queue: MailQueue, mailbox: LocalMailbox, clock: Clock, events: list[dict[str, Any]]
) -> None:
    mailbox.refuse_recipients(True)
    sender = sender_for(queue, mailer_on(mailbox.port), clock, events)
    mail = await queue.enqueue(draft())

    await sender.send_due()

    failed = await queue.get(mail.id)
    assert failed is not None
    assert (failed.state, failed.attempts) == ("failed", 1)
    assert failed.last_error == "the mail server refused the recipient: 550 5.1.1 mailbox unavailable"
    assert mailbox.messages == []


async def test_a_malformed_address_is_given_up_without_reaching_the_server(
    queue: MailQueue, mailbox: LocalMailbox, clock: Clock, events: list[dict[str, Any]]
) -> None:
    sender = sender_for(queue, mailer_on(mailbox.port), clock, events)
    mail = await queue.enqueue(draft(to="mina@example.com\r\nBcc: eve@example.com"))

    await sender.send_due()

    failed = await queue.get(mail.id)
    assert failed is not None
    assert (failed.state, failed.last_error) == ("failed", "the recipient is not a valid mail address")
    assert mailbox.messages == []


async def test_the_running_loop_sends_what_this_instance_queues_without_waiting_for_the_poll(
    queue: MailQueue, mailbox: LocalMailbox, clock: Clock, events: list[dict[str, Any]]
) -> None:
    sender = sender_for(queue, mailer_on(mailbox.port), clock, events)
    running = asyncio.create_task(sender.run())
    try:
        await asyncio.sleep(0.1)  # the loop found nothing and waits for the 5-second poll
        await queue.enqueue(draft())
        for _ in range(100):
            if mailbox.messages:
                break
            await asyncio.sleep(0.02)
        assert [m["Subject"] for m in mailbox.messages] == ["Your request"]
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_a_mail_the_mailer_cant_even_build_counts_as_a_failed_try(
    queue: MailQueue, mailbox: LocalMailbox, clock: Clock, events: list[dict[str, Any]]
) -> None:
    sender = sender_for(queue, mailer_on(mailbox.port), clock, events)
    # A line break in a subject (a response edited wrongly) makes the mail library refuse the header.
    mail = await queue.enqueue(replace(draft(), subject="Your request\nBcc: eve@example.com"))

    assert await sender.send_due() == 1

    stored = await queue.get(mail.id)
    assert stored is not None
    assert (stored.state, stored.attempts, stored.last_error) == ("queued", 1, "unexpected error: ValueError")
    assert stored.next_attempt_at == START + 30
    assert mailbox.messages == []


async def test_each_try_is_counted_for_the_operators_by_kind_and_outcome(
    queue: MailQueue, mailbox: LocalMailbox, clock: Clock
) -> None:
    metrics = GatewayMetrics()

    async def notify(_: dict[str, Any]) -> None:
        """Consoles are not watched here."""

    down = MailSender(queue, mailer_on(unused_port()), notify, clock, metrics=metrics)
    mail = await queue.enqueue(draft())
    await down.send_due()
    waiting = await queue.get(mail.id)
    assert waiting is not None
    clock.now = waiting.next_attempt_at
    await MailSender(queue, mailer_on(mailbox.port), notify, clock, metrics=metrics).send_due()

    def tries(outcome: str) -> float | None:
        return metrics.registry.get_sample_value(
            "maru_mail_attempts_total", {"kind": "callback_booked", "outcome": outcome}
        )

    assert (tries("retry"), tries("sent"), tries("failed")) == (1.0, 1.0, 0.0)
