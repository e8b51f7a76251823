"""The change log of the knowledge base: one JSON object per line, oldest first."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Change:
    """One saved edit, with the values before and after it.

    ``old`` and ``new`` by operation: ``edit_answer`` the answers; the phrasing operations
    ``{"faq_id", "text", "position"}`` (the FAQ, the phrasing and its index there) before and after,
    ``None`` for none (``add_phrasing``'s old, ``remove_phrasing``'s new); ``add_faq`` ``None`` and
    the FAQ as a mapping with its topic; ``retire_faq`` the FAQ (with its topic and its ``position``
    in its file) and ``None``. A rollback is logged with the inverse operation and
    ``reverts`` set to the id of the change it undoes. ``versions`` maps each FAQ the change touched
    (both, for a move) to its version before and after the change (``None`` where it did not exist).
    """

    id: str
    editor: str
    ts: float
    operation: str
    language: str
    faq_id: str
    old: Any
    new: Any
    needs_training: bool
    reverts: str | None = None
    warnings: tuple[str, ...] = field(default=())
    versions: dict[str, list[str | None]] = field(default_factory=dict)

    @property
    def faq_ids(self) -> tuple[str, ...]:
        """The FAQs the change touched: the one it names, and for a move the FAQ the phrasing went to."""
        if self.operation == "move_phrasing":
            return (self.old["faq_id"], self.new["faq_id"])
        return (self.faq_id,)

    @staticmethod
    def new_id() -> str:
        """A fresh, unique change id."""
        return uuid.uuid4().hex[:12]

    def to_json(self) -> str:
        """The change as one line of JSON."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_json(cls, line: str) -> Change:
        """Reads a change written by ``to_json``."""
        record = json.loads(line)
        record["warnings"] = tuple(record.get("warnings") or ())
        record["versions"] = record.get("versions") or {}
        return cls(**record)


@dataclass(frozen=True)
class Entry:
    """A change with its number in the log: 1 for the first change ever saved, and so on."""

    number: int
    change: Change


class ChangeLog:
    """Appends changes to a JSON lines file and reads them back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, change: Change) -> None:
        """Adds a change at the end of the log and flushes it to disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(change.to_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def recent(self, limit: int = 50) -> list[Change]:
        """The latest changes, newest first."""
        return list(reversed(self._all()))[:limit] if limit > 0 else []

    def get(self, change_id: str) -> Change | None:
        """The change with this id, if it is in the log."""
        return next((change for change in self._all() if change.id == change_id), None)

    def entries(self) -> list[Entry]:
        """Every change with its number, oldest first."""
        return [Entry(number, change) for number, change in enumerate(self._all(), start=1)]

    def page(
        self, faq_id: str | None = None, editor: str | None = None, before: int | None = None, limit: int = 20
    ) -> tuple[list[Entry], bool]:
        """One page of the log, newest first, and whether older matching entries follow.

        Args:
            faq_id: only changes that touched this FAQ (in any language; a move touches two).
            editor: only changes by this editor.
            before: only entries numbered below this one (the last number of the previous page).
            limit: at most this many entries.
        """
        found = [
            entry
            for entry in reversed(self.entries())
            if (faq_id is None or faq_id in entry.change.faq_ids)
            and (editor is None or entry.change.editor == editor)
            and (before is None or entry.number < before)
        ]
        return found[: max(limit, 0)], len(found) > limit

    def editors(self) -> list[str]:
        """Everyone who saved a change, sorted."""
        return sorted({change.editor for change in self._all()})

    def _all(self) -> list[Change]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [Change.from_json(line) for line in lines if line.strip()]
