"""Picks the FAQ to answer and the choices offered when the assistant is unsure."""

from __future__ import annotations

import json
from typing import Any

from knowledge import Faq, KnowledgeBase

FAQ_INTENT = "faq"
IGNORED_SUGGESTIONS = {"nlu_fallback", "out_of_scope", FAQ_INTENT}


def predicted_faq_id(latest_message: dict[str, Any]) -> str | None:
    """The FAQ id chosen by a button (``faq_id`` entity) or by the response selector."""
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") == "faq_id":
            return str(entity.get("value"))
    selected = (latest_message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    key = (selected.get("response") or {}).get("intent_response_key")
    return key.split("/", 1)[1] if key and "/" in key else None


def answer_message(faq: Faq, alternatives: list[str]) -> dict[str, Any]:
    """The bot message for an FAQ: its answer, with its id and the runners-up in the message metadata."""
    return {"text": faq.answer, "faq_id": faq.id, "language": faq.language, "faq_alternatives": alternatives}


def runner_up_ids(latest_message: dict[str, Any], chosen: str, limit: int = 3) -> list[str]:
    """The next most likely FAQ ids after the chosen one (offered after a thumbs-down)."""
    selected = (latest_message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    ids = [str(c.get("intent_response_key") or "").split("/", 1)[-1] for c in selected.get("ranking") or []]
    return [faq_id for faq_id in ids if faq_id and faq_id != chosen][:limit]


def faq_button(faq: Faq) -> dict[str, str]:
    """A button that asks this FAQ directly."""
    return {"title": faq.question, "payload": f"/{FAQ_INTENT}{json.dumps({'faq_id': faq.id})}"}


def suggestions(
    latest_message: dict[str, Any],
    knowledge: KnowledgeBase,
    language: str,
    intent_labels: dict[str, str],
    limit: int = 2,
) -> list[dict[str, str]]:
    """Buttons for the most likely meanings of an unclear message, best first.

    Candidates are the top FAQs of the response selector when ``faq`` ranks high,
    and the other intents that have a customer-facing label.
    """
    buttons: list[dict[str, str]] = []
    for intent in latest_message.get("intent_ranking") or []:
        name = intent.get("name")
        if name == FAQ_INTENT:
            buttons += _faq_candidates(latest_message, knowledge, language)
        elif name not in IGNORED_SUGGESTIONS and name in intent_labels:
            buttons.append({"title": intent_labels[name], "payload": f"/{name}"})
        if len(buttons) >= limit:
            break
    return buttons[:limit]


def _faq_candidates(latest_message: dict[str, Any], knowledge: KnowledgeBase, language: str) -> list[dict[str, str]]:
    selected = (latest_message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    buttons = []
    for candidate in selected.get("ranking") or []:
        key = candidate.get("intent_response_key") or ""
        faq = knowledge.get(key.split("/", 1)[-1], language)
        if faq is not None:
            buttons.append(faq_button(faq))
    return buttons[:2]
