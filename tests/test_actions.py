"""Actions run against tracker fixtures from tests/data/trackers; exact events and messages."""

from typing import Any

import pytest
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from actions.profiles import Profile
from actions.runtime import Services
from tests.conftest import load_tracker, sent

DOMAIN: dict[str, Any] = {
    "responses": {
        "utter_intent_label_check_order_status": [{"text": "Check where my order is"}],
        "utter_option_something_else": [{"text": "Something else"}],
        "utter_privacy_notice": [
            {"text": "Before we start: I keep this chat for 90 days."},
            {"text": "시작하기 전에 안내드려요.", "condition": [{"type": "slot", "name": "language", "value": "ko"}]},
        ],
    }
}
FLOW_SLOTS_CLEARED = [SlotSet("return_reason", None), SlotSet("new_address", None), SlotSet("confirmation", None)]


def response(name: str, **values: Any) -> dict[str, Any]:
    return {"template": name, "response": name, **values}


async def run(action: Any, tracker_name: str, **slots: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, load_tracker(tracker_name, **slots), DOMAIN)
    return sent(dispatcher.messages), events


async def test_first_contact_gets_the_privacy_notice(services: Services) -> None:
    messages, events = await run(actions.ActionSessionStart(), "new_customer")
    assert messages == [
        {"text": "Before we start: I keep this chat for 90 days.", "utter_action": "utter_privacy_notice"}
    ]
    assert events == [
        SessionStarted(),
        SlotSet("language", "en"),
        SlotSet("returning_customer", False),
        ActionExecuted("action_listen"),
    ]
    profile = await services.profiles.get("web-7f3a9c")
    assert profile is not None
    assert profile.name is None


async def test_the_privacy_notice_is_in_the_language_the_gateway_passed(services: Services) -> None:
    metadata = {"channel": "web", "language": "ko"}
    messages, events = await run(actions.ActionSessionStart(), "new_customer", session_started_metadata=metadata)
    assert messages == [{"text": "시작하기 전에 안내드려요.", "utter_action": "utter_privacy_notice"}]
    assert events[1] == SlotSet("language", "ko")


async def test_returning_customer_is_recognised_without_a_second_notice(services: Services) -> None:
    await services.profiles.save(Profile("web-7f3a9c", first_seen="2026-10-01T10:00:00+09:00", name="Mina Kim"))
    messages, events = await run(actions.ActionSessionStart(), "new_customer")
    assert messages == []
    assert events == [
        SessionStarted(),
        SlotSet("language", "en"),
        SlotSet("customer_name", "Mina Kim"),
        SlotSet("returning_customer", True),
        ActionExecuted("action_listen"),
    ]


async def test_telegram_first_name_feeds_the_profile(services: Services) -> None:
    _, events = await run(actions.ActionSessionStart(), "telegram_newcomer")
    assert SlotSet("customer_name", "Hana") in events
    profile = await services.profiles.get("tg-4242")
    assert profile is not None
    assert profile.name == "Hana"


async def test_faq_answer_comes_from_the_knowledge_file_with_its_id(services: Services) -> None:
    messages, events = await run(actions.ActionAnswerFaq(), "faq_predicted")
    answer = services.knowledge.current().get("shipping_cost", "en")
    assert answer is not None
    assert messages == [
        {
            "text": answer.answer,
            "faq_id": "shipping_cost",
            "language": "en",
            "faq_alternatives": ["shipping_free_threshold"],
        }
    ]
    assert events == []


async def test_faq_button_payload_picks_the_faq(services: Services) -> None:
    messages, _ = await run(actions.ActionAnswerFaq(), "faq_button")
    assert messages[0]["faq_id"] == "returns_window"


async def test_faq_unknown_to_the_knowledge_base_is_not_guessed(services: Services) -> None:
    messages, _ = await run(actions.ActionAnswerFaq(), "faq_retired")
    assert messages == [response("utter_faq_unavailable")]


async def test_unclear_message_offers_the_two_likeliest_meanings(services: Services) -> None:
    messages, events = await run(actions.ActionDefaultAskAffirmation(), "unclear_message")
    knowledge = services.knowledge.current()
    refund, cost = knowledge.get("refund_timing", "en"), knowledge.get("returns_cost", "en")
    assert refund is not None
    assert cost is not None
    assert messages == [
        response(
            "utter_did_you_mean",
            buttons=[
                {"title": refund.question, "payload": '/faq{"faq_id": "refund_timing"}'},
                {"title": cost.question, "payload": '/faq{"faq_id": "returns_cost"}'},
                {"title": "Something else", "payload": "/deny"},
            ],
        )
    ]
    assert events == []


