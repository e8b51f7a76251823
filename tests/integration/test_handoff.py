"""Human handoff end to end: queue, two gateway instances, agents' rights, Telegram and restarts."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis

from bot.app import SWEEP_SECONDS
from bot.channels.web_client import WebCustomer
from bot.console.client import ConsoleAgent
from bot.store.callbacks import Callback, CallbackStore
from bot.store.handoffs import HANDLING_TIMES
from bot.store.presence import ONLINE
from bot.store.transcripts import Entry, TranscriptStore
from bot.store.users import UserStore
from bot.texts import Texts
from tests.integration.stack import ROOT, Stack, free_port, rasa_headers, wait_until
from tests.integration.telegram_double import BotApiDouble
from tests.integration.test_telegram_channel import post, replies_to, text_update

# A test that fails half-way must not leave its customer ahead of the next tests' in the queue.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("queue_left_as_found")]
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "integration-password"


@pytest.fixture(scope="module")
def users(stack: Stack) -> None:
    stack.add_user("mina", "agent", "Mina")
    stack.add_user("joon", "agent", "Joon")
    stack.add_user("sora", "editor", "Sora")


@pytest.fixture(scope="module")
def gateway_b(stack: Stack) -> Iterator[str]:
    port = free_port()
    stack.start_gateway(name="gateway_b", GATEWAY_PORT=str(port))
    yield f"http://127.0.0.1:{port}"
    stack.stop("gateway_b")


@pytest.fixture
def nobody_online(stack: Stack) -> None:
    """No console from an earlier test still counts as an agent online (presence lasts 30 s)."""
    redis.Redis.from_url(stack.redis_url).delete(ONLINE)


@pytest.fixture
async def mina(stack: Stack, users: None, gateway_b: str, nobody_online: None) -> AsyncIterator[ConsoleAgent]:
    agent = ConsoleAgent(gateway_b)
    await agent.login("mina", PASSWORD)
    yield agent
    await agent.close(log_out=True)


def text_of(name: str, **values: Any) -> str:
    return TEXTS.get(name).format(**values)


async def ask_for_a_person(customer: WebCustomer) -> list[dict[str, Any]]:
    await customer.connect()
    return await customer.say("can I speak to an agent")


async def test_customer_on_a_and_agent_on_b_talk_through_redis(stack: Stack, mina: ConsoleAgent) -> None:
    # No chats resolved recently: the estimate uses the default handling time, whatever earlier tests resolved.
    redis.Redis.from_url(stack.redis_url).delete(HANDLING_TIMES)
    await mina.open_socket()
    customer = WebCustomer(stack.gateway_url)
    turn = await ask_for_a_person(customer)
    assert [m["text"] for m in turn[-2:]] == [
        text_of("utter_handoff"),
        text_of("utter_handoff_queued", position=1, agents=1, minutes=6),
    ]
    assert turn[-1]["text"].startswith("You're number 1 in the queue. With 1 of our team online now")
    queued = await mina.wait_for(lambda e: e.get("event") == "queued")
    conversation = queued["conversation"]

    claimed = await mina.post(f"/console/api/conversations/{conversation}/claim")
    assert claimed.status_code == 200
    assert claimed.json()["agent"] == "mina"
    joined = await customer.next_event()
    assert (joined["role"], joined["text"]) == ("notice", text_of("utter_agent_joined", agent="Mina"))

    details = (await mina.http.get(f"/console/api/conversations/{conversation}")).json()
    assert details["handoff"]["context"]["summary"]["customer_said"] == ["can I speak to an agent"]
    assert [e["role"] for e in details["transcript"]][-3:] == ["bot", "bot", "notice"]

    await mina.post(f"/console/api/conversations/{conversation}/reply", {"text": "Hi, I'm Mina. How can I help?"})
    reply = await customer.next_event()
    assert (reply["role"], reply["agent"], reply["text"]) == ("agent", "Mina", "Hi, I'm Mina. How can I help?")

    await customer.send_raw('{"type": "message", "text": "my parcel 10421 is late"}')
    echoed = await customer.next_event()
    assert (echoed["role"], echoed["text"]) == ("customer", "my parcel 10421 is late")
    with pytest.raises(asyncio.TimeoutError):
        await customer.next_event(timeout=2)  # the bot stays silent while Mina owns the chat
    async with httpx.AsyncClient() as http:
        tracker = await http.get(f"{stack.rasa_url}/conversations/{conversation}/tracker", headers=rasa_headers())
    texts = [(e["event"], e.get("text")) for e in tracker.json()["events"] if e["event"] in ("user", "bot")]
    assert texts[-2:] == [("bot", "Hi, I'm Mina. How can I help?"), ("user", "my parcel 10421 is late")]

    resolved = await mina.post(f"/console/api/conversations/{conversation}/resolve")
    assert resolved.status_code == 200
    back = await customer.next_event()
    assert (back["role"], back["text"]) == ("notice", text_of("utter_agent_resolved", agent="Mina"))
    rating = await customer.next_event()
    assert rating["text"] == text_of("utter_csat_question_agent", agent="Mina")
    answer = await customer.say("how much is shipping?")
    assert answer[-1]["faq_id"] == "shipping_cost"
    await customer.close()


async def test_a_second_claim_of_the_same_chat_fails(stack: Stack, mina: ConsoleAgent, gateway_b: str) -> None:
    customer = WebCustomer(stack.gateway_url)
    await ask_for_a_person(customer)
    queue = (await mina.http.get("/console/api/queue")).json()
    conversation = queue["queued"][-1]["conversation"]
    joon = ConsoleAgent(stack.gateway_url)
    await joon.login("joon", PASSWORD)
    first, second = await asyncio.gather(
        mina.post(f"/console/api/conversations/{conversation}/claim"),
        joon.post(f"/console/api/conversations/{conversation}/claim"),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    loser = second if second.status_code == 409 else first
    assert "another agent may have claimed it" in loser.json()["error"]
    winner = mina if first.status_code == 200 else joon
    await winner.post(f"/console/api/conversations/{conversation}/resolve")
    await joon.close()
    await customer.close()


def console_routes() -> list[tuple[str, str]]:
    """Every console page and API route of the app, with a sample conversation id filled in."""
    from bot.app import create_app
    from bot.settings import Secret, Settings

    settings = Settings("redis://127.0.0.1:1/0", "http://127.0.0.1:1", Secret("t"), Secret("s"))
    app = create_app(settings, name="route_listing")
    routes = []
    for route in app.router.routes:
        path = "/" + route.path
        if not path.startswith("/console") or path in ("/console/login", "/console/socket") or "static" in path:
            continue
        sample = path.replace("<conversation:str>", "web-x").replace("<callback_id:str>", "abc")
        routes += [(method, sample) for method in route.methods if method != "HEAD"]
    return sorted(set(routes))


def test_every_console_route_needs_a_login_and_conversations_need_an_agent(
    stack: Stack, users: None, gateway_b: str
) -> None:
    routes = console_routes()
    assert len(routes) >= 15
    for method, path in routes:
        assert httpx.request(method, stack.gateway_url + path).status_code == 401, path
    with httpx.Client(base_url=stack.gateway_url) as editor:
        editor.post("/console/login", json={"name": "sora", "password": PASSWORD}).raise_for_status()
        csrf = editor.get("/console/api/me").json()["csrf"]
        for method, path in routes:
            if path.endswith(("/me", "/logout")):
                continue
            assert editor.request(method, path, headers={"X-CSRF-Token": csrf}).status_code == 403, path


def test_writes_without_the_csrf_token_and_customer_sessions_are_refused(stack: Stack, users: None) -> None:
    with httpx.Client(base_url=stack.gateway_url) as agent:
        agent.post("/console/login", json={"name": "mina", "password": PASSWORD}).raise_for_status()
        refused = agent.post("/console/api/conversations/web-x/claim")
        assert (refused.status_code, refused.json()["error"]) == (
            403,
            "The CSRF token is missing or wrong; reload the page.",
        )
        assert agent.post("/console/login", json={"name": "mina", "password": "wrong"}).status_code == 401
    with httpx.Client(base_url=stack.gateway_url) as customer:
        customer.post("/web/session").raise_for_status()
        assert customer.get("/console/api/conversations/web-x").status_code == 401
        assert customer.get("/console/api/queue").status_code == 401


async def test_telegram_customers_are_handed_off_and_hear_the_agent(
    stack: Stack, telegram: BotApiDouble, mina: ConsoleAgent
) -> None:
    post(stack, text_update(601, "can I speak to an agent"))
    queued = replies_to(telegram, 601, 3)
    assert queued[-1]["text"].startswith("You're number")
    await (await mina.post("/console/api/conversations/tg-601/claim")).aread()
    await mina.post("/console/api/conversations/tg-601/reply", {"text": "Hi Hana, <b>Mina</b> here"})
    sent = replies_to(telegram, 601, 5)
    assert sent[-2]["text"] == text_of("utter_agent_joined", agent="Mina")
    assert sent[-1]["text"] == "<b>Mina</b>\nHi Hana, &lt;b&gt;Mina&lt;/b&gt; here"
    post(stack, text_update(601, "thanks, it's about order 10421"))
    await asyncio.sleep(1.5)
    assert len(telegram.sent(chat_id=601)) == 5  # no bot answer while Mina has the chat
    await mina.post("/console/api/conversations/tg-601/resolve")
    back, rating = replies_to(telegram, 601, 7)[-2:]
    assert back["text"] == text_of("utter_agent_resolved", agent="Mina")
    assert rating["text"] == text_of("utter_csat_question_agent", agent="Mina")


async def test_a_queued_telegram_customer_hears_when_their_place_changes(
    stack: Stack, telegram: BotApiDouble, mina: ConsoleAgent
) -> None:
    post(stack, text_update(611, "can I speak to an agent"))
    replies_to(telegram, 611, 3)
    post(stack, text_update(612, "can I speak to an agent"))
    queued = replies_to(telegram, 612, 3)[-1]["text"]
    match = re.match(r"You're number (\d+) in the queue", queued)
    assert match is not None, queued
    await (await mina.post("/console/api/conversations/tg-611/claim")).aread()
    moved = replies_to(telegram, 612, 4)[-1]["text"]
    assert moved.startswith(f"An update on your wait: you're now number {int(match[1]) - 1} in the queue")
    await asyncio.sleep(SWEEP_SECONDS + 1)
    assert len(telegram.sent(chat_id=612)) == 4  # told once, not again by either gateway's sweep
    for conversation in ("tg-611", "tg-612"):
        await mina.post(f"/console/api/conversations/{conversation}/claim")
        await mina.post(f"/console/api/conversations/{conversation}/resolve")


async def test_with_nobody_online_a_callback_is_offered(stack: Stack, users: None, nobody_online: None) -> None:
    customer = WebCustomer(stack.gateway_url)
    turn = await ask_for_a_person(customer)
    offer = turn[-1]
    assert offer["text"].startswith("You're number")
    assert "call or message you back" in offer["text"]
    assert [b["payload"] for b in offer["buttons"]] == ["/request_callback", "/queue_wait", "/queue_leave"]
    waiting = await customer.press("/queue_wait")
    assert waiting[-1]["text"].startswith("Thanks for waiting. You're number")
    assert (await customer.press("/queue_leave"))[-1]["text"] == text_of("utter_queue_left")
    await customer.close()


async def test_a_phone_callback_is_booked_validated_and_picked_up(stack: Stack, users: None, gateway_b: str) -> None:
    customer = WebCustomer(stack.gateway_url)
    offer = (await ask_for_a_person(customer))[-1]
    assert offer["buttons"][0]["payload"] == "/request_callback"
    method = (await customer.press("/request_callback"))[-1]
    assert method["text"] == text_of("utter_ask_callback_method")
    assert (await customer.press("/callback_by_phone"))[-1]["text"] == text_of("utter_ask_callback_phone")
    ask_again = text_of("utter_ask_callback_phone")
    too_short = [m["text"] for m in await customer.say("123")]
    assert too_short == [text_of("utter_callback_phone_too_short"), ask_again]
    unknown_country = [m["text"] for m in await customer.say("+999 1234 5678")]
    assert unknown_country == [text_of("utter_callback_phone_country_code"), ask_again]
    windows = (await customer.say("010-1234-5678"))[-1]
    assert windows["text"] == text_of("utter_ask_callback_window")
    chosen = windows["buttons"][0]
    booked = (await customer.press(chosen["payload"]))[-1]
    assert booked["text"] == text_of("utter_callback_booked_phone", phone_end="5678", window=chosen["title"])

    agent = ConsoleAgent(gateway_b)
    await agent.login("joon", PASSWORD)
    queue = (await agent.http.get("/console/api/queue")).json()
    [callback] = [c for c in queue["callbacks"] if c["phone"] == "+821012345678" and c["state"] == "pending"]
    assert callback["window_label"] == chosen["title"]
    assert callback["reason"] == "customer_request"
    assert all(h["conversation"] != callback["conversation"] for h in queue["queued"])  # left the queue
    picked = await agent.post(f"/console/api/callbacks/{callback['id']}/pick-up")
    assert picked.json()["state"] == "in_progress"
    again = await agent.post(f"/console/api/callbacks/{callback['id']}/pick-up")
    assert again.status_code == 409
    notice = await customer.next_event()
    assert notice["text"] == text_of("utter_callback_calling", agent="Joon", phone_end="5678")
    done = await agent.post(f"/console/api/callbacks/{callback['id']}/done", {"note": "called, all sorted"})
    assert (done.json()["state"], done.json()["note"]) == ("done", "called, all sorted")
    await agent.close(log_out=True)
    await customer.close()


def contact_traces(entries: list[Entry], phone_digits: str, email_name: str) -> list[str]:
    """The texts, button titles and payloads of the entries that contain the phone number or the email."""
    fields = [field for e in entries for field in (e.text, *(v for button in e.buttons for v in button.values()))]
    return [f for f in fields if phone_digits in re.sub(r"\D", "", f) or email_name in f.casefold()]


async def book_a_callback(customer: WebCustomer, method: str, contact: str) -> tuple[str, str, list[str]]:
    """Asks for a person and books a callback by phone or message, leaving the phone number or email.

    Returns the confirmation, the window's title and what the customer sent as the widget shows it.
    """
    said = "can I speak to an agent"
    offer = (await ask_for_a_person(customer))[-1]
    request = offer["buttons"][0]
    assert request["payload"] == "/request_callback"
    question = (await customer.press(request["payload"]))[-1]
    assert question["text"] == text_of("utter_ask_callback_method")
    [chosen_method] = [b for b in question["buttons"] if b["payload"] == method]
    asked = "utter_ask_callback_phone" if method == "/callback_by_phone" else "utter_ask_callback_email"
    assert (await customer.press(method))[-1]["text"] == text_of(asked)
    windows = (await customer.say(contact))[-1]
    assert windows["text"] == text_of("utter_ask_callback_window")
    window = windows["buttons"][0]
    booked = (await customer.press(window["payload"]))[-1]
    return booked["text"], window["title"], [said, request["title"], chosen_method["title"], contact, window["title"]]


async def test_stored_transcripts_hide_a_callbacks_phone_and_email_that_its_record_keeps(
    stack: Stack, nobody_online: None
) -> None:
    by_phone, by_email = WebCustomer(stack.gateway_url), WebCustomer(stack.gateway_url)
    phone_booked, phone_window, phone_sent = await book_a_callback(by_phone, "/callback_by_phone", "010 9876 5432")
    assert phone_booked == text_of("utter_callback_booked_phone", phone_end="5432", window=phone_window)
    email_booked, email_window, email_sent = await book_a_callback(
        by_email, "/callback_by_message", "jiwoo.kang@example.com"
    )
    assert email_booked == text_of(
        "utter_callback_booked_message_email", masked_email="ji•••@example.com", window=email_window
    )
    await by_phone.close()
    await by_email.close()

    own = aioredis.Redis.from_url(stack.redis_url)
    try:
        ours = [
            c
            for c in await CallbackStore(own).open()
            if c.phone == "+821098765432" or c.email == "jiwoo.kang@example.com"
        ]
        records = {c.method: c for c in ours}
        assert len(ours) == 2
        assert (records["phone"].phone, records["phone"].email) == ("+821098765432", None)
        assert (records["message"].phone, records["message"].email) == (None, "jiwoo.kang@example.com")
        transcripts = TranscriptStore(own)
        phone_entries = await transcripts.read(records["phone"].conversation)
        email_entries = await transcripts.read(records["message"].conversation)
    finally:
        # from_url's pool is not closed by close() alone; a socket left open hangs the loop's close.
        await own.close(close_connection_pool=True)

    for entries, booked, sent, redacted in (
        (phone_entries, phone_booked, phone_sent, "[phone]"),
        (email_entries, email_booked, email_sent, "[email]"),
    ):
        assert [e.text for e in entries if e.role == "customer"] == [*sent[:3], redacted, sent[4]]
        assert booked in [e.text for e in entries if e.role == "bot"]
        assert contact_traces(entries, "1098765432", "jiwoo.kang") == []


async def test_a_wait_over_the_threshold_offers_a_callback(stack: Stack, mina: ConsoleAgent) -> None:
    recent = redis.Redis.from_url(stack.redis_url)
    recent.delete(HANDLING_TIMES)
    recent.lpush(HANDLING_TIMES, 600, 600, 600)  # agents recently needed 10 minutes per chat
    await mina.open_socket()
    first, second = WebCustomer(stack.gateway_url), WebCustomer(stack.gateway_url)
    assert (await ask_for_a_person(first))[-1]["text"] == text_of(
        "utter_handoff_queued", position=1, agents=1, minutes=10
    )
    offer = (await ask_for_a_person(second))[-1]
    assert offer["text"] == text_of("utter_handoff_queued_long_wait", position=2, minutes=20)
    assert [b["payload"] for b in offer["buttons"]] == ["/request_callback", "/queue_wait", "/queue_leave"]
    for customer in (first, second):
        assert (await customer.press("/queue_leave"))[-1]["text"] == text_of("utter_queue_left")
        await customer.close()


def accepts(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed; run 'make setup'"
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--appendonly", "yes",
               "--appendfsync", "always", "--save", ""]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    wait_until(lambda: accepts(port), 10, "redis")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


async def test_a_queued_handoff_and_a_pending_callback_survive_restarts(stack: Stack, tmp_path: Path) -> None:
    redis_port, gateway_port = free_port(), free_port()
    gateway = {"name": "gateway_r", "GATEWAY_PORT": str(gateway_port), "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    server = start_redis(redis_port, tmp_path)
    try:
        stack.start_gateway(**gateway)
        customer = WebCustomer(f"http://127.0.0.1:{gateway_port}")
        await ask_for_a_person(customer)
        await customer.close()
        own = aioredis.Redis(port=redis_port)
        await UserStore(own).create("mina", "agent", PASSWORD, "Mina")
        callback = await CallbackStore(own).create(
            Callback("", "tg-77", "telegram", "phone", "2026-11-24T09:00:00+09:00", "2026-11-24T11:00:00+09:00",
                     "Tomorrow 09:00–11:00", 1_795_000_000.0, 1.0, phone="+821012345678")
        )  # fmt: skip
        await own.close()

        stack.stop("gateway_r")
        stop(server)
        server = start_redis(redis_port, tmp_path)
        stack.start_gateway(**gateway)

        agent = ConsoleAgent(f"http://127.0.0.1:{gateway_port}")
        await agent.login("mina", PASSWORD)
        queue = (await agent.http.get("/console/api/queue")).json()
        await agent.close()
        assert [h["reason"] for h in queue["queued"]] == ["customer_request"]
        assert [(c["id"], c["state"]) for c in queue["callbacks"]] == [(callback.id, "pending")]
    finally:
        stack.stop("gateway_r")
        stop(server)
