"""What each order flow tells the customer and does to the order, once verified."""

from __future__ import annotations

from datetime import date
from typing import Any

from actions import policy as rules
from actions.locale import Locale
from actions.policy import Policy, Verdict
from actions.replies import Outcome, Reply
from actions.store import Order, StoreBackend

# Slots that belong to one run of a flow and must not leak into the next one.
FLOW_SLOTS = ("return_reason", "new_address", "confirmation")
RETURN_REASONS = ("damaged", "wrong_item", "changed_mind", "other")
MIN_ADDRESS_LENGTH = 10


def clear_flow_slots() -> dict[str, Any]:
    """Slot values that end a flow."""
    return {slot: None for slot in FLOW_SLOTS}


def window_response(several_days: str, one_day: str, estimate: rules.DeliveryEstimate) -> str:
    """The response naming a delivery window: its one-day wording when the window is a single day."""
    return one_day if estimate.earliest == estimate.latest else several_days


class OrderFlows:
    """Order status, cancellation, address change and returns for verified orders."""

    def __init__(self, store: StoreBackend, policy: Policy, locale: Locale, today: date) -> None:
        self._store = store
        self._policy = policy
        self._locale = locale
        self._today = today

    def _basics(self, order: Order) -> dict[str, Any]:
        values = {
            "order_number": order.number,
            "items": self._locale.items(order),
            "total": self._locale.money(order.total),
            "payment": self._locale.payment(order.payment),
            "tracking": order.tracking or "",
            "address": order.address,
            "delivered_on": self._locale.day(order.delivered_on),
            "dispatched_on": self._locale.day(order.dispatched_on),
            "return_deadline": self._locale.day(rules.return_deadline(order, self._policy)),
        }
        return {name: value for name, value in values.items() if value}

    def status(self, order: Order) -> Reply:
        """The honest status of an order, with its delivery window."""
        values = self._basics(order)
        estimate = rules.delivery_estimate(order, self._today, self._policy)
        if estimate is None:
            return Reply(f"utter_order_status_{order.status}", values)
        values.update(earliest=self._locale.day(estimate.earliest), latest=self._locale.day(estimate.latest))
        if order.status == "processing":
            dispatch_by = rules.add_business_days(self._today, self._policy.dispatch_business_days)
            values["dispatch_by"] = self._locale.day(dispatch_by)
            return Reply(
                window_response("utter_order_status_processing", "utter_order_status_processing_one_day", estimate),
                values,
            )
        if estimate.late:
            return Reply("utter_order_status_late", values)
        return Reply(
            window_response("utter_order_status_shipped", "utter_order_status_shipped_one_day", estimate), values
        )

    def can_cancel(self, order: Order) -> bool:
        """Whether to ask for confirmation at all."""
        return rules.cancel_verdict(order) is Verdict.OK

    def cancel(self, order: Order, confirmed: bool | None) -> Outcome:
        """Cancels the order when allowed and confirmed."""
        values = self._basics(order)
        verdict = rules.cancel_verdict(order)
        if verdict is not Verdict.OK:
            return self._finish(Reply(f"utter_cannot_cancel_{verdict.value}", values))
        if not confirmed:
            return self._finish(Reply("utter_cancel_kept", values))
        self._store.cancel(order.number)
        refund_by = rules.cancellation_refund_by(order, self._today, self._policy)
        return self._finish(Reply("utter_order_cancelled", {**values, "refund_by": self._locale.day(refund_by)}))

    def can_change_address(self, order: Order) -> bool:
        """Whether to ask for a new address at all."""
        return rules.address_change_verdict(order) is Verdict.OK

    def change_address(self, order: Order, new_address: str | None, confirmed: bool | None) -> Outcome:
        """Redirects the order when allowed and confirmed."""
        values = self._basics(order)
        verdict = rules.address_change_verdict(order)
        if verdict is not Verdict.OK:
            return self._finish(Reply(f"utter_cannot_change_address_{verdict.value}", values))
        if not confirmed or not new_address:
            return self._finish(Reply("utter_address_kept", values))
        self._store.change_address(order.number, new_address)
        estimate = rules.delivery_estimate(order, self._today, self._policy)
        assert estimate is not None, "an order before dispatch always has an estimate"
        return self._finish(
            Reply(
                window_response("utter_address_changed", "utter_address_changed_one_day", estimate),
                {
                    **values,
                    "new_address": new_address,
                    "earliest": self._locale.day(estimate.earliest),
                    "latest": self._locale.day(estimate.latest),
                },
            )
        )

    def can_return(self, order: Order) -> bool:
        """Whether to ask for a reason and confirmation at all."""
        return rules.return_verdict(order, self._today, self._policy) is Verdict.OK

    def ask_return_confirmation(self, order: Order, reason: str) -> Reply:
        """Asks to confirm the return, naming its cost."""
        values = {**self._basics(order), "items": self._returnable_items(order)}
        fee = rules.return_fee(order, reason, self._policy)
        if fee == 0:
            return Reply("utter_ask_return_confirmation_free", values)
        return Reply("utter_ask_return_confirmation_fee", {**values, "fee": self._locale.money(fee)})

    def book_return(self, order: Order, reason: str | None, confirmed: bool | None) -> Outcome:
        """Books the return when allowed and confirmed."""
        values = self._basics(order)
        verdict = rules.return_verdict(order, self._today, self._policy)
        if verdict is not Verdict.OK:
            return self._finish(Reply(f"utter_cannot_return_{verdict.value}", values))
        if not confirmed or not reason:
            return self._finish(Reply("utter_return_not_booked", values))
        reference = self._store.create_return(order.number, reason, self._today)
        refundable = sum(item.price for item in order.items if item.returnable)
        refund = refundable - rules.return_fee(order, reason, self._policy)
        refund_by = rules.return_refund_by(order, self._today, self._policy)
        replies = [
            Reply(
                "utter_return_booked",
                {
                    **values,
                    "reference": reference,
                    "total": self._locale.money(refund),
                    "refund_by": self._locale.day(refund_by),
                },
            )
        ]
        excluded = [item.name for item in order.items if not item.returnable]
        if excluded:
            replies.append(Reply("utter_return_excluded_items", {"items": self._locale.item_separator.join(excluded)}))
        return Outcome(tuple(replies), clear_flow_slots())

    def _returnable_items(self, order: Order) -> str:
        return self._locale.item_separator.join(item.name for item in order.items if item.returnable)

    @staticmethod
    def _finish(reply: Reply) -> Outcome:
        return Outcome((reply,), clear_flow_slots())


def normalise_return_reason(raw: Any) -> str:
    """Maps a button value to a reason; free text counts as 'other'."""
    value = str(raw or "").strip().lower()
    return value if value in RETURN_REASONS else "other"


def check_new_address(raw: Any) -> Outcome:
    """Accepts an address that has a street and a city (at least a few words)."""
    address = " ".join(str(raw or "").split())
    if len(address) < MIN_ADDRESS_LENGTH or len(address.split()) < 3:
        return Outcome((Reply("utter_address_invalid"),), {"new_address": None})
    return Outcome((), {"new_address": address})
