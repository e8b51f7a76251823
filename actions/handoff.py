"""The handoff request the gateway acts on: a custom payload with the reason."""

from __future__ import annotations

from typing import Any

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
