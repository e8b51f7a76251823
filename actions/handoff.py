"""The handoff request the gateway acts on: a custom payload with the reason."""

from __future__ import annotations

from typing import Any

from actions.store import Order

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


def customer_card(name: str | None, returning: bool, orders: list[Order]) -> dict[str, Any]:
    """The customer as the agent sees them: name, whether they wrote before, and their recent orders."""
    return {
        "name": name,
        "returning": returning,
        "recent_orders": [
            {"number": o.number, "status": o.status, "placed_on": o.placed_on.isoformat(), "total": o.total}
            for o in orders
        ],
    }


def _typed(text: Any) -> bool:
    # Button payloads ("/affirm") are not what the customer said in words.
    return isinstance(text, str) and bool(text) and not text.startswith("/")
