"""Form validation actions against tracker fixtures."""

from rasa_sdk.executor import CollectingDispatcher

from actions import forms
from actions.runtime import Services
from tests.conftest import load_tracker, sent

CANCEL_SLOTS = ["order_number", "email", "confirmation"]
RETURN_SLOTS = ["order_number", "email", "return_reason", "confirmation"]


async def test_order_number_is_validated_against_the_store(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    slots = await forms.ValidateOrderStatusForm().validate_order_number(
        "#10421", dispatcher, load_tracker("order_form_asking_number"), {}
    )
    assert slots == {"order_number": "10421"}
    assert dispatcher.messages == []


async def test_unknown_order_number_is_refused_with_a_message(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    slots = await forms.ValidateOrderStatusForm().validate_order_number(
        "19999", dispatcher, load_tracker("order_form_asking_number"), {}
    )
    assert slots == {"order_number": None, "order_lookup_failures": 1}
    assert sent(dispatcher.messages) == [
        {"template": "utter_order_not_found", "response": "utter_order_not_found", "order_number": "19999"}
    ]


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