async def test_second_misunderstanding_offers_a_person(services: Services) -> None:
    messages, events = await run(actions.ActionDefaultFallback(), "unclear_message")
    assert messages == [response("utter_default")]
    assert events == [UserUtteranceReverted()]


async def test_order_status_of_a_shipped_order(services: Services) -> None:
    messages, events = await run(actions.ActionOrderStatus(), "order_status_verified")
    assert messages == [
        response(
            "utter_order_status_shipped",
            order_number="10421",
            items="Stoneware dinner set (12 pieces)",
            total="₩89,000",
            payment="card",
            tracking="CJ6412098831",
            address="15 Yeoksam-ro, Gangnam-gu, Seoul",
            dispatched_on="Tue 17 Nov",
            earliest="Wed 18 Nov",
            latest="Thu 19 Nov",
        )
    ]
    assert events == []


async def test_late_order_apologises_and_offers_to_chase(services: Services) -> None:
    messages, _ = await run(actions.ActionOrderStatus(), "late_order_verified")
    assert messages[0]["response"] == "utter_order_status_late"
    assert (messages[0]["dispatched_on"], messages[0]["latest"]) == ("Sat 7 Nov", "Fri 13 Nov")


async def test_one_proven_order_links_no_customer_to_the_conversation(services: Services) -> None:
    await run(actions.ActionOrderStatus(), "order_status_verified")
    assert await services.profiles.get("web-7f3a9c") is None


async def test_cancel_confirmed_order(services: Services) -> None:
    messages, events = await run(actions.ActionCancelOrder(), "cancel_confirmed")
    assert messages == [
        response(
            "utter_order_cancelled",
            order_number="10488",
            items="Cast-iron skillet 28 cm",
            total="₩54,000",
            payment="card",
            address="88 Bupyeong-daero, Bupyeong-gu, Incheon",
            refund_by="Wed 25 Nov",
        )
    ]
    assert events == FLOW_SLOTS_CLEARED
    assert services.store.order("10488").status == "cancelled"  # type: ignore[union-attr]


async def test_shipped_order_cannot_be_cancelled(services: Services) -> None:
    messages, _ = await run(actions.ActionCancelOrder(), "cancel_shipped")
    assert messages[0]["response"] == "utter_cannot_cancel_already_shipped"
    assert services.store.order("10421").status == "shipped"  # type: ignore[union-attr]


async def test_return_with_change_of_mind_fee(services: Services) -> None:
    messages, events = await run(actions.ActionStartReturn(), "return_confirmed")
    assert len(messages) == 1
    booked = messages[0]
    assert booked["response"] == "utter_return_booked"
    assert booked["reference"].startswith("R-10433-")
    assert (booked["total"], booked["payment"], booked["refund_by"]) == ("₩48,000", "KakaoPay account", "Fri 27 Nov")
    assert events == FLOW_SLOTS_CLEARED


async def test_return_after_the_window_explains_and_books_nothing(services: Services) -> None:
    messages, _ = await run(actions.ActionStartReturn(), "return_window_closed")
    assert messages[0]["response"] == "utter_cannot_return_window_closed"
    assert (messages[0]["delivered_on"], messages[0]["return_deadline"]) == ("Tue 22 Sep", "Thu 22 Oct")


async def test_return_confirmation_names_the_fee(services: Services) -> None:
    messages, _ = await run(actions.ActionAskReturnFormConfirmation(), "return_confirmed", confirmation=None)
    assert messages[0]["response"] == "utter_ask_return_confirmation_fee"
    assert messages[0]["fee"] == "₩6,000"


async def test_address_change_confirmed(services: Services) -> None:
    messages, _ = await run(actions.ActionChangeAddress(), "address_confirmed")
    assert messages == [
        response(
            "utter_address_changed",
            order_number="10563",
            items="Glass storage jars (set of 4), Maru ceramic mug",
            total="₩44,000",
            payment="card",
            address="30 Jungang-daero, Jung-gu, Daegu",
            new_address="5 Dongseong-ro, Jung-gu, Daegu",
            earliest="Fri 20 Nov",
            latest="Mon 23 Nov",
        )
    ]
    assert services.store.order("10563").address == "5 Dongseong-ro, Jung-gu, Daegu"  # type: ignore[union-attr]


