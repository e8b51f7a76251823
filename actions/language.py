"""The conversation's language, as the ``language`` slot holds it (rules in support/language.py)."""

from __future__ import annotations

from typing import Any

from support.language import languages


def conversation_language(metadata: dict[str, Any] | None, current: str | None, text: str) -> str:
    """The language the gateway decided for this message, else the same rule applied to the text.

    Without the gateway (``rasa shell``, test stories) the slot still follows the customer.
    """
    decided = (metadata or {}).get("language")
    if decided in languages().codes:
        return str(decided)
    return languages().follow(current, text)
