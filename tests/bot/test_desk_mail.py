"""What the help desk mails: the email callback's confirmation, the agent's reply, and the emailed check-in."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import fakeredis
import pytest

from bot.handoff import EMAILED_NOTE, Desk, DeskError
from bot.mail.mailroom import Mailroom
from bot.store.handoffs import Handoff
from bot.store.mail_queue import MailQueue
from bot.store.users import User
from bot.surveys import Surveys
from tests.bot.conftest import TEXTS, Clock
from tests.bot.test_surveys import make_surveys

SEOUL = ZoneInfo("Asia/Seoul")
JOON, MINA = User("joon", "agent", "Joon"), User("mina", "agent", "Mina")
BY_EMAIL = {
    "method": "message",
    "phone": None,
    "email": "mina.kim@example.com",
    "window_start": "2026-11-23T14:00:00+09:00",
    "window_end": "2026-11-23T16:00:00+09:00",
    "window_label": "Today 14:00–16:00",
}
BY_PHONE = {**BY_EMAIL, "method": "phone", "phone": "+821012345678", "email": None}


@pytest.fixture
def mailroom(redis: fakeredis.FakeAsyncRedis, clock: Clock) -> Mailroom:
    return Mailroom(MailQueue(redis), TEXTS, SEOUL, clock)


@pytest.fixture
def mailing_desk(desk: Desk, mailroom: Mailroom) -> Desk:
    return replace(desk, mail=mailroom)


async def test_an_email_callback_is_confirmed_by_mail_in_the_conversations_language(
    mailing_desk: Desk, mailroom: Mailroom
) -> None:
    await mailing_desk.request("web-ko", "web", {"reason": "frustration", "language": "ko"})
    english = await mailing_desk.schedule_callback("web-en", "web", BY_EMAIL)
    korean = await mailing_desk.schedule_callback("web-ko", "web", BY_EMAIL)
    assert english is not None
    assert korean is not None

    [to_english] = await mailroom.queue.of_callback("web-en", english.id)
    [to_korean] = await mailroom.queue.of_callback("web-ko", korean.id)
    assert (to_english.kind, to_english.language, to_english.to, to_english.state) == (
        "callback_booked",
        "en",
        "mina.kim@example.com",
        "queued",
    )
    assert to_english.subject == TEXTS.get("utter_mail_callback_booked_subject", "en")
    assert (to_korean.language, to_korean.subject) == ("ko", "[마루] 상담 요청이 접수되었습니다")
    assert TEXTS.get("utter_mail_reason_frustration", "ko") in to_korean.body


async def test_a_phone_callback_mails_nothing(mailing_desk: Desk, mailroom: Mailroom) -> None:
    callback = await mailing_desk.schedule_callback("web-a", "web", BY_PHONE)
    assert callback is not None
    assert await mailroom.queue.of_conversation("web-a") == []


async def test_without_mail_configured_an_email_callback_is_kept_without_mail(desk: Desk, mailroom: Mailroom) -> None:
    callback = await desk.schedule_callback("web-a", "web", BY_EMAIL)
    assert callback is not None
    assert [c.id for c in await desk.callbacks.open()] == [callback.id]
    assert await mailroom.queue.of_conversation("web-a") == []
    await desk.pick_up_callback(callback.id, JOON)
    with pytest.raises(DeskError, match="mail is not configured"):
        await desk.email_callback(callback.id, JOON, "Your refund went out.", finish=False)


async def test_the_agent_who_picked_up_answers_by_mail_and_keeps_or_closes_the_callback(
    mailing_desk: Desk, mailroom: Mailroom
) -> None:
    callback = await mailing_desk.schedule_callback("web-a", "web", BY_EMAIL)
    assert callback is not None
    with pytest.raises(DeskError, match="pick up this callback"):
        await mailing_desk.email_callback(callback.id, JOON, "Your refund went out.", finish=False)
    await mailing_desk.pick_up_callback(callback.id, JOON)
    with pytest.raises(DeskError, match="pick up this callback"):
        await mailing_desk.email_callback(callback.id, MINA, "Your refund went out.", finish=False)

    kept, reply = await mailing_desk.email_callback(callback.id, JOON, "Your refund went out.", finish=False)
    closed, follow_up = await mailing_desk.email_callback(callback.id, JOON, "It shows in 3 days.", finish=True)

    assert (kept.state, closed.state, closed.note) == ("in_progress", "done", EMAILED_NOTE)
    assert (reply.kind, reply.agent, reply.callback) == ("callback_reply", "joon", callback.id)
    assert reply.body.startswith(TEXTS.get("utter_mail_callback_reply", "en").format(agent="Joon", text=""))
    assert "Your refund went out." in reply.body
    mails = await mailroom.queue.of_callback("web-a", callback.id)
    assert [m.kind for m in mails] == ["callback_booked", "callback_reply", "callback_reply"]
    assert mails[-1] == follow_up
    with pytest.raises(DeskError, match="pick up this callback"):
        await mailing_desk.email_callback(callback.id, JOON, "One more thing.", finish=False)


async def test_a_callback_without_an_email_is_not_answered_by_mail(mailing_desk: Desk) -> None:
    callback = await mailing_desk.schedule_callback("web-a", "web", BY_PHONE)
    assert callback is not None
    await mailing_desk.pick_up_callback(callback.id, JOON)
    with pytest.raises(DeskError, match="no email address"):
        await mailing_desk.email_callback(callback.id, JOON, "Hello", finish=False)


async def test_picking_up_a_message_callback_keeps_its_language_and_email_with_the_chat(mailing_desk: Desk) -> None:
    await mailing_desk.request("web-ko", "web", {"reason": "frustration", "language": "ko"})
    callback = await mailing_desk.schedule_callback("web-ko", "web", BY_EMAIL)
    assert callback is not None
    await mailing_desk.pick_up_callback(callback.id, JOON)

    handoff = await mailing_desk.handoffs.get("web-ko")
    assert handoff is not None
    assert (handoff.state, handoff.agent, handoff.reason) == ("agent", "joon", "frustration")
    assert handoff.context == {"language": "ko", "callback": callback.id, "contact_email": "mina.kim@example.com"}


async def test_deleting_the_customers_data_erases_their_mail(mailing_desk: Desk, mailroom: Mailroom) -> None:
    await mailing_desk.schedule_callback("web-a", "web", BY_EMAIL)
    await mailing_desk.schedule_callback("web-b", "web", BY_EMAIL)
    await mailing_desk.forget("web-a")
    assert await mailroom.queue.of_conversation("web-a") == []
    assert len(await mailroom.queue.of_conversation("web-b")) == 1


# --- the check-in ------------------------------------------------------------------------------------


@pytest.fixture
def surveys(redis: fakeredis.FakeAsyncRedis, clock: Clock, mailroom: Mailroom) -> Surveys:
    return replace(make_surveys(redis, clock, chance=0.1), mail=mailroom)  # type: ignore[arg-type]


async def test_a_customer_who_left_an_email_gets_the_check_in_by_mail_too(
    surveys: Surveys, clock: Clock, mailroom: Mailroom
) -> None:
    clock.now = datetime(2026, 11, 27, 17, 0, tzinfo=SEOUL).timestamp()  # Friday afternoon
    context = {"language": "ko", "callback": "cb1", "contact_email": "jiwoo.kang@example.com"}
    emailed = Handoff("web-d", "web", "customer_request", False, clock.now, context=context)
    await surveys.after_agent(emailed, "mina", "Mina")
    chat_only = Handoff("web-e", "web", "frustration", False, clock.now, context={"language": "en"})
    await surveys.after_agent(chat_only, "mina", "Mina")
    clock.now = datetime(2026, 11, 28, 10, 0, tzinfo=SEOUL).timestamp()  # Saturday opens at 10:00

    await surveys.sweep()

    check_in = TEXTS.get("utter_check_in", "ko").format(agent="Mina")
    assert (await surveys.transcripts.read("web-d"))[-1].text == check_in
    [mail] = await mailroom.queue.of_conversation("web-d")
    assert (mail.kind, mail.to, mail.language) == ("check_in", "jiwoo.kang@example.com", "ko")
    assert mail.queued_at == clock.now
    assert mail.subject == TEXTS.get("utter_mail_check_in_subject", "ko")
    # Without an email left for a callback, the chat is the only way the check-in goes.
    assert (await surveys.transcripts.read("web-e"))[-1].text == TEXTS.get("utter_check_in", "en").format(agent="Mina")
    assert await mailroom.queue.of_conversation("web-e") == []
