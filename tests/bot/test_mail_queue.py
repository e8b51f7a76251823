"""The mail queue's states and leases on a real Redis server (claiming runs Lua, which fakeredis lacks)."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.store.mail_queue import DUE, FAILED, Mail, MailQueue

START = 1_800_000_000.0
LEASE = 300.0


def draft(conversation: str = "web-a", callback: str | None = "cb1", kind: str = "callback_booked") -> Mail:
    return Mail("", "mina@example.com", "Subject", "Body\n", "en", kind, conversation, START, callback)


@pytest.fixture
def queue(real_redis: Redis) -> MailQueue:
    return MailQueue(real_redis)


async def test_a_queued_mail_is_stored_and_due_at_once(queue: MailQueue, real_redis: Redis) -> None:
    mail = await queue.enqueue(draft())

    assert len(mail.id) == 16
    assert await queue.get(mail.id) == Mail(
        mail.id, "mina@example.com", "Subject", "Body\n", "en", "callback_booked", "web-a", START, "cb1",
        state="queued", attempts=0, next_attempt_at=START,
    )  # fmt: skip
    assert await real_redis.zscore(DUE, mail.id) == START
    assert queue.queued_signal().is_set()


async def test_a_claimed_mail_is_leased_and_claimed_again_when_its_sender_stopped(queue: MailQueue) -> None:
    mail = await queue.enqueue(draft())

    assert [m.id for m in await queue.claim(START, LEASE, 10)] == [mail.id]
    # Its sender stopped mid-send (a restart): nobody else takes it while the lease runs...
    assert await queue.claim(START + LEASE - 1, LEASE, 10) == []
    # ...and it is taken again, unchanged, once the lease ended.
    assert await queue.claim(START + LEASE, LEASE, 10) == [mail]


async def test_many_claims_at_once_take_each_mail_once(queue: MailQueue) -> None:
    queued = {(await queue.enqueue(draft(f"web-{n}"))).id for n in range(20)}

    claims = await asyncio.gather(*(queue.claim(START, LEASE, 3) for _ in range(10)))

    taken = [mail.id for claim in claims for mail in claim]
    assert sorted(taken) == sorted(queued)


async def test_a_sent_mail_is_never_claimed_again(queue: MailQueue, real_redis: Redis) -> None:
    mail = await queue.enqueue(draft())
    [claimed] = await queue.claim(START, LEASE, 10)

    sent = await queue.sent(claimed, START + 2)

    assert (sent.state, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 1, START + 2, None)
    assert await queue.get(mail.id) == sent
    assert await real_redis.zscore(DUE, mail.id) is None
    assert await queue.claim(START + 10 * LEASE, LEASE, 10) == []


async def test_a_retried_mail_counts_the_try_and_waits_until_its_time(queue: MailQueue) -> None:
    mail = await queue.enqueue(draft())
    [claimed] = await queue.claim(START, LEASE, 10)

    again = await queue.retry(claimed, "the connection to the mail server failed: refused", START + 30)

    stored = await queue.get(mail.id)
    assert stored == again
    assert (again.state, again.attempts, again.next_attempt_at) == ("queued", 1, START + 30)
    assert again.last_error == "the connection to the mail server failed: refused"
    assert await queue.claim(START + 29, LEASE, 10) == []
    assert await queue.claim(START + 30, LEASE, 10) == [again]


async def test_a_given_up_mail_is_listed_for_agents(queue: MailQueue, real_redis: Redis) -> None:
    older = await queue.enqueue(draft("web-a"))
    newer = await queue.enqueue(draft("web-b"))
    for mail, when in ((older, START + 10), (newer, START + 20)):
        await queue.give_up(mail, "the mail server refused the recipient: 550 no such user", when)

    failed = await queue.get(older.id)
    assert failed is not None
    assert (failed.state, failed.attempts, failed.failed_at) == ("failed", 1, START + 10)
    assert [m.id for m in await queue.failed_since(START)] == [newer.id, older.id]
    assert [m.id for m in await queue.failed_since(START + 15)] == [newer.id]
    assert await real_redis.zcard(DUE) == 0


async def test_a_conversations_mail_is_listed_by_callback(queue: MailQueue) -> None:
    booked = await queue.enqueue(draft(callback="cb1"))
    await queue.enqueue(draft(callback="cb2", kind="callback_reply"))
    check_in = await queue.enqueue(draft(callback=None, kind="check_in"))

    assert [m.id for m in await queue.of_callback("web-a", "cb1")] == [booked.id]
    assert [m.kind for m in await queue.of_conversation("web-a")] == ["callback_booked", "callback_reply", "check_in"]
    assert (await queue.of_conversation("web-a"))[-1] == check_in
    assert await queue.of_conversation("web-other") == []


async def test_forgetting_a_conversation_erases_its_mail_even_mid_send(queue: MailQueue, real_redis: Redis) -> None:
    kept = await queue.enqueue(draft("web-b"))
    erased = await queue.enqueue(draft("web-a"))
    failed = await queue.give_up(await queue.enqueue(draft("web-a")), "refused", START)
    [first, second] = sorted(await queue.claim(START, LEASE, 10), key=lambda m: m.conversation)

    await queue.forget("web-a")
    # A send that was under way when the customer deleted their data does not bring the mail back.
    await queue.sent(first, START + 1)

    assert await queue.get(erased.id) is None
    assert await queue.get(failed.id) is None
    assert await queue.of_conversation("web-a") == []
    assert await real_redis.zscore(FAILED, failed.id) is None
    assert await queue.get(kept.id) == second
    assert await queue.claim(START + LEASE, LEASE, 10) == [second]


async def test_mail_erased_while_due_is_dropped_from_the_queue(queue: MailQueue, real_redis: Redis) -> None:
    mail = await queue.enqueue(draft())
    await real_redis.delete(f"mail:{mail.id}")

    assert await queue.claim(START, LEASE, 10) == []
    assert await real_redis.zscore(DUE, mail.id) is None
