"""Reads the knowledge files in ``data/knowledge/<language>/<topic>.yml``.

Answers are read at run time, so an edited answer goes live without retraining;
only the phrasings feed the NLU model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FAQ_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
REQUIRED_FAQ_FIELDS = ("id", "question", "answer", "phrasings")
# The one knowledge folder: training (config.yml), Rasa, the actions and the editor all read it, so
# it is not configurable (a second location would split what editors change from what is served).
KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "data" / "knowledge"


class KnowledgeError(ValueError):
    """A knowledge file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Faq:
    """One question with its answer and the ways customers ask it."""

    id: str
    topic: str
    language: str
    question: str
    answer: str
    phrasings: tuple[str, ...]
    held_out: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        """A digest of everything stored for the FAQ: any change, in the editor or in git, gives another.

        Made from the values, not the file's bytes, so re-wrapping a folded answer changes nothing.
        """
        values = [self.id, self.topic, self.language, self.question, self.answer, self.phrasings, self.held_out]
        return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()[:16]


class KnowledgeBase:
    """All FAQs of all languages, indexed by language and id."""

    def __init__(self, faqs: list[Faq]) -> None:
        self._by_key: dict[tuple[str, str], Faq] = {}
        for faq in faqs:
            key = (faq.language, faq.id)
            if key in self._by_key:
                raise KnowledgeError(f"FAQ id '{faq.id}' is defined twice for '{faq.language}'")
            self._by_key[key] = faq

    @classmethod
    def load(cls, directory: Path) -> KnowledgeBase:
        """Loads every ``<language>/<topic>.yml`` below ``directory``."""
        files = sorted(directory.glob("*/*.yml"))
        if not files:
            raise KnowledgeError(f"no knowledge files found in {directory}")
        return cls([faq for path in files for faq in _read_file(path)])

    def get(self, faq_id: str, language: str) -> Faq | None:
        """Returns the FAQ with this id in this language, if there is one."""
        return self._by_key.get((language, faq_id))

    def faqs(self, language: str) -> list[Faq]:
        """Returns the FAQs of one language in file order."""
        return [faq for (lang, _), faq in self._by_key.items() if lang == language]

    def __iter__(self) -> Iterator[Faq]:
        return iter(self._by_key.values())


class KnowledgeRepository:
    """Serves the current knowledge base, reloading it when a file changes."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._signature: tuple[tuple[str, int, int, int], ...] = ()
        self._base: KnowledgeBase | None = None

    def current(self) -> KnowledgeBase:
        """Returns the knowledge base as the files are now."""
        signature = self._files_signature()
        if self._base is None or signature != self._signature:
            self._base = KnowledgeBase.load(self._directory)
            self._signature = signature
        return self._base

    def _files_signature(self) -> tuple[tuple[str, int, int, int], ...]:
        stats = ((path, path.stat()) for path in sorted(self._directory.glob("*/*.yml")))
        return tuple((str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino) for path, stat in stats)


def _read_file(path: Path) -> list[Faq]:
    try:
        # The C loader makes the reload after an editor's change about ten times faster.
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("faqs"), list):
        raise KnowledgeError(f"{path}: expected a mapping with a 'faqs' list")
    topic = str(document.get("topic") or path.stem)
    language = str(document.get("language") or path.parent.name)
    if language != path.parent.name:
        raise KnowledgeError(f"{path}: language '{language}' differs from its folder")
    return [_parse_faq(entry, topic, language, path) for entry in document["faqs"]]


def _parse_faq(entry: Any, topic: str, language: str, path: Path) -> Faq:
    if not isinstance(entry, dict):
        raise KnowledgeError(f"{path}: every FAQ must be a mapping")
    missing = [field for field in REQUIRED_FAQ_FIELDS if not entry.get(field)]
    if missing:
        raise KnowledgeError(f"{path}: FAQ {entry.get('id', '?')} lacks {', '.join(missing)}")
    faq_id = str(entry["id"])
    if not FAQ_ID_PATTERN.match(faq_id):
        raise KnowledgeError(f"{path}: FAQ id '{faq_id}' must be snake_case, at most 40 chars")
    return Faq(
        id=faq_id,
        topic=topic,
        language=language,
        question=str(entry["question"]).strip(),
        answer=str(entry["answer"]).strip(),
        phrasings=tuple(str(p).strip() for p in entry["phrasings"]),
        held_out=tuple(str(p).strip() for p in entry.get("held_out") or ()),
    )
