"""Follow-ups agents take, answer and close, on fake Redis and a fixed clock."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import fakeredis
import pytest

from bot.delivery import Delivery
from bot.followups import FollowUpDesk, customer_label, due_after, promised_time
from bot.handoff import DeskError
from bot.mail.mailroom import Mailroom
from bot.store.deliveries import DeliveryQueue
from bot.store.followups import FollowUp, FollowUpStore
from bot.store.handoffs import Handoff, HandoffStore
from bot.store.identities import Identity, IdentityStore
from bot.store.mail_queue import Mail, MailQueue
from bot.store.outbox import Outbox
from bot.store.transcripts import TranscriptStore
from bot.store.users import User
from bot.support import SupportConfig
from tests.bot.conftest import MONDAY_10AM, TEXTS, Clock

SEOUL = ZoneInfo("Asia/Seoul")
YUNA = User("yuna", "agent", "Yuna")
MINA = User("mina", "agent", "Mina")


@pytest.fixture
def followups(redis: fakeredis.FakeAsyncRedis) -> FollowUpStore:
    return FollowUpStore(redis)


@pytest.fixture
def desk(redis: fakeredis.FakeAsyncRedis, followups: FollowUpStore, clock: Clock) -> FollowUpDesk:
    delivery = Delivery(TranscriptStore(redis), Outbox(redis, redis), DeliveryQueue(redis), clock)
    queue = MailQueue(redis)
    mail = Mailroom(queue, TEXTS, SEOUL, clock)
    return FollowUpDesk(followups, HandoffStore(redis), IdentityStore(redis), delivery, queue, clock, mail=mail)


async def filed(followups: FollowUpStore, conversation: str = "web-a", channel: str = "web") -> FollowUp:
    followup = FollowUp("", conversation, channel, "csat", 1, MONDAY_10AM, "late parcel", language="ko", due=1.0)
    return await followups.create(followup)


def test_the_due_time_is_the_next_business_days_close_as_the_customer_reads_it() -> None:
    opening = SupportConfig.load().opening
    due = due_after(opening, MONDAY_10AM)
    assert due == datetime(2026, 11, 24, 18, 0, tzinfo=SEOUL)
    assert (promised_time(due, "en"), promised_time(due, "ko")) == ("Tue 24 Nov 18:00 KST", "11월 24일 (화) 18:00 KST")


def test_a_customer_is_their_proven_name_else_a_guest_with_a_stable_code() -> None:
    assert customer_label(Identity("code", customer_id="c-1", name="Kim Minji"), "web-a") == "Kim Minji"
    assert customer_label(None, "web-a") == "Guest 530382"
    assert customer_label(Identity("order", order_number="1001"), "web-a") == "Guest 530382"
    assert customer_label(None, "web-b") == "Guest C3F5A8"


async def test_taking_makes_one_owner_and_gives_them_the_conversation(desk: FollowUpDesk, clock: Clock) -> None:
    followup = await filed(desk.followups)
    clock.now += 60
    taken = await desk.take(followup.id, YUNA)
    assert (taken.owner, taken.history) == ("yuna", [{"event": "taken", "agent": "yuna", "at": MONDAY_10AM + 60}])
    handoff = await desk.handoffs.get("web-a")
    assert handoff is not None
    assert (handoff.state, handoff.agent, handoff.reason, handoff.channel) == ("agent", "yuna", "follow_up", "web")
    assert handoff.context == {"language": "ko", "followup": followup.id, "rating": 1, "comment": "late parcel"}
    assert [h.conversation for h in await desk.handoffs.assigned()] == ["web-a"]
    with pytest.raises(DeskError, match="another agent has taken it"):
        await desk.take(followup.id, MINA)
    assert (await desk.take(followup.id, YUNA)).owner == "yuna"  # taking it again changes nothing


async def test_two_agents_taking_at_once_leave_exactly_one_owner(followups: FollowUpStore) -> None:
    followup = await filed(followups)
    results = await asyncio.gather(*(followups.take(followup.id, f"agent{n}", MONDAY_10AM) for n in range(8)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    stored = await followups.get(followup.id)
    assert stored is not None
    assert stored.owner == winners[0].owner
    assert len(stored.history) == 1


async def test_a_conversation_in_the_queue_is_not_taken_away_from_it(desk: FollowUpDesk, clock: Clock) -> None:
    followup = await filed(desk.followups)
    await desk.handoffs.enqueue(Handoff("web-a", "web", "customer_request", False, MONDAY_10AM))
    with pytest.raises(DeskError, match="waiting in the queue or with another agent"):
        await desk.take(followup.id, YUNA)
    released = await desk.followups.get(followup.id)
    assert released is not None
    assert released.owner == ""
    assert [e["event"] for e in released.history] == ["taken", "released"]
    queued = await desk.handoffs.get("web-a")
    assert queued is not None
    assert queued.state == "queued"


async def test_done_keeps_the_note_in_the_history_lists_it_and_gives_the_chat_back(
    desk: FollowUpDesk, clock: Clock
) -> None:
    followup = await filed(desk.followups)
    await desk.take(followup.id, YUNA)
    with pytest.raises(DeskError, match="another agent has it"):
        await desk.done(followup.id, MINA, "not mine")
    clock.now += 300
    closed = await desk.done(followup.id, YUNA, "Resent the parcel")
    assert (closed.state, closed.note, closed.done_by) == ("done", "Resent the parcel", "yuna")
    assert closed.history[-1] == {
        "event": "done",
        "agent": "yuna",
        "at": MONDAY_10AM + 300,
        "note": "Resent the parcel",
    }
    assert await desk.handoffs.get("web-a") is None
    assert await desk.followups.open() == []
    assert await desk.followups.done_list(10) == [closed]
    with pytest.raises(DeskError, match="done already"):
        await desk.done(followup.id, YUNA, "again")


async def test_done_lists_newest_first_and_rows_name_the_customer(
    desk: FollowUpDesk, clock: Clock, redis: fakeredis.FakeAsyncRedis
) -> None:
    first, second = await filed(desk.followups, "web-a"), await filed(desk.followups, "tg-7", "telegram")
    await IdentityStore(redis).record("tg-7", Identity("code", customer_id="c-7", name="Lee Jun"))
    await desk.done(first.id, YUNA, "one")
    clock.now += 1
    await desk.done(second.id, YUNA, "two")
    assert [f.id for f in await desk.followups.done_list(10)] == [second.id, first.id]
    assert [f.id for f in await desk.followups.done_list(1)] == [second.id]
    row = await desk.of_conversation("tg-7")
    assert row is not None
    assert (row["customer"], row["channel"], row["language"], row["score"]) == ("Lee Jun", "telegram", "ko", 1)
    assert (await desk.rows([first]))[0]["customer"] == "Guest 530382"
    assert await desk.of_conversation("web-none") is None


async def test_a_follow_up_stored_before_owners_reads_back(
    followups: FollowUpStore, redis: fakeredis.FakeAsyncRedis
) -> None:
    await redis.set(
        "followup:old",
        '{"id": "old", "conversation": "web-a", "channel": "web", "kind": "nps", "score": 3, "created_at": 1.0}',
    )
    old = await followups.get("old")
    assert old == FollowUp("old", "web-a", "web", "nps", 3, 1.0)
    assert (old.owner, old.history, old.due) == ("", [], 0.0)


async def test_answers_are_emailed_only_to_a_customer_who_left_an_address(desk: FollowUpDesk) -> None:
    followup = await filed(desk.followups)
    await desk.take(followup.id, YUNA)
    assert await desk.mail_reply("web-a", YUNA, "We resent it.") is None  # no address left: the chat only
    assert (await desk.row(followup))["contact_email"] is None

    booked = Mail("", "minji@example.com", "s", "b", "ko", "callback_booked", "web-a", MONDAY_10AM, "cb-1")
    await desk.mail_queue.enqueue(booked)
    assert (await desk.row(followup))["contact_email"] == "minji@example.com"
    assert await desk.mail_reply("web-a", MINA, "Not my follow-up") is None
    mail = await desk.mail_reply("web-a", YUNA, "We resent it.")
    assert mail is not None
    assert (mail.to, mail.kind, mail.language, mail.agent) == ("minji@example.com", "follow_up_reply", "ko", "yuna")
    assert mail.subject == TEXTS.get("utter_mail_follow_up_reply_subject", "ko")
    body = TEXTS.get("utter_mail_follow_up_reply", "ko").format(agent="Yuna", text="We resent it.")
    assert mail.body == f"{body}\n\n{TEXTS.get('utter_mail_footer', 'ko')}\n"

    mailroom, desk.mail = desk.mail, None
    assert await desk.mail_reply("web-a", YUNA, "no SMTP server") is None
    desk.mail = mailroom
    await desk.done(followup.id, YUNA, "resent")
    assert await desk.mail_reply("web-a", YUNA, "after Done") is None  # the chat is the bot's again
    assert len(await desk.mail_queue.of_conversation("web-a")) == 2
