"""Sorts a survey comment into a theme with the keyword rules in ``data/feedback/categories.yml``.

Plain rules rather than a model: the themes are few, editors can read and change the
keywords, and a wrong theme is easy to explain. The file says how keywords match.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT
from bot.texts import DEFAULT_LANGUAGE

CATEGORIES_FILE = PROJECT_ROOT / "data" / "feedback" / "categories.yml"
OTHER = "other"
CATEGORIES = ("delivery", "refund", "product", "bot_misunderstood", "agent", OTHER)
WORD = re.compile(r"\w+")
APOSTROPHES = re.compile(r"['’`]")
PREFIX = "*"

# A keyword is a sequence of words; a word ending in PREFIX matches any word that starts with it.
Keyword = tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    """One language's keywords per category, in priority order."""

    categories: tuple[tuple[str, tuple[Keyword, ...]], ...]

    def categorise(self, text: str) -> str:
        """The category with the most matching keywords (the first listed on a tie), else ``other``."""
        words = words_of(text)
        best, best_hits = OTHER, 0
        for category, keywords in self.categories:
            hits = sum(1 for keyword in keywords if _occurs(keyword, words))
            if hits > best_hits:
                best, best_hits = category, hits
        return best


def words_of(text: str) -> list[str]:
    """Lower-case words, with apostrophes dropped so "didn't" and "didnt" are one word."""
    folded = APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold())
    return WORD.findall(folded)


def load_rules(path: Path = CATEGORIES_FILE) -> dict[str, Rules]:
    """Every language's rules; raises ValueError on an unknown category or a malformed entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected languages at the top level")
    return {str(language): _rules(path, language, block) for language, block in data.items()}


def categorise(text: str, language: str) -> str:
    """The theme of a survey comment: delivery, refund, product, bot_misunderstood, agent or other."""
    rules = _default_rules()
    return (rules.get(language) or rules[DEFAULT_LANGUAGE]).categorise(text)


@functools.cache
def _default_rules() -> dict[str, Rules]:
    return load_rules()


def _rules(path: Path, language: object, block: object) -> Rules:
    if not isinstance(block, dict):
        raise ValueError(f"{path}: {language}: expected categories with keyword lists")
    categories = []
    for category, keywords in block.items():
        if category not in CATEGORIES or category == OTHER:
            raise ValueError(f"{path}: {language}: unknown category {category!r}")
        if not isinstance(keywords, list) or not keywords:
            raise ValueError(f"{path}: {language}: {category} needs a list of keywords")
        where = f"{path}: {language}: {category}"
        categories.append((str(category), tuple(_keyword(str(k), where) for k in keywords)))
    return Rules(tuple(categories))


def _keyword(text: str, where: str) -> Keyword:
    """A keyword's words, normalised like a comment's, each keeping its trailing PREFIX marker."""
    parts = []
    for part in text.split():
        core = "".join(words_of(part.removesuffix(PREFIX)))
        if not core:
            # An empty prefix would match every word.
            raise ValueError(f"{where}: keyword {text!r} has a part without letters")
        parts.append(core + PREFIX if part.endswith(PREFIX) else core)
    if not parts:
        raise ValueError(f"{where}: empty keyword")
    return tuple(parts)


def _occurs(keyword: Keyword, words: list[str]) -> bool:
    size = len(keyword)
    return any(
        all(_matches(pattern, word) for pattern, word in zip(keyword, words[start : start + size], strict=True))
        for start in range(len(words) - size + 1)
    )


def _matches(pattern: str, word: str) -> bool:
    if pattern.endswith(PREFIX):
        return word.startswith(pattern[:-1])
    return word == pattern
