"""The web channel through the real gateway, Rasa and Redis."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time

import httpx
import pytest
from websockets.client import connect
from websockets.exceptions import ConnectionClosed

from bot.channels.web_client import WebCustomer
from bot.texts import Texts
from knowledge import KnowledgeBase
from tests.integration.stack import ROOT, Stack, conversation_of, free_port, handoff_of

pytestmark = pytest.mark.integration


def texts(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["text"]) for m in messages]


def test_health_reports_redis_rasa_and_the_telegram_channel(stack: Stack) -> None:
    response = httpx.get(f"{stack.gateway_url}/health", timeout=5)
    report = response.json()
    assert (response.status_code, report["status"], report["redis"], report["rasa"]) == (200, "ok", True, True)
    telegram = report["channels"]["telegram"]
    assert (telegram["mode"], telegram["alive"], telegram["polling_restarts"]) == ("webhook", True, 0)
    assert time.time() - telegram["last_api_ok"] < 600
    assert set(telegram["outbox"]) == {"waiting", "conversations", "oldest_seconds"}


async def test_faq_answer_and_history_after_reconnect(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    assert await customer.connect() == []
    greeting = await customer.say("hello")
    assert texts(greeting)[1].startswith("Hi, I'm Maru's assistant.")
    answer = await customer.say("what do you charge for postage")
    expected = KnowledgeBase.load(ROOT / "data" / "knowledge").get("shipping_cost", "en")
    assert expected is not None
    assert texts(answer) == [expected.answer]
    assert answer[0]["faq_id"] == "shipping_cost"
    await customer.close()

    returning = WebCustomer(stack.gateway_url, customer.session_token)
    history = await returning.connect()
    assert [(m["role"], m["text"]) for m in history][-2:] == [
        ("customer", "what do you charge for postage"),
        ("bot", expected.answer),
    ]
    await returning.close()


async def test_button_press_sends_its_payload(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    question = await customer.say("delete my data")
    buttons = question[-1]["buttons"]
    assert [b["title"] for b in buttons] == ["Yes, delete my data", "No, keep it"]
    assert texts(await customer.press(buttons[1]["payload"])) == ["OK, I haven't deleted anything."]
    await customer.close()


async def test_delete_my_data_also_erases_the_transcript(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    await customer.say("hello")
    question = await customer.say("delete my data")
    done = await customer.press(question[-1]["buttons"][0]["payload"])
    assert texts(done) == [
        "Done. I've deleted this conversation and your profile. If you write again, we'll start fresh."
    ]
    await customer.close()
    assert await WebCustomer(stack.gateway_url, customer.session_token).connect() == []


async def test_forged_payload_and_broken_frames_get_clear_errors(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    assert texts(await customer.press('/request_human{"handoff_reason": "frustration"}')) == [
        "That button is no longer active. Please type your question instead."
    ]
    await customer.send_raw("{not json")
    assert (await customer.next_event())[
        "text"
    ] == "Sorry, that message didn't come through properly. Could you send it again?"
    await customer.send_raw('{"type": "launch_missiles"}')
    assert (await customer.next_event())["text"].startswith("Sorry, that message didn't come through")
    await customer.close()


# Found by scripts/fuzz_gateway.py: deep nesting closed the socket on a RecursionError, and a lone
# surrogate (here in the client id) on an encoding error in Redis.
@pytest.mark.parametrize(
    "frame", ["[" * 100_000 + "]" * 100_000, '{"type": "message", "text": "hello", "client_id": "\\ud800"}']
)
async def test_a_frame_the_gateway_cant_read_gets_the_clear_error_and_the_socket_stays_open(
    stack: Stack, frame: str
) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    await customer.send_raw(frame)
    assert (await customer.next_event())["text"] == (
        "Sorry, that message didn't come through properly. Could you send it again?"
    )
    assert await customer.say("hello")
    await customer.close()


# Found by scripts/fuzz_gateway.py: Sanic 21.12 with websockets 10 answered these with a 500 and a traceback.
@pytest.mark.parametrize("path", ["/web/socket", "/console/socket"])
def test_a_socket_route_asked_without_a_handshake_says_what_it_needs(stack: Stack, path: str) -> None:
    response = httpx.get(stack.gateway_url + path, timeout=10)
    assert (response.status_code, response.headers["upgrade"], response.text) == (
        426,
        "websocket",
        "Failed to open a WebSocket connection: invalid Connection header: keep-alive. "
        "This address needs a WebSocket client.",
    )


async def test_empty_and_oversized_messages_are_refused_clearly(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    await customer.send_raw('{"type": "message", "text": "   "}')
    assert (await customer.next_event())["text"] == "I didn't get any text there. What can I help you with?"
    await customer.send_raw('{"type": "message", "text": "' + "x" * 5000 + '"}')
    assert (await customer.next_event())["text"].startswith("That message is too long for me to read in one go.")
    await customer.close()


async def test_html_is_stored_and_sent_as_text(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    await customer.say("<img src=x onerror=alert(1)>")
    await customer.close()
    history = await WebCustomer(stack.gateway_url, customer.session_token).connect()
    assert history[0] == {**history[0], "role": "customer", "text": "<img src=x onerror=alert(1)>"}


async def test_contact_details_are_redacted_in_the_transcript(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    await customer.say("my email is mina.kim@example.com and card 4111 1111 1111 1111, phone 010-2345-6789")
    await customer.close()
    history = await WebCustomer(stack.gateway_url, customer.session_token).connect()
    assert history[0]["text"] == "my email is [email] and card [card], phone [phone]"


async def test_socket_without_a_valid_session_is_closed(stack: Stack) -> None:
    url = stack.gateway_url.replace("http", "ws", 1) + "/web/socket"
    async with connect(url, extra_headers={"Cookie": "maru_session=forged.value"}) as socket_:
        with pytest.raises(ConnectionClosed) as closed:
            await socket_.recv()
    assert closed.value.code == 4401


def test_session_ids_are_random_and_not_in_urls(stack: Stack) -> None:
    first = httpx.post(f"{stack.gateway_url}/web/session", timeout=5)
    second = httpx.post(f"{stack.gateway_url}/web/session", timeout=5)
    assert first.cookies["maru_session"] != second.cookies["maru_session"]
    assert "httponly" in first.headers["set-cookie"].lower()


async def test_rate_limit_per_conversation(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    replies = [texts(await customer.say("thanks")) for _ in range(21)]
    assert replies[-1] == [
        "You're sending messages faster than I can read them. Please wait a moment, then send your question again."
    ]
    assert all(r != replies[-1] for r in replies[:20])
    await customer.close()


def _blackhole() -> socket.socket:
    """A port that accepts connections and never answers, like a hung Rasa."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    return listener


