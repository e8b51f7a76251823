"""Mail for email callbacks on a real Redis server and a real SMTP server (tests/mailbox.py).

A gateway process (no Rasa: callbacks are booked through the help desk directly, as the
gateway does when the bot asks for one) sends what is queued and serves the console. The
SMTP-outage test runs its own sender on another Redis database, with short waits.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from redis.asyncio import Redis

from bot.analytics import Analytics
from bot.console.mail import with_mail
from bot.delivery import Delivery
from bot.handoff import Desk
from bot.mail.mailroom import Mailroom
from bot.mail.sender import MailSender, RetryPolicy
from bot.rasa import RasaClient
from bot.settings import PROJECT_ROOT, Secret
from bot.store.activity import ActivityStore
from bot.store.callbacks import Callback, CallbackStore
from bot.store.deliveries import DeliveryQueue
from bot.store.feedback import FeedbackStore
from bot.store.handoffs import HandoffStore
from bot.store.languages import ConversationLanguages
from bot.store.mail_queue import MailQueue
from bot.store.notes import NoteStore
from bot.store.outbox import Outbox
from bot.store.presence import Presence
from bot.store.transcripts import TranscriptStore
from bot.store.users import UserStore
from bot.support import SupportConfig
from bot.texts import Texts
from support.mail import Mailer, MailSettings
from tests.integration.stack import free_port, wait_until
from tests.mailbox import LocalMailbox

pytestmark = pytest.mark.integration
SEOUL = ZoneInfo("Asia/Seoul")
TEXTS = Texts.load(PROJECT_ROOT / "domain.yml")
SENDER = "Maru <help@maru.example>"
PASSWORD = "integration-password"
BY_EMAIL = {
    "method": "message",
    "phone": None,
    "window_start": "2026-11-23T14:00:00+09:00",
    "window_end": "2026-11-23T16:00:00+09:00",
    "window_label": "Mon 23 Nov 14:00–16:00",
}


@pytest.fixture(scope="module")
def smtp() -> Iterator[LocalMailbox]:
    with LocalMailbox() as running:
        yield running


@pytest.fixture(scope="module")
def gateway(scratch_redis_url: str, smtp: LocalMailbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway process on the scratch Redis (database 0) that mails through ``smtp``; its URL."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "HF_HUB_OFFLINE": "1",
        "REDIS_URL": scratch_redis_url,
        # Nothing listens there: this gateway never needs the bot.
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "RASA_TOKEN": "mail-test-rasa-token-0123456789abcdef",
        "SESSION_SECRET": "mail-test-session-secret-0123456789abcdef",
        "GATEWAY_PORT": str(port),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": SENDER,
    }
    log_file = tmp_path_factory.mktemp("gateway") / "gateway.log"
    log = log_file.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway stopped: {log_file.read_text()[-2000:]}")
        return httpx.get(f"{url}/health", timeout=5).status_code in (200, 503)

    try:
        wait_until(ready, 60, "gateway")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture
async def redis(scratch_redis_url: str) -> AsyncIterator[Redis]:
    """The gateway's database; what a test left is removed, its mail and callbacks included."""
    client = Redis.from_url(scratch_redis_url)
    await client.flushdb()
    yield client
    await client.close(close_connection_pool=True)


@pytest.fixture
async def spare_redis(scratch_redis_url: str) -> AsyncIterator[Redis]:
    """Database 1 of the same server, which no gateway reads."""
    client = Redis.from_url(scratch_redis_url.removesuffix("/0") + "/1")
    await client.flushdb()
    yield client
    await client.close(close_connection_pool=True)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def desk_on(redis: Redis, http: httpx.AsyncClient) -> Desk:
    """The help desk as the gateway builds it, mailing through the queue in ``redis``."""
    outbox = Outbox(redis, redis)
    support = SupportConfig.load()
    return Desk(
        handoffs=HandoffStore(redis),
        presence=Presence(redis, 30),
        callbacks=CallbackStore(redis),
        notes=NoteStore(redis),
        delivery=Delivery(TranscriptStore(redis), outbox, DeliveryQueue(redis), time.time),
        outbox=outbox,
        rasa=RasaClient(http, "http://127.0.0.1:9", Secret("unused"), 1),
        texts=TEXTS,
        languages=ConversationLanguages(redis),
        config=support,
        analytics=Analytics(ActivityStore(redis), FeedbackStore(redis), time.time),
        clock=time.time,
        mail=Mailroom(MailQueue(redis), TEXTS, support.timezone, time.time),
    )


