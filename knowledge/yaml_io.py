"""Reads and writes the knowledge files so that they stay clean YAML that diffs well.

Layout, as the files are written by hand::

    # One comment line saying what the topic covers.
    topic: shipping
    language: en
    title: Shipping
    faqs:
      - id: shipping_cost
        question: How much is delivery?
        answer: >-
          A one-line answer folded near 80 columns (multi-line answers use ``|-``).
        phrasings:
          - how much is delivery
        held_out:
          - what does shipping cost

Every scalar keeps the exact text it was written with as long as its value is unchanged, so an
unchanged file is written back byte for byte and an edit touches only the lines of what changed.
New values are written in the layout above.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.base import Faq, KnowledgeError, _parse_faq

FILE_KEYS = ("topic", "language", "title", "faqs")
FAQ_KEYS = ("id", "question", "answer", "phrasings", "held_out")
ANSWER_WIDTH = 80
ANSWER_INDENT = " " * 6

# (kind, value) -> the YAML text that wrote the value; kinds: "title", "question", "answer", "phrasing".
Snippets = Mapping[tuple[str, str], str]


@dataclass(frozen=True)
class TopicFile:
    """One ``<language>/<topic>.yml`` file: its header, its FAQs and the text they were written with."""

    path: Path
    topic: str
    language: str
    title: str
    faqs: tuple[Faq, ...]
    comment: str = ""
    snippets: Snippets = field(default_factory=dict, compare=False, repr=False)


def read_directory(directory: Path) -> list[TopicFile]:
    """Reads every ``<language>/<topic>.yml`` below ``directory``, in path order."""
    files = sorted(directory.glob("*/*.yml"))
    if not files:
        raise KnowledgeError(f"no knowledge files found in {directory}")
    return [read_topic_file(path) for path in files]


def read_topic_file(path: Path) -> TopicFile:
    """Reads one knowledge file, checking its schema, and remembers how each value was written."""
    return parse_topic_file(path, path.read_text(encoding="utf-8"))


def parse_topic_file(path: Path, text: str) -> TopicFile:
    """Parses the text of the knowledge file at ``path``."""
    root, document = _compose(path, text)
    if not isinstance(document, dict) or not isinstance(document.get("faqs"), list):
        raise KnowledgeError(f"{path}: expected a mapping with a 'faqs' list")
    _check_keys(path, document, FILE_KEYS, "the file")
    topic = str(document.get("topic") or path.stem)
    language = str(document.get("language") or path.parent.name)
    if language != path.parent.name:
        raise KnowledgeError(f"{path}: language '{language}' differs from its folder")
    faqs = tuple(_read_faq(path, entry, topic, language) for entry in document["faqs"])
    return TopicFile(
        path=path,
        topic=topic,
        language=language,
        title=str(document.get("title") or ""),
        faqs=faqs,
        comment=text[: root.start_mark.index],
        snippets=_snippets(text, root),
    )


def dump_topic_file(file: TopicFile) -> str:
    """Returns the YAML text of a knowledge file in the project's layout, checked by reading it back."""
    for snippets in (file.snippets, {}):
        text = _layout(file, snippets)
        if _reads_back(file, text):
            return text
    text = _plain_dump(file)
    if _reads_back(file, text):
        return text
    raise KnowledgeError(f"{file.path}: cannot be written as YAML that reads back the same")


def _layout(file: TopicFile, snippets: Snippets) -> str:
    lines = [f"topic: {_inline(file.topic)}", f"language: {_inline(file.language)}"]
    if file.title:
        lines.append(f"title: {snippets.get(('title', file.title)) or _inline(file.title)}")
    lines.append("faqs:" if file.faqs else "faqs: []")
    blocks = ["\n".join(_faq_lines(faq, snippets)) for faq in file.faqs]
    return file.comment + "\n".join(lines) + "\n" + "\n\n".join(blocks) + ("\n" if blocks else "")


