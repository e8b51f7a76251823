"""The change log for people: what kind of change each entry is, and a word-level diff of its text."""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict
from typing import Any

from knowledge.changelog import Change, Entry

# A word with the spaces after it (or the spaces a text starts with): the diff's unit, so
# "₩3,000." against "₩3,500." is one word replaced, and the texts join back exactly.
WORD = re.compile(r"\S+\s*|\s+")
KINDS = {
    "edit_answer": "edit answer",
    "add_phrasing": "add phrasing",
    "remove_phrasing": "remove phrasing",
    "move_phrasing": "move phrasing",
    "add_faq": "add FAQ",
    "retire_faq": "retire FAQ",
}

# ("equal" | "insert" | "delete", text)
Segment = tuple[str, str]


def word_diff(old: str, new: str) -> list[Segment]:
    """The difference of two texts word by word (difflib), as segments that join back to either text."""
    before, after = WORD.findall(old), WORD.findall(new)
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, start, end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            _add(segments, "equal", "".join(before[start:end]))
            continue
        _add(segments, "delete", "".join(before[start:end]))
        _add(segments, "insert", "".join(after[new_start:new_end]))
    return segments


def kind(change: Change, numbers: dict[str, int]) -> str:
    """What the change did in a few words: "edit answer", "move phrasing to x", "rollback of #12 (…)"."""
    what = KINDS.get(change.operation, change.operation)
    if change.operation == "move_phrasing":
        what = f"move phrasing from {change.old['faq_id']} to {change.new['faq_id']}"
    if change.reverts:
        number = numbers.get(change.reverts)
        return f"rollback of {f'#{number}' if number else change.reverts} ({what})"
    return what


def diff(change: Change) -> list[Segment]:
    """The text the change took out and put in: the answers' word diff, the phrasing, or the whole FAQ."""
    old, new = change.old, change.new
    if change.operation == "edit_answer":
        return word_diff(old, new)
    if change.operation == "add_phrasing":
        return [("insert", new["text"])]
    if change.operation == "remove_phrasing":
        return [("delete", old["text"])]
    if change.operation == "move_phrasing":
        return [("equal", old["text"])]
    if change.operation == "add_faq":
        return [("insert", _faq_text(new))]
    if change.operation == "retire_faq":
        return [("delete", _faq_text(old))]
    return []


def described(entry: Entry, numbers: dict[str, int]) -> dict[str, Any]:
    """A log entry as the editor page shows it: the change, its number, kind and diff."""
    change = entry.change
    return {
        **asdict(change),
        "number": entry.number,
        "kind": kind(change, numbers),
        "diff": [list(segment) for segment in diff(change)],
    }


def numbers_of(entries: list[Entry]) -> dict[str, int]:
    """Each change id's number in the log."""
    return {entry.change.id: entry.number for entry in entries}


def changes_since(entries: list[Entry], language: str, faq_id: str, version: str) -> list[Entry]:
    """The logged changes to an FAQ since it had ``version``, oldest first (empty when the log can't tell)."""
    since: list[Entry] = []
    for entry in reversed(entries):
        change = entry.change
        if change.language != language or faq_id not in change.versions:
            continue
        before, after = change.versions[faq_id]
        if after == version:
            return since[::-1]
        since.append(entry)
        if before == version:
            return since[::-1]
    return []


def _faq_text(record: dict[str, Any]) -> str:
    phrasings = "".join(f"\n- {phrasing}" for phrasing in record.get("phrasings") or ())
    return f"{record['question']}\n{record['answer']}{phrasings}"


def _add(segments: list[Segment], operation: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1][0] == operation:
        segments[-1] = (operation, segments[-1][1] + text)
    else:
        segments.append((operation, text))
