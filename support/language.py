"""Which language a message is written in, and which one a conversation is in (data/languages.yml).

Shared by the gateway, which decides each conversation's language and passes it to Rasa, and by
the NLU pipeline, which reads each message with the classifier of the message's own language.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

# The slot holding the conversation's language in Rasa, and the condition of a response's
# variation in that language (domain.yml).
LANGUAGE_SLOT = "language"
# LANGUAGES_FILE replaces it for one process: scripts/compare_korean_nlu.py tries other encoders with it.
LANGUAGES_FILE = Path(
    os.environ.get("LANGUAGES_FILE") or Path(__file__).resolve().parent.parent / "data" / "languages.yml"
)
# Carry no language: the letters in an address, a link or markup are not what the customer wrote in.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>")
_LINK_STARTS = ("http://", "https://", "www.")


@dataclass(frozen=True)
class Language:
    """One language: how to recognise its letters, and how sure a switch to it must be."""

    code: str
    name: str
    letters: re.Pattern[str]
    letter_weight: float
    min_letters_to_switch: int
    sentence_encoder: str


@dataclass(frozen=True)
class Reading:
    """A message's language and how many of its letters are in that language (0: no language)."""

    language: str | None
    letters: int


class Languages:
    """The configured languages, the default first."""

    def __init__(self, default: str, languages: list[Language]) -> None:
        self.default = default
        self._languages = {language.code: language for language in languages}
        if default not in self._languages:
            raise ValueError(f"the default language {default!r} is not configured")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Languages:
        """Reads the structure of data/languages.yml."""
        languages = [
            Language(
                code=str(code),
                name=str(entry["name"]),
                letters=re.compile(f"[{entry['letters']}]"),
                letter_weight=float(entry["letter_weight"]),
                min_letters_to_switch=int(entry["min_letters_to_switch"]),
                sentence_encoder=str(entry["sentence_encoder"]),
            )
            for code, entry in config["languages"].items()
        ]
        return cls(str(config["default"]), languages)

    @property
    def codes(self) -> list[str]:
        """Every language's code, the default first."""
        return [self.default] + [code for code in self._languages if code != self.default]

    def name(self, code: str) -> str:
        """A language's own name (English, 한국어)."""
        return self._languages[code].name

    def sentence_encoder(self, code: str) -> str:
        """The sentence encoder that reads the language (addons/sentence_featurizer.py)."""
        return self._languages.get(code, self._languages[self.default]).sentence_encoder

    def read(self, text: str) -> Reading:
        """The language whose weighted letters dominate the text, if it has letters at all."""
        text = _language_bearing(text)
        counts = {code: len(language.letters.findall(text)) for code, language in self._languages.items()}
        weighted = {code: counts[code] * self._languages[code].letter_weight for code in counts}
        best = max(weighted, key=lambda code: (weighted[code], code == self.default))
        if not counts[best]:
            return Reading(None, 0)
        return Reading(best, counts[best])

    def detect(self, text: str) -> str | None:
        """The message's language, or None for digits, emoji, punctuation, addresses and links."""
        return self.read(text).language

    def from_hint(self, hint: str | None) -> str | None:
        """A configured language from a locale tag such as 'ko-KR', 'en_US' or 'ko' (None if unknown)."""
        if not hint:
            return None
        primary = re.split(r"[-_]", str(hint).strip().lower(), maxsplit=1)[0]
        return primary if primary in self._languages else None

    def follow(self, current: str | None, text: str, hint: str | None = None) -> str:
        """The conversation's language after the customer sent ``text``.

        The first message decides, or the channel's hint (the browser's or Telegram's language)
        when it carries no language; after that, only a clear message in another language switches.
        """
        reading = self.read(text)
        if current not in self._languages:
            return reading.language or self.from_hint(hint) or self.default
        assert current is not None
        if reading.language is None or reading.language == current:
            return current
        if reading.letters >= self._languages[reading.language].min_letters_to_switch:
            return reading.language
        return current


@lru_cache(maxsize=1)
def languages() -> Languages:
    """The languages of data/languages.yml, read once per process."""
    return Languages.from_config(yaml.safe_load(LANGUAGES_FILE.read_text(encoding="utf-8")))


def variation_language(variation: dict[str, Any]) -> str | None:
    """The language a response variation is written in: its ``language`` slot condition, if any."""
    conditions = variation.get("condition") or []
    return next((str(c["value"]) for c in conditions if c.get("name") == LANGUAGE_SLOT), None)


def variation_in(variations: list[dict[str, Any]], language: str) -> dict[str, Any] | None:
    """A response's first variation in a language, else its first unconditioned one."""
    written = [v for v in variations if variation_language(v) == language]
    plain = [v for v in variations if not v.get("condition")]
    return next(iter(written or plain), None)


def _language_bearing(text: str) -> str:
    r"""The text without its addresses, links and markup.

    Word by word rather than one pattern such as ``\S+@\S+``: that backtracks over a long run
    without spaces in quadratic time (30 s for a 150,000-character message).
    """
    words = _MARKUP.sub(" ", text).split()
    return " ".join(word for word in words if "@" not in word and not word.lower().startswith(_LINK_STARTS))