BOT_TROUBLE = (
    "Sorry, we're having technical trouble and I can't answer that right now. A person from our team can take "
    'over here: choose "Talk to a person" or just ask for one. You can also try again in a few minutes.'
)
TALK_TO_PERSON = {"title": "Talk to a person", "payload": "/talk_to_person"}
TROUBLE = (
    "Sorry, we're having technical trouble and I can't answer right now. Please try again in a few minutes, "
    "or reach our team at help@maru.example or 1588-0123 (Mon-Fri 09:00-18:00, Sat 10:00-14:00 KST)."
)


@pytest.mark.usefixtures("queue_left_as_found")
@pytest.mark.parametrize("rasa", ["hung", "stopped"])
async def test_rasa_down_gives_the_trouble_message_within_two_seconds_and_a_person_on_request(
    stack: Stack, rasa: str
) -> None:
    hung = _blackhole()
    port = free_port()
    rasa_port = hung.getsockname()[1] if rasa == "hung" else free_port()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    stack.start_gateway(name="gateway-no-rasa", GATEWAY_PORT=str(port), RASA_URL=rasa_url, TELEGRAM_TOKEN="")
    try:
        customer = WebCustomer(f"http://127.0.0.1:{port}")
        await customer.connect()
        started = time.monotonic()
        await customer.send_raw(json.dumps({"type": "message", "text": "where is my order"}))
        apology = await customer.next_message(role="bot", timeout=10)
        assert time.monotonic() - started < 2.5
        assert (apology["text"], apology["buttons"]) == (BOT_TROUBLE, [TALK_TO_PERSON])
        assert await customer.bot_turn(timeout=10) == []  # the typing indicator goes off, nothing else comes
        [queued] = await customer.press("/talk_to_person", timeout=10)
        assert "in the queue" in queued["text"]
        handoff = handoff_of(stack.redis_url, conversation_of(customer.session_token))
        assert (handoff["state"], handoff["reason"]) == ("queued", "bot_unavailable")
        await customer.close()
    finally:
        stack.stop("gateway-no-rasa")
        hung.close()


async def test_redis_down_gives_the_trouble_message(stack: Stack) -> None:
    port = free_port()
    stack.start_gateway(
        name="gateway-no-redis",
        GATEWAY_PORT=str(port),
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        TELEGRAM_TOKEN="",
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            health = await http.get("/health")
            cookie = (await http.post("/web/session")).cookies["maru_session"]
            # A returning customer's page (whose login can't be checked now) keeps its conversation.
            again = await http.post("/web/session", json={"resume": True})  # the client sends the cookie back
        assert (health.status_code, health.json()["redis"]) == (503, False)
        assert again.status_code == 200
        assert conversation_of(again.cookies["maru_session"]) == conversation_of(cookie)
        url = f"ws://127.0.0.1:{port}/web/socket"
        async with connect(url, extra_headers={"Cookie": f"maru_session={cookie}"}) as socket_:
            notice = json.loads(await asyncio.wait_for(socket_.recv(), 10))
        assert notice["text"] == TROUBLE
    finally:
        stack.stop("gateway-no-redis")


async def test_two_tabs_of_one_customer_see_the_same_conversation(stack: Stack) -> None:
    first = WebCustomer(stack.gateway_url)
    await first.connect()
    second = WebCustomer(stack.gateway_url, first.session_token)
    await second.connect()
    await first.say("hello")
    pushed = [await second.next_event() for _ in range(5)]
    assert [e["role"] for e in pushed if e["type"] == "message"] == ["customer", "bot", "bot"]
    await asyncio.gather(first.close(), second.close())


HANGUL = re.compile("[가-힣]")


async def test_bad_input_in_korean_gets_clear_answers_in_korean(stack: Stack) -> None:
    texts_ko = Texts.load(ROOT / "domain.yml")
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    laughter = await customer.say("ㅋㅋㅋㅋ")
    assert laughter
    assert all(HANGUL.search(str(m["text"])) for m in laughter)
    assert texts(await customer.say("배송" * 10_000)) == [texts_ko.get("utter_message_too_long", "ko")]
    await customer.send_raw('{"type": "message", "text": "  "}')
    assert (await customer.next_message("bot"))["text"] == texts_ko.get("utter_empty_message", "ko")
    attack = "<b>배송</b> 언제 와요? <script>alert(1)</script>"
    answer = await customer.say(attack)
    assert answer
    assert all(HANGUL.search(str(m["text"])) for m in answer), texts(answer)
    await customer.close()
    history = await WebCustomer(stack.gateway_url, customer.session_token).connect()
    assert attack in [entry["text"] for entry in history]
