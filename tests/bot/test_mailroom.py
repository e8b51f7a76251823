"""The mail the gateway writes: callback confirmations, agents' replies and check-ins, in English and Korean."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import fakeredis
import pytest

from bot.handoff import REASONS
from bot.mail.mailroom import Mailroom
from bot.store.callbacks import Callback
from bot.store.mail_queue import Mail, MailQueue
from support.language import languages
from tests.bot.conftest import MONDAY_10AM, TEXTS, Clock

SEOUL = ZoneInfo("Asia/Seoul")
CALLBACK = Callback(
    id="cb1",
    conversation="web-a",
    channel="web",
    method="message",
    window_start="2026-11-23T14:00:00+09:00",
    window_end="2026-11-23T16:00:00+09:00",
    window_label="Today 14:00–16:00",
    due=0.0,
    created_at=0.0,
    email="mina.kim@example.com",
    reason="frustration",
    language="en",
)
KOREAN = replace(CALLBACK, language="ko", reason=None)


@pytest.fixture
def mailroom(redis: fakeredis.FakeAsyncRedis, clock: Clock) -> Mailroom:
    return Mailroom(MailQueue(redis), TEXTS, SEOUL, clock)


def footer(language: str) -> str:
    return "\n\n" + TEXTS.get("utter_mail_footer", language) + "\n"


async def test_an_english_confirmation_names_the_reason_and_the_whole_window(mailroom: Mailroom) -> None:
    mail = await mailroom.callback_booked(CALLBACK)

    assert mail.subject == "Maru customer support: we got your request"
    reason = TEXTS.get("utter_mail_reason_frustration", "en")
    assert mail.body == (
        f"Hello,\n\nThank you for contacting Maru. We got your request. {reason}\n\n"
        "We will email you back between Mon 23 Nov 14:00 and 16:00 (Korean time, KST), and answer in the chat as well."
        + footer("en")
    )
    assert (mail.to, mail.language, mail.kind, mail.callback, mail.conversation) == (
        "mina.kim@example.com",
        "en",
        "callback_booked",
        "cb1",
        "web-a",
    )
    assert (mail.state, mail.queued_at, mail.next_attempt_at) == ("queued", MONDAY_10AM, MONDAY_10AM)
    assert await mailroom.queue.get(mail.id) == mail


async def test_a_korean_confirmation_is_in_korean_and_a_missing_reason_reads_as_a_request(mailroom: Mailroom) -> None:
    mail = await mailroom.callback_booked(KOREAN)

    assert mail.subject == "[마루] 상담 요청이 접수되었습니다"
    assert mail.body == (
        "안녕하세요, 고객님.\n\n마루에 문의해 주셔서 감사합니다. 요청이 접수되었습니다. "
        "상담원 연결을 요청해 주셨습니다.\n\n"
        "11월 23일 (월) 14:00~16:00(한국 시간) 사이에 이 주소로 답변을 보내 드리고, 채팅으로도 답변드리겠습니다."
        + footer("ko")
    )


@pytest.mark.parametrize("reason", REASONS)
async def test_every_handoff_reason_has_its_sentence(mailroom: Mailroom, reason: str) -> None:
    for language in languages().codes:
        callback = replace(CALLBACK, reason=reason, language=language)
        mail = await mailroom.callback_booked(callback)
        assert TEXTS.get(f"utter_mail_reason_{reason}", language) in mail.body


async def test_the_agents_reply_is_wrapped_in_the_customers_language(mailroom: Mailroom) -> None:
    text = "Your refund of ₩32,000 went out today; it shows in 3 to 5 business days.\n{Order 10421}"
    english = await mailroom.callback_reply(CALLBACK, "joon", "Joon", text)
    korean = await mailroom.callback_reply(KOREAN, "joon", "Joon", "오늘 환불해 드렸어요.")

    assert (english.subject, english.kind, english.agent) == (
        "Maru customer support: the answer to your request",
        "callback_reply",
        "joon",
    )
    assert english.body == (
        "Hello,\n\nThis is Joon from Maru customer support, answering the request you left in our chat.\n\n"
        + text
        + footer("en")
    )
    assert korean.subject == "[마루] 문의하신 내용에 답변드립니다"
    assert korean.body == (
        "안녕하세요, 고객님.\n\n마루 고객센터 Joon 상담원입니다. "
        "채팅으로 남겨 주신 문의에 답변드립니다.\n\n오늘 환불해 드렸어요." + footer("ko")
    )


async def test_a_check_in_by_mail(mailroom: Mailroom) -> None:
    mail = await mailroom.check_in("web-b", "jiwoo.kang@example.com", "ko", "Mina")

    assert mail == Mail(
        mail.id, "jiwoo.kang@example.com", "[마루] 문의하신 문제는 잘 해결되셨나요?",
        TEXTS.get("utter_mail_check_in", "ko").format(agent="Mina") + footer("ko"),
        "ko", "check_in", "web-b", MONDAY_10AM, next_attempt_at=MONDAY_10AM,
    )  # fmt: skip
    assert mail.body.startswith("안녕하세요, 고객님.\n\nMina 상담원과 나누신 상담 건으로 다시 연락드립니다.")


async def test_a_callback_without_an_email_gets_no_mail(mailroom: Mailroom) -> None:
    with pytest.raises(ValueError, match="callback cb1 has no email address"):
        await mailroom.callback_booked(replace(CALLBACK, email=None))
    assert await mailroom.queue.of_conversation("web-a") == []