async def book(desk: Desk, conversation: str, language: str, email: str) -> Callback:
    """A customer queued for a person in ``language`` books a callback by email, as the bot asks the gateway."""
    await desk.request(conversation, "web", {"reason": "not_understood", "language": language})
    callback = await desk.schedule_callback(conversation, "web", {**BY_EMAIL, "email": email})
    assert callback is not None
    return callback


async def until(ready: Callable[[], bool], seconds: float = 20) -> None:
    """Waits until ``ready()`` is true; fails the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def by_recipient(mailbox: LocalMailbox, count: int) -> dict[str, Any]:
    """The first ``count`` messages that arrived, by their To address."""
    return {message["To"]: message for message in mailbox.wait_for(count, seconds=20)[:count]}


async def test_the_confirmation_arrives_in_the_conversations_language(
    gateway: str, redis: Redis, http: httpx.AsyncClient, smtp: LocalMailbox
) -> None:
    smtp.clear()
    desk = desk_on(redis, http)
    await book(desk, "web-mail-en", "en", "mina.kim@example.com")
    await book(desk, "web-mail-ko", "ko", "jiwoo.kang@example.com")

    # The gateway process's sender sends them.
    arrived = by_recipient(smtp, 2)
    english, korean = arrived["mina.kim@example.com"], arrived["jiwoo.kang@example.com"]
    assert english["From"] == SENDER
    assert english["Subject"] == "Maru customer support: we got your request"
    assert english.get_content() == (
        "Hello,\n\nThank you for contacting Maru. We got your request. "
        "Our assistant couldn't understand your question, so someone from our team will answer it.\n\n"
        "We will email you back between Mon 23 Nov 14:00 and 16:00 (Korean time, KST), and answer in the chat as well."
        f"\n\n{TEXTS.get('utter_mail_footer', 'en')}\n"
    )
    assert korean["Subject"] == "[마루] 상담 요청이 접수되었습니다"
    assert korean.get_content_charset() == "utf-8"
    assert korean.get_content() == (
        "안녕하세요, 고객님.\n\n마루에 문의해 주셔서 감사합니다. 요청이 접수되었습니다. "
        "챗봇이 문의 내용을 이해하지 못해, 상담원이 직접 답변드리겠습니다.\n\n"
        "11월 23일 (월) 14:00~16:00(한국 시간) 사이에 이 주소로 답변을 보내 드리고, 채팅으로도 답변드리겠습니다."
        f"\n\n{TEXTS.get('utter_mail_footer', 'ko')}\n"
    )
    # On the wire the Korean subject is an RFC 2047 encoded word, as plain 7-bit headers need.
    [raw_korean] = [raw for raw in smtp.raw_messages if b"jiwoo.kang@example.com" in raw]
    subject_line = next(line for line in raw_korean.split(b"\r\n") if line.startswith(b"Subject: "))
    assert subject_line.startswith(b"Subject: =?utf-8?b?")
    assert subject_line.isascii()


async def test_mail_an_instance_left_mid_send_is_sent_by_the_gateway_once_its_lease_ends(
    gateway: str, redis: Redis, http: httpx.AsyncClient, smtp: LocalMailbox
) -> None:
    smtp.clear()
    queue = MailQueue(redis)
    # The gateway's sender is asleep until its next poll; another instance takes the mail and stops.
    desk = desk_on(redis, http)
    callback = await book(desk, "web-mail-crash", "en", "mina.kim@example.com")
    [taken] = await queue.claim(time.time(), 2, 10)
    assert taken.callback == callback.id

    [arrived] = smtp.wait_for(1, seconds=20)

    assert arrived["Subject"] == "Maru customer support: we got your request"
    sent = await queue.get(taken.id)
    assert sent is not None
    assert (sent.state, sent.attempts) == ("sent", 1)


async def test_while_the_mail_server_is_down_the_mail_stays_queued_and_goes_once_it_is_back(
    spare_redis: Redis, http: httpx.AsyncClient
) -> None:
    mailbox = LocalMailbox()
    mailbox.start()
    port = mailbox.port
    mailbox.stop()
    desk = desk_on(spare_redis, http)
    queue = MailQueue(spare_redis)
    events: list[dict[str, Any]] = []

    async def notify(event: dict[str, Any]) -> None:
        events.append(event)

    mailer = Mailer(MailSettings("127.0.0.1", port, SENDER, starttls=False, timeout_seconds=5))
    policy = RetryPolicy(first_delay_seconds=0.2, max_delay_seconds=0.4, poll_seconds=0.05)
    sending = asyncio.create_task(MailSender(queue, mailer, notify, time.time, policy).run())
    try:
        callback = await book(desk, "web-mail-down", "en", "mina.kim@example.com")
        await until(lambda: len(events) >= 2)
        [waiting] = (await with_mail(callback, queue))["mails"]
        assert (waiting["kind"], waiting["state"]) == ("callback_booked", "queued")
        assert waiting["attempts"] >= 2
        assert waiting["last_error"].startswith("the connection to the mail server failed: ")
        assert waiting["sent_at"] is None

        mailbox.start(port)
        [arrived] = await asyncio.to_thread(mailbox.wait_for, 1, 10)
        assert arrived["Subject"] == "Maru customer support: we got your request"
        await until(lambda: events[-1]["event"] == "sent")
        [sent] = (await with_mail(callback, queue))["mails"]
        assert (sent["state"], sent["last_error"]) == ("sent", None)
        assert sent["attempts"] > waiting["attempts"]
        assert [e["event"] for e in events] == ["queued"] * (len(events) - 1) + ["sent"]
        assert len(mailbox.messages) == 1
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        mailbox.stop()


async def test_the_agents_reply_by_email_arrives_and_the_console_shows_it_sent(
    gateway: str, redis: Redis, http: httpx.AsyncClient, smtp: LocalMailbox
) -> None:
    await UserStore(redis).create("joon", "agent", PASSWORD, "Joon")
    desk = desk_on(redis, http)
    smtp.clear()
    callback = await book(desk, "web-mail-reply", "ko", "jiwoo.kang@example.com")
    smtp.wait_for(1, seconds=20)  # the confirmation
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as agent:
        (await agent.post("/console/login", json={"name": "joon", "password": PASSWORD})).raise_for_status()
        headers = {"X-CSRF-Token": (await agent.get("/console/api/me")).json()["csrf"]}
        queue = (await agent.get("/console/api/queue")).json()
        assert queue["mail"] == {"enabled": True, "failed": []}
        [listed] = [c for c in queue["callbacks"] if c["id"] == callback.id]
        assert [(m["kind"], m["state"]) for m in listed["mails"]] == [("callback_booked", "sent")]

        (await agent.post(f"/console/api/callbacks/{callback.id}/pick-up", headers=headers)).raise_for_status()
        answer = "주문하신 화병은 오늘 다시 발송했어요. 송장번호는 1234-5678입니다."
        email = f"/console/api/callbacks/{callback.id}/email"
        replied = await agent.post(email, json={"text": answer, "finish": False}, headers=headers)
        assert replied.status_code == 200
        assert replied.json()["state"] == "in_progress"

        [_, reply] = smtp.wait_for(2, seconds=20)
        assert (reply["To"], reply["Subject"]) == ("jiwoo.kang@example.com", "[마루] 문의하신 내용에 답변드립니다")
        assert reply.get_content() == (
            "안녕하세요, 고객님.\n\n마루 고객센터 Joon 상담원입니다. "
            f"채팅으로 남겨 주신 문의에 답변드립니다.\n\n{answer}"
            f"\n\n{TEXTS.get('utter_mail_footer', 'ko')}\n"
        )
        mails = await sent_mails(agent, callback.id, 2)
        assert [(m["kind"], m["state"], m["agent"]) for m in mails] == [
            ("callback_booked", "sent", None),
            ("callback_reply", "sent", "joon"),
        ]
        assert mails[1]["sent_at"] >= mails[1]["queued_at"]

        done = await agent.post(email, json={"text": "추가 안내드려요.", "finish": True}, headers=headers)
        assert (done.json()["state"], done.json()["note"]) == ("done", "answered by email")
        assert len(smtp.wait_for(3, seconds=20)) == 3
        refused = await agent.post(email, json={"text": "또 있어요.", "finish": False}, headers=headers)
        assert refused.status_code == 409


async def sent_mails(agent: httpx.AsyncClient, callback: str, count: int) -> list[dict[str, Any]]:
    """The callback's mail as the console API reports it, once ``count`` of them are sent."""
    deadline = time.monotonic() + 20
    while True:
        mails: list[dict[str, Any]] = (await agent.get(f"/console/api/callbacks/{callback}")).json()["mails"]
        if sum(m["state"] == "sent" for m in mails) >= count or time.monotonic() > deadline:
            return mails
        await asyncio.sleep(0.1)
