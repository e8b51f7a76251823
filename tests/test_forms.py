"""Form validation actions against tracker fixtures."""

from rasa_sdk.executor import CollectingDispatcher

from actions import forms
from actions.runtime import Services
from tests.conftest import load_tracker, sent

CANCEL_SLOTS = ["order_number", "email", "confirmation"]
RETURN_SLOTS = ["order_number", "email", "return_reason", "confirmation"]
STATUS_DOMAIN = {"forms": {"order_status_form": {"required_slots": ["order_number", "email"]}}}


async def test_order_number_is_only_checked_for_its_shape(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    slots = await forms.ValidateOrderStatusForm().validate_order_number(
        "#19999", dispatcher, load_tracker("order_form_asking_number"), {}
    )
    assert slots == {"order_number": "19999"}
    assert dispatcher.messages == []


async def test_a_wrong_pair_is_refused_after_both_are_given(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("order_form_asking_number", order_number="19999", email="mina.kim@example.com")
    tracker.events.append({"event": "slot", "name": "email", "value": "mina.kim@example.com"})
    events = await forms.ValidateOrderStatusForm().get_validation_events(dispatcher, tracker, STATUS_DOMAIN)
    assert events == [
        {"event": "slot", "timestamp": None, "name": "email", "value": "mina.kim@example.com"},
        {"event": "slot", "timestamp": None, "name": "order_number", "value": None},
        {"event": "slot", "timestamp": None, "name": "email", "value": None},
    ]
    assert sent(dispatcher.messages) == [
        {"template": "utter_order_not_verified", "response": "utter_order_not_verified"}
    ]


async def test_a_right_pair_records_the_order_proof_for_the_gateway(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("order_form_asking_number", order_number="10421", email="mina.kim@example.com")
    tracker.events.append({"event": "slot", "name": "email", "value": "mina.kim@example.com"})
    events = await forms.ValidateOrderStatusForm().get_validation_events(dispatcher, tracker, STATUS_DOMAIN)
    assert events[-1] == {"event": "slot", "timestamp": None, "name": "identity_proof", "value": "order"}
    assert sent(dispatcher.messages) == [{"custom": {"identity": {"proof": "order", "order_number": "10421"}}}]


async def test_shipped_order_skips_the_confirmation(services: Services) -> None:
    required = await forms.ValidateCancelOrderForm().required_slots(
        CANCEL_SLOTS, CollectingDispatcher(), load_tracker("cancel_shipped"), {}
    )
    assert required == ["order_number", "email"]


async def test_order_before_dispatch_asks_for_confirmation(services: Services) -> None:
    tracker = load_tracker("cancel_shipped", order_number="10488", email="joon.park@example.org")
    required = await forms.ValidateCancelOrderForm().required_slots(CANCEL_SLOTS, CollectingDispatcher(), tracker, {})
    assert required == CANCEL_SLOTS


async def test_return_outside_the_window_asks_nothing_more(services: Services) -> None:
    required = await forms.ValidateReturnForm().required_slots(
        RETURN_SLOTS, CollectingDispatcher(), load_tracker("return_window_closed"), {}
    )
    assert required == ["order_number", "email"]


async def test_unverified_order_keeps_all_slots(services: Services) -> None:
    tracker = load_tracker("return_window_closed", email=None)
    required = await forms.ValidateReturnForm().required_slots(RETURN_SLOTS, CollectingDispatcher(), tracker, {})
    assert required == RETURN_SLOTS


async def test_free_text_reason_counts_as_other(services: Services) -> None:
    form = forms.ValidateReturnForm()
    tracker = load_tracker("return_window_closed")
    assert await form.validate_return_reason("it's ugly", CollectingDispatcher(), tracker, {}) == {
        "return_reason": "other"
    }
    assert await form.validate_return_reason("damaged", CollectingDispatcher(), tracker, {}) == {
        "return_reason": "damaged"
    }


async def test_short_address_is_refused(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    slots = await forms.ValidateChangeAddressForm().validate_new_address(
        "Seoul", dispatcher, load_tracker("address_confirmed"), {}
    )
    assert slots == {"new_address": None}
    assert sent(dispatcher.messages)[0]["response"] == "utter_address_invalid"