async def test_proven_customer_is_asked_about_their_recent_orders(services: Services) -> None:
    messages, _ = await run(
        actions.ActionAskOrderNumber(), "known_customer_form", customer_id="C1001", identity_proof="code"
    )
    assert messages[0]["response"] == "utter_ask_order_number_known"
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/inform{"order_number": "10421"}',
        '/inform{"order_number": "10433"}',
    ]


async def test_an_email_typed_by_anyone_lists_no_orders(services: Services) -> None:
    messages, events = await run(actions.ActionAskOrderNumber(), "known_customer_form")
    assert messages == [response("utter_ask_order_number")]
    assert events == []


async def test_the_store_login_from_the_gateway_proves_the_customer(services: Services) -> None:
    identity = {"identity": {"proof": "store_login", "customer_id": "C1002"}}
    tracker = load_tracker("new_customer")
    tracker.latest_message["metadata"] = identity
    events = await actions.ActionIdentifyCustomer().run(CollectingDispatcher(), tracker, DOMAIN)
    assert events == [
        SlotSet("customer_id", "C1002"),
        SlotSet("identity_proof", "store_login"),
        SlotSet("customer_name", "Joon Park"),
        SlotSet("email", "joon.park@example.org"),
        SlotSet("returning_customer", True),
    ]
    profile = await services.profiles.get("web-7f3a9c")
    assert profile is not None
    assert profile.customer_id == "C1002"


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"identity": {"proof": "code", "customer_id": "C1002"}},
        {"identity": {"proof": "store_login", "customer_id": "C9999"}},
        {"identity": {"proof": "store_login"}},
    ],
)
async def test_only_a_store_login_of_a_real_customer_is_taken_from_metadata(
    services: Services, metadata: dict[str, Any]
) -> None:
    tracker = load_tracker("new_customer")
    tracker.latest_message["metadata"] = metadata
    assert await actions.ActionIdentifyCustomer().run(CollectingDispatcher(), tracker, DOMAIN) == []


async def test_a_signed_in_customer_is_greeted_with_their_orders(services: Services) -> None:
    messages, _ = await run(
        actions.ActionGreetCustomer(), "new_customer", customer_id="C1001", identity_proof="store_login"
    )
    assert messages[0]["response"] == "utter_greet_customer"
    assert messages[0]["customer_name"] == "Mina Kim"
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/inform{"order_number": "10421"}',
        '/inform{"order_number": "10433"}',
    ]


async def test_forgetting_the_device_unlinks_and_clears_the_customer(services: Services) -> None:
    await services.profiles.save(Profile("web-7f3a9c", first_seen="2026-10-01T10:00:00+09:00"))
    await services.profiles.link("web-7f3a9c", "C1001")
    messages, events = await run(
        actions.ActionForgetDevice(), "known_customer_form", customer_id="C1001", identity_proof="code"
    )
    assert messages == [response("utter_device_forgotten"), {"custom": {"forget_device": True}}]
    assert events == [
        SlotSet("customer_id", None),
        SlotSet("identity_proof", None),
        SlotSet("customer_name", None),
        SlotSet("email", None),
        SlotSet("order_number", None),
        SlotSet("returning_customer", False),
    ]
    profile = await services.profiles.get("web-7f3a9c")
    assert profile is not None
    assert profile.customer_id is None


async def test_stopping_a_flow_forgets_its_answers(services: Services) -> None:
    messages, events = await run(actions.ActionStopFlow(), "handoff_mid_form")
    assert messages == [response("utter_flow_stopped")]
    assert events == FLOW_SLOTS_CLEARED


async def test_delete_my_data_erases_the_profile_and_flags_the_tracker(services: Services) -> None:
    await services.profiles.save(Profile("web-7f3a9c", first_seen="2026-10-01T10:00:00+09:00", name="Mina Kim"))
    messages, events = await run(actions.ActionDeleteMyData(), "delete_confirmed")
    assert messages == [
        response("utter_data_deleted"),
        {"custom": {"erase_conversation": True, "conversations": ["web-7f3a9c"]}},
    ]
    assert events == [SlotSet("erase_requested", True)]
    assert await services.profiles.get("web-7f3a9c") is None


async def test_a_proven_customer_deletes_every_linked_conversation(services: Services) -> None:
    for sender in ("web-7f3a9c", "tg-42", "web-other-browser"):
        await services.profiles.save(Profile(sender, first_seen="2026-10-01T10:00:00+09:00"))
        await services.profiles.link(sender, "C1001")
    messages, _ = await run(
        actions.ActionDeleteMyData(), "delete_confirmed", customer_id="C1001", identity_proof="code"
    )
    assert messages == [
        response("utter_data_deleted_customer"),
        {"custom": {"erase_conversation": True, "conversations": ["tg-42", "web-7f3a9c", "web-other-browser"]}},
    ]
    assert [await services.profiles.get(s) for s in ("web-7f3a9c", "tg-42", "web-other-browser")] == [None] * 3


