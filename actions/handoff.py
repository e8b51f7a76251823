"""The handoff request the gateway acts on: a custom payload with the reason."""

from __future__ import annotations

from typing import Any

from actions.identity import PROOF_ORDER, proves_customer
from actions.store import Order, StoreBackend
from actions.verification import verified_order

HANDOFF_REASONS = ("customer_request", "frustration", "not_understood", "self_service_failed", "negative_feedback")
DEFAULT_REASON = "customer_request"


def handoff_reason(latest_message: dict[str, Any]) -> str:
    """The reason carried by the button that asked for a person, else a customer request."""
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") == "handoff_reason" and entity.get("value") in HANDOFF_REASONS:
            return str(entity["value"])
    return DEFAULT_REASON


def handoff_request(latest_message: dict[str, Any], active_loop: str | None) -> dict[str, Any]:
    """The custom payload that asks the gateway to hand over, with context for the agent."""
    return {"handoff": {"reason": handoff_reason(latest_message), "interrupted_flow": active_loop}}


SUMMARY_SLOTS = ("order_number", "email", "return_reason", "new_address")
CUSTOMER_TURNS, BOT_TURNS = 5, 3


def conversation_summary(events: list[dict[str, Any]], slots: dict[str, Any]) -> dict[str, Any]:
    """What the agent needs so the customer never repeats themselves: asks, answers and details given."""
    customer = [e["text"] for e in events if e.get("event") == "user" and _typed(e.get("text"))]
    bot = [e["text"] for e in events if e.get("event") == "bot" and e.get("text")]
    details = {name: slots[name] for name in SUMMARY_SLOTS if slots.get(name) not in (None, "")}
    return {"customer_said": customer[-CUSTOMER_TURNS:], "bot_said": bot[-BOT_TURNS:], "details": details}


def customer_card(
    name: str | None, returning: bool, orders: list[Order], proof: str | None, customer_id: str | None = None
) -> dict[str, Any]:
    """The customer as the agent sees them: name, how that was proven, whether they wrote before, their orders."""
    return {
        "name": name,
        "proof": proof or "none",
        "customer_id": customer_id,
        "returning": returning,
        "recent_orders": [
            {"number": o.number, "status": o.status, "placed_on": o.placed_on.isoformat(), "total": o.total}
            for o in orders
        ],
    }


def proven_card(slots: dict[str, Any], channel_name: str | None, store: StoreBackend) -> dict[str, Any]:
    """The card from what the conversation proved: the whole customer, one order, or nothing."""
    returning = bool(slots.get("returning_customer"))
    if proves_customer(slots):
        customer = store.customer_by_id(str(slots["customer_id"]))
        if customer is not None:
            orders = store.recent_orders(customer.email)
            return customer_card(customer.name, returning, orders, str(slots["identity_proof"]), customer.id)
    order = verified_order(slots.get("order_number"), slots.get("email"), store)
    if order is not None:
        owner = store.customer(order.email)
        return customer_card(owner.name if owner else None, returning, [order], PROOF_ORDER)
    return customer_card(channel_name, returning, [], None)


def _typed(text: Any) -> bool:
    # Button payloads ("/affirm") are not what the customer said in words.
    return isinstance(text, str) and bool(text) and not text.startswith("/")
