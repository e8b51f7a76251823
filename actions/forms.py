"""Form validation actions. The checks themselves live in verification and order_flows."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import order_flows, verification
from actions.order_flows import OrderFlows
from actions.replies import Outcome, send
from actions.runtime import flows_for, services, verified_order_of
from actions.store import Order

VERIFICATION_SLOTS = ["order_number", "email"]


def _apply(outcome: Outcome, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    send(dispatcher, outcome.replies)
    return outcome.slots


class OrderVerificationForm(FormValidationAction, ABC):
    """Shared checks of the order number and the email that owns it."""

    @abstractmethod
    def name(self) -> str:
        """Each form names itself."""

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        outcome = verification.check_order_number(
            value,
            tracker.get_slot("email"),
            tracker.get_slot("order_lookup_failures") or 0,
            services().store,
        )
        return _apply(outcome, dispatcher)

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        outcome = verification.check_email(value, tracker.get_slot("order_number"), services().store)
        return _apply(outcome, dispatcher)

    def allows_the_rest(self, flows: OrderFlows, order: Order) -> bool:
        """Whether the verified order allows this flow, so its other slots are worth asking."""
        return True

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        order = verified_order_of(tracker)
        if order is not None and not self.allows_the_rest(flows_for(tracker), order):
            return VERIFICATION_SLOTS
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
