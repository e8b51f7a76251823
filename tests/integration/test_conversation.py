"""A real conversation over HTTP with Redis, the action server and the trained model."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from knowledge import KnowledgeBase
from tests.integration.stack import RASA_TOKEN, ROOT, Stack, rasa_headers

pytestmark = pytest.mark.integration


def say(stack: Stack, sender: str, text: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/gateway/webhook",
        json={"sender": sender, "message": text},
        headers={"Authorization": f"Bearer {RASA_TOKEN}"},
        timeout=30,
    )
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()
    return messages


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if "text" in m]


def tracker(stack: Stack, sender: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker", headers=rasa_headers(), timeout=10)
    response.raise_for_status()
    state: dict[str, Any] = response.json()
    return state


def test_api_needs_the_token(stack: Stack) -> None:
    assert httpx.get(f"{stack.rasa_url}/conversations/x/tracker", timeout=10).status_code == 401


def test_first_contact_shows_the_privacy_notice_then_answers_an_faq(stack: Stack) -> None:
    greeting = texts(say(stack, "it-faq", "hello"))
    assert greeting[0].startswith("Before we start: I keep this chat for 90 days")
    assert greeting[1].startswith("Hi, I'm Maru's assistant.")

    answer = texts(say(stack, "it-faq", "what do you charge for postage"))
    expected = KnowledgeBase.load(ROOT / "data" / "knowledge").get("shipping_cost", "en")
    assert expected is not None
    assert answer == [expected.answer]


def test_order_status_survives_a_rasa_restart(stack: Stack) -> None:
    sender = "it-order"
    assert texts(say(stack, sender, "where is my order"))[-1].startswith("What's the order number?")
    assert texts(say(stack, sender, "10421")) == [
        "Thanks. To keep your order private, what email address did you order with?"
    ]

    stack.stop("rasa")
    stack.start_rasa()
    slots = tracker(stack, sender)["slots"]
    assert (slots["order_number"], slots["requested_slot"]) == ("10421", "email")

    status = texts(say(stack, sender, "mina.kim@example.com"))
    assert len(status) == 1
    assert status[0].startswith("Order #10421 (Stoneware dinner set (12 pieces)) is on its way with CJ Logistics")
    slots = tracker(stack, sender)["slots"]
    assert (slots["identity_proof"], slots["customer_id"], slots["customer_name"]) == ("order", None, None)


def test_one_proven_order_does_not_make_a_known_customer_of_the_next_session(stack: Stack) -> None:
    sender = "it-order"
    httpx.post(
        f"{stack.rasa_url}/conversations/{sender}/execute",
        headers=rasa_headers(),
        json={"name": "action_session_start"},
        timeout=30,
    ).raise_for_status()
    assert texts(say(stack, sender, "hi"))[0].startswith("Hi, I'm Maru's assistant.")


def test_unknown_order_and_wrong_email_get_the_same_answer(stack: Stack) -> None:
    sender = "it-bad-order"
    say(stack, sender, "hi")
    say(stack, sender, "where is my order")
    assert texts(say(stack, sender, "19999")) == [
        "Thanks. To keep your order private, what email address did you order with?"
    ]
    not_found = texts(say(stack, sender, "mina.kim@example.com"))[0]
    say(stack, sender, "10421")
    assert (
        texts(say(stack, sender, "joon.park@example.org"))[0]
        == not_found
        == (
            "I couldn't find an order with that number and email. Please check both in your confirmation email; "
            "for a gift, use the buyer's email."
        )
    )


@pytest.mark.parametrize("text", ["", "   ", "x" * 20000, "😡😡😡", "<script>alert(1)</script>"])
def test_odd_input_gets_an_answer_and_keeps_the_conversation(stack: Stack, text: str) -> None:
    sender = f"it-odd-{len(text)}-{abs(hash(text)) % 1000}"
    say(stack, sender, "hi")
    events_before = len(tracker(stack, sender)["events"])
    reply = texts(say(stack, sender, text))
    assert reply, f"no answer to {text[:20]!r}"
    assert len(tracker(stack, sender)["events"]) > events_before


def test_delete_my_data_removes_tracker_and_profile(stack: Stack) -> None:
    import redis

    sender = "it-erase"
    say(stack, sender, "hi")
    client = redis.Redis.from_url(stack.redis_url)
    assert client.exists(f"tracker:{sender}")
    assert client.exists(f"profile:{sender}")
    assert texts(say(stack, sender, "delete my data"))[0].startswith("I can delete this chat and your profile")
    assert texts(say(stack, sender, "yes")) == [
        "Done. I've deleted this conversation and your profile. If you write again, we'll start fresh."
    ]
    assert not client.exists(f"tracker:{sender}")
    assert not client.exists(f"profile:{sender}")


def test_an_email_given_for_a_callback_is_not_taken_as_proof_of_an_order(stack: Stack) -> None:
    sender = "web-it-callback-email"
    say(stack, sender, "can you call me back")
    say(stack, sender, "/callback_by_message")
    assert tracker(stack, sender)["slots"]["requested_slot"] == "callback_email"
    say(stack, sender, "mina.kim@example.com")
    slots = tracker(stack, sender)["slots"]
    assert (slots["callback_email"], slots["email"]) == ("mina.kim@example.com", None)
