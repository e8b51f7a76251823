"""The gateway's own customer-facing texts, read from the responses in domain.yml.

The gateway speaks when Rasa can't (it is down, a message is refused), so it reads
the same response file instead of keeping texts in code. Variations conditioned on
the ``language`` slot give other languages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEFAULT_LANGUAGE = "en"


class Texts:
    """Response texts by name and language."""

    def __init__(self, responses: dict[str, list[dict[str, Any]]]) -> None:
        self._responses = responses

    @classmethod
    def load(cls, domain_file: Path) -> Texts:
        """Reads the responses section of the domain."""
        domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
        return cls(domain.get("responses") or {})

    def get(self, name: str, language: str = DEFAULT_LANGUAGE) -> str:
        """The text of a response for a language, falling back to the unconditioned variation."""
        variations = self._responses.get(name)
        if not variations:
            raise KeyError(f"response {name!r} is not in the domain")
        for variation in variations:
            if _language_of(variation) == language:
                return str(variation["text"])
        plain = [v for v in variations if not v.get("condition")]
        return str((plain or variations)[0]["text"])


def _language_of(variation: dict[str, Any]) -> str | None:
    for condition in variation.get("condition") or []:
        if condition.get("name") == "language":
            return str(condition.get("value"))
    return None