def write_files(files: Iterable[TopicFile]) -> None:
    """Writes the files atomically: each goes to a temporary file in its folder, then all are renamed."""
    staged: list[tuple[str, Path]] = []
    try:
        for file in files:
            staged.append((_stage(file.path, dump_topic_file(file)), file.path))
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            if os.path.exists(temporary):
                os.unlink(temporary)
    for directory in {path.parent for _, path in staged}:
        _fsync_directory(directory)


def _compose(path: Path, text: str) -> tuple[yaml.Node, Any]:
    """The file's node tree (which knows where each value was written) and its data."""
    try:
        loader = yaml.CSafeLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                raise KnowledgeError(f"{path}: expected a mapping with a 'faqs' list")
            return root, loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path}: not valid YAML: {error}") from error


def _check_keys(path: Path, mapping: dict[Any, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [str(key) for key in mapping if key not in allowed]
    if unknown:
        raise KnowledgeError(f"{path}: unknown key(s) {', '.join(unknown)} in {where}; allowed: {', '.join(allowed)}")


def _read_faq(path: Path, entry: Any, topic: str, language: str) -> Faq:
    if isinstance(entry, dict):
        name = f"FAQ {entry.get('id', '?')}"
        _check_keys(path, entry, FAQ_KEYS, name)
        for key in ("id", "question", "answer"):
            _check_text(path, name, key, entry.get(key))
        for key in ("phrasings", "held_out"):
            values = entry.get(key) or []
            if not isinstance(values, list):
                raise KnowledgeError(f"{path}: {name}: {key} must be a list")
            for value in values:
                _check_text(path, name, f"{key} entry", value)
    return _parse_faq(entry, topic, language, path)


def _check_text(path: Path, name: str, what: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise KnowledgeError(f"{path}: {name}: {what} {value!r} is not text; put it in quotes")


def _snippets(text: str, root: yaml.Node) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}

    def remember(kind: str, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode):
            found[(kind, str(node.value).strip())] = text[node.start_mark.index : node.end_mark.index].rstrip("\n")

    for key, value in _pairs(root):
        if key == "title":
            remember("title", value)
        elif key == "faqs" and isinstance(value, yaml.SequenceNode):
            for faq in value.value:
                faq_id = next((str(v.value) for k, v in _pairs(faq) if k == "id"), "")
                for faq_key, faq_value in _pairs(faq):
                    if faq_key in ("question", "answer"):
                        remember(faq_key, faq_value)
                    if faq_key == "answer" and isinstance(faq_value, yaml.ScalarNode) and faq_value.style == ">":
                        found[("folded_answer_of", faq_id)] = found[("answer", str(faq_value.value).strip())]
                    elif faq_key in ("phrasings", "held_out") and isinstance(faq_value, yaml.SequenceNode):
                        for item in faq_value.value:
                            remember("phrasing", item)
    return found


def _pairs(node: yaml.Node) -> list[tuple[str, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(str(key.value), value) for key, value in node.value]


def _faq_lines(faq: Faq, snippets: Snippets) -> list[str]:
    answer = snippets.get(("answer", faq.answer)) or _answer(faq.answer, snippets.get(("folded_answer_of", faq.id)))
    lines = [
        f"  - id: {_inline(faq.id)}",
        f"    question: {snippets.get(('question', faq.question)) or _inline(faq.question)}",
        f"    answer: {answer}",
    ]
    for key, values in (("phrasings", faq.phrasings), ("held_out", faq.held_out)):
        if values:
            lines.append(f"    {key}:")
            lines.extend(f"      - {snippets.get(('phrasing', value)) or _inline(value)}" for value in values)
    return lines


def _inline(value: str) -> str:
    """A one-line scalar: plain when YAML allows it, else double-quoted."""
    plain = _dump_scalar(value, None)
    return plain if plain[:1] not in ("'", '"') and "\n" not in plain else _dump_scalar(value, '"')


def _dump_scalar(value: str, style: str | None) -> str:
    text = yaml.dump(
        {"k": value}, Dumper=yaml.CSafeDumper, default_style=style, allow_unicode=True, width=1_000_000
    ).rstrip("\n")
    return text.split(": ", 1)[1] if style is None else text.split('": ', 1)[1]


def _answer(answer: str, previous: str | None) -> str:
    """An answer as a block scalar: literal for several lines, else folded near 80 columns.

    A folded answer keeps the lines of its previous version (``previous``, as written) that start
    or end it unchanged, so that the diff shows only the lines that changed.
    """
    if "\n" in answer:
        return "|-\n" + "\n".join(ANSWER_INDENT + line if line else "" for line in answer.split("\n"))
    old_lines = [line.strip() for line in previous.split("\n")[1:]] if previous else []
    lines = _refold(answer, old_lines, ANSWER_WIDTH - len(ANSWER_INDENT))
    return ">-\n" + "\n".join(ANSWER_INDENT + line for line in lines)


def _refold(text: str, old_lines: list[str], width: int) -> list[str]:
    """Folds ``text``, reusing the old lines that still start and end it."""
    head: list[str] = []
    start = 0
    for line in old_lines:
        end = start + len(line)
        if not line or not text.startswith(line, start) or not (end == len(text) or _foldable(text, end)):
            break
        head.append(line)
        if end == len(text):
            return head
        start = end + 1
    tail: list[str] = []
    stop = len(text)
    for line in reversed(old_lines[len(head) :]):
        begin = stop - len(line)
        if not line or begin < start or not text.startswith(line, begin) or not _foldable(text, begin - 1):
            break
        tail.insert(0, line)
        stop = begin - 1
    middle = text[start:stop]
    return head + (_fold(middle, width) if middle else []) + tail


def _fold(text: str, width: int) -> list[str]:
    """Splits a line at single spaces (the only places a folded scalar can break) near ``width``."""
    lines: list[str] = []
    start = 0
    while len(text) - start > width:
        cut = _break_before(text, start, start + width) or _break_after(text, start + width)
        if cut is None:
            break
        lines.append(text[start:cut])
        start = cut + 1
    lines.append(text[start:])
    return lines


def _foldable(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and text[index] == " " and text[index - 1] != " " and text[index + 1] != " "


def _break_before(text: str, start: int, end: int) -> int | None:
    return next((i for i in range(end, start, -1) if _foldable(text, i)), None)


def _break_after(text: str, start: int) -> int | None:
    return next((i for i in range(start, len(text)) if _foldable(text, i)), None)


def _reads_back(file: TopicFile, text: str) -> bool:
    try:
        again = parse_topic_file(file.path, text)
    except KnowledgeError:
        return False
    return again == file


def _document(file: TopicFile) -> dict[str, Any]:
    document: dict[str, Any] = {"topic": file.topic, "language": file.language}
    if file.title:
        document["title"] = file.title
    document["faqs"] = [faq_record(faq) for faq in file.faqs]
    return document


def faq_record(faq: Faq) -> dict[str, Any]:
    """An FAQ as it is written in its file (without topic and language)."""
    record: dict[str, Any] = {
        "id": faq.id,
        "question": faq.question,
        "answer": faq.answer,
        "phrasings": list(faq.phrasings),
    }
    if faq.held_out:
        record["held_out"] = list(faq.held_out)
    return record


def _plain_dump(file: TopicFile) -> str:
    """PyYAML's own layout, for values the hand-made layout cannot carry (never needed by the current files)."""
    return file.comment + yaml.dump(
        _document(file), Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=ANSWER_WIDTH
    )


def _stage(path: Path, text: str) -> str:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    if path.exists():
        os.chmod(temporary, path.stat().st_mode & 0o777)
    else:
        os.chmod(temporary, 0o644)
    return temporary


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