@pytest.mark.parametrize(
    ("tracker", "reason", "flow", "details"),
    [
        ("handoff_after_fallback", "not_understood", None, {}),
        ("handoff_mid_form", "customer_request", "return_form", {"order_number": "10433", "return_reason": "damaged"}),
        ("handoff_forged_reason", "customer_request", None, {}),
    ],
)
async def test_handoff_asks_the_gateway_with_a_reason(
    services: Services, tracker: str, reason: str, flow: str | None, details: dict[str, str]
) -> None:
    context = {
        "language": "en",
        "summary": {"customer_said": [], "bot_said": [], "details": details},
        "customer": {"name": None, "proof": "none", "customer_id": None, "returning": False, "recent_orders": []},
    }
    messages, events = await run(actions.ActionHandoff(), tracker)
    assert messages == [
        response("utter_handoff"),
        {"custom": {"handoff": {"reason": reason, "interrupted_flow": flow, **context}}},
    ]
    assert events == FLOW_SLOTS_CLEARED


RECENT_ORDERS = [
    {"number": "10421", "status": "shipped", "placed_on": "2026-11-16", "total": 89000},
    {"number": "10433", "status": "delivered", "placed_on": "2026-11-06", "total": 54000},
]


async def test_handoff_brings_the_agent_the_summary_and_the_customer(services: Services) -> None:
    await services.profiles.save(Profile("web-5d21aa", first_seen="2026-10-01T10:00:00+09:00", name="Mina Kim"))
    messages, _ = await run(actions.ActionHandoff(), "handoff_known_customer")
    assert messages[1] == {
        "custom": {
            "handoff": {
                "reason": "customer_request",
                "interrupted_flow": None,
                "language": "en",
                "summary": {
                    "customer_said": ["where is my order", "mina.kim@example.com", "can I talk to a human"],
                    "bot_said": [
                        "What's the order number?",
                        "Thanks. What email address did you order with?",
                        "Order #10421 is on its way.",
                    ],
                    "details": {"order_number": "10421", "email": "mina.kim@example.com"},
                },
                "customer": {
                    "name": "Mina Kim",
                    "proof": "order",
                    "customer_id": None,
                    "returning": True,
                    "recent_orders": RECENT_ORDERS[:1],
                },
            }
        }
    }


async def test_the_agent_sees_every_recent_order_only_of_a_proven_customer(services: Services) -> None:
    messages, _ = await run(
        actions.ActionHandoff(), "handoff_known_customer", customer_id="C1001", identity_proof="store_login"
    )
    assert messages[1]["custom"]["handoff"]["customer"] == {
        "name": "Mina Kim",
        "proof": "store_login",
        "customer_id": "C1001",
        "returning": True,
        "recent_orders": RECENT_ORDERS,
    }


async def test_frustration_is_acknowledged_by_its_strongest_reason(services: Services) -> None:
    domain = {"responses": {"utter_empathy_repetition": [{"text": "x"}], "utter_empathy_general": [{"text": "y"}]}}
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("frustrated_conversation")
    events = await actions.ActionAcknowledgeFrustration().run(dispatcher, tracker, domain)
    assert sent(dispatcher.messages) == [response("utter_empathy_repetition")]
    assert events == [
        SlotSet("frustration_score", 0.8),
        SlotSet("frustration_reasons", ["had to ask again", "is unhappy with the service"]),
    ]


async def test_priority_handoff_tells_the_gateway_why(services: Services) -> None:
    messages, events = await run(actions.ActionFrustrationHandoff(), "frustrated_conversation")
    assert messages == [
        response("utter_handoff_frustration"),
        {
            "custom": {
                "handoff": {
                    "reason": "frustration",
                    "priority": True,
                    "interrupted_flow": None,
                    "frustration": {"score": 0.8, "reasons": ["had to ask again", "is unhappy with the service"]},
                    "language": "en",
                    "summary": {
                        "customer_said": ["this is ridiculous, third time i ask where my parcel is"],
                        "bot_said": [],
                        "details": {},
                    },
                    "customer": {
                        "name": None,
                        "proof": "none",
                        "customer_id": None,
                        "returning": False,
                        "recent_orders": [],
                    },
                }
            }
        },
    ]
    assert events[0] == SlotSet("frustration_score", 0.8)
