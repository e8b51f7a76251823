"""Agent assist: the knowledge-base answers that best fit the customer's last question."""

from __future__ import annotations

from typing import Any

from knowledge import KnowledgeBase

FAQ_INTENT = "faq"


def suggestions(parse: dict[str, Any], knowledge: KnowledgeBase, language: str, limit: int = 3) -> list[dict[str, Any]]:
    """The top FAQ answers for a parsed message, best first, with the model's confidence."""
    ranking = ((parse.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("ranking") or []
    found = []
    for candidate in ranking:
        faq_id = str(candidate.get("intent_response_key") or "").split("/", 1)[-1]
        faq = knowledge.get(faq_id, language)
        if faq is not None:
            confidence = round(float(candidate.get("confidence") or 0.0), 3)
            found.append({"faq_id": faq.id, "question": faq.question, "answer": faq.answer, "confidence": confidence})
        if len(found) == limit:
            break
    return found


def last_customer_text(transcript: list[Any]) -> str:
    """The newest message the customer wrote, or an empty string."""
    for entry in reversed(transcript):
        if entry.role == "customer":
            return str(entry.text)
    return ""
