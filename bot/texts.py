"""The gateway's own customer-facing texts, read from the responses in domain.yml.

The gateway speaks when Rasa can't (it is down, a message is refused), so it reads
the same response file instead of keeping texts in code. Variations conditioned on
the ``language`` slot give other languages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from support.language import languages, variation_in

# The language of a conversation that has not shown one yet (data/languages.yml).
DEFAULT_LANGUAGE = languages().default


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
        return str((variation_in(variations, language) or variations[0])["text"])
