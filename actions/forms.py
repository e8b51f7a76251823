"""Form validation actions. The checks themselves live in verification and order_flows."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import callbacks, order_flows, verification
from actions.locale import locale_for
from actions.order_flows import OrderFlows
from actions.replies import Outcome, send, send_outcome
from actions.runtime import flows_for, language_of, services, turn_of, verified_order_of
from actions.store import Order
from actions.verification import VERIFICATION_SLOTS


def _apply(outcome: Outcome, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    send(dispatcher, outcome.replies)
    return outcome.slots


class OrderVerificationForm(FormValidationAction, ABC):
    """Shared proof of the order: its number and its email, or the customer's one-time code."""

    @abstractmethod
    def name(self) -> str:
        """Each form names itself."""

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _apply(verification.check_order_number(value), dispatcher)

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _apply(verification.check_email(value), dispatcher)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # The code and the pair are checked once per turn, after each answer's own check.
        events: list[EventType] = await super().get_validation_events(dispatcher, tracker, domain)
        changed = frozenset(str(event["name"]) for event in events)
        outcome = await services().verifier.after_answers(turn_of(tracker, changed))
        send_outcome(dispatcher, outcome)
        tracker.slots.update(outcome.slots)
        return events + [SlotSet(name, value) for name, value in outcome.slots.items()]

    def allows_the_rest(self, flows: OrderFlows, order: Order) -> bool:
        """Whether the verified order allows this flow, so its other slots are worth asking."""
        return True

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if await services().verifier.locked(turn_of(tracker)):
            # Out of attempts: the form ends, and the customer was offered a person.
            return []
        order = verified_order_of(tracker)
        if order is not None and not self.allows_the_rest(flows_for(tracker), order):
            return list(VERIFICATION_SLOTS)
        return domain_slots


class ValidateOrderStatusForm(OrderVerificationForm):
    """Order status needs only the verified order."""

    def name(self) -> str:
        return "validate_order_status_form"


class ValidateCancelOrderForm(OrderVerificationForm):
    """Cancellation asks for confirmation only when the order can still be cancelled."""

    def name(self) -> str:
        return "validate_cancel_order_form"

    def allows_the_rest(self, flows: OrderFlows, order: Order) -> bool:
        return flows.can_cancel(order)


class ValidateChangeAddressForm(OrderVerificationForm):
    """Address change asks for the address only before dispatch."""

    def name(self) -> str:
        return "validate_change_address_form"

    def allows_the_rest(self, flows: OrderFlows, order: Order) -> bool:
        return flows.can_change_address(order)

    async def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _apply(order_flows.check_new_address(value), dispatcher)


class ValidateReturnForm(OrderVerificationForm):
    """Returns ask for a reason and confirmation only when the order is eligible."""

    def name(self) -> str:
        return "validate_return_form"

    def allows_the_rest(self, flows: OrderFlows, order: Order) -> bool:
        return flows.can_return(order)

    async def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"return_reason": order_flows.normalise_return_reason(value)}


class ValidateCallbackForm(FormValidationAction):
    """A callback: phone or message, the number or (on the web) an optional email, and a time window."""

    def name(self) -> str:
        return "validate_callback_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if callbacks.starting_over(tracker.active_loop, tracker.latest_message):
            # The form is being activated: answers left from an earlier, unfinished request are not reused.
            return [SlotSet(slot, None) for slot in callbacks.CALLBACK_SLOTS if tracker.get_slot(slot) is not None]
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        return events

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        channel = callbacks.channel_of(tracker.sender_id, tracker.latest_message)
        # The gateway reads the same SMTP_* settings, so this server's mailer says whether it can mail.
        mail = services().verifier.mailer is not None
        return callbacks.required_slots(tracker.get_slot(callbacks.METHOD), channel, mail)

    async def validate_callback_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return callbacks.check_method(value)

    async def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _apply(callbacks.check_phone(value), dispatcher)

    async def validate_callback_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _apply(callbacks.check_email(value), dispatcher)

    async def validate_callback_window(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        formats = callbacks.label_formats(domain, language_of(tracker), locale_for(language_of(tracker)))
        outcome = callbacks.check_window(value, callbacks.support_hours(), services().now(), formats)
        return _apply(outcome, dispatcher)
