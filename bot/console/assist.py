"""Agent assist: the knowledge-base answers that best fit the customer's last question.

Answers and the bot's words in a summary come with display segments (bot/rendering.py), so the
console shows their markdown as text and links, never as HTML.
"""

from __future__ import annotations

from typing import Any

from bot.rendering import segments
from bot.store.transcripts import Entry
from bot.surveys import GATEWAY_PAYLOADS
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
            found.append(
                {
                    "faq_id": faq.id,
                    "question": faq.question,
                    "answer": faq.answer,
                    "segments": segments(faq.answer),
                    "confidence": confidence,
                }
            )
        if len(found) == limit:
            break
    return found


def last_customer_text(transcript: list[Entry]) -> str:
    """The newest message the customer wrote, or an empty string; a rating or survey button is no question."""
    for entry in reversed(transcript):
        if entry.role == "customer" and not str(entry.meta.get("payload") or entry.text).startswith(GATEWAY_PAYLOADS):
            return str(entry.text)
    return ""


def said_segments(handoff_context: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The display segments of what the bot said before the handoff, as its summary lists it."""
    said = (handoff_context.get("summary") or {}).get("bot_said") or []
    return [segments(str(text)) for text in said]
