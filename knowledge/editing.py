"""Safe editing of the knowledge base, shared by the editor pages and ``python -m knowledge.cli``.

Every operation takes the lock, reads the files, applies the change in memory, validates the whole
candidate knowledge base, and only then writes the changed topic files atomically and appends the
change to the change log. A refused change raises ``EditRefused`` and leaves every file untouched.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from knowledge.base import Faq, KnowledgeBase, KnowledgeError
from knowledge.changelog import Change, ChangeLog, Entry
from knowledge.history import changes_since, kind, numbers_of
from knowledge.validation import (
    DEFAULT_RULES,
    Report,
    Rules,
    check_knowledge,
    knowledge_errors,
    language_warnings,
    near_duplicates,
    normalise,
)
from knowledge.yaml_io import TopicFile, faq_record, read_directory, write_files
from support.plain_text import plain_text

# Runs on the candidate of a change that needs training; returns the problems found.
TrainingCheck = Callable[[KnowledgeBase], list[str]]


class EditRefused(ValueError):
    """A change failed validation; ``errors`` says why, and no file was touched."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class EditConflict(EditRefused):
    """The FAQ changed since the editor read it (its version differs); nothing was saved.

    ``faq`` is the FAQ as it is now (``None`` if it was retired), ``since`` the logged changes made to
    it since the editor's version (empty when it was changed in the files, outside the editor);
    ``numbers`` names the log's changes by number in the message ("rollback of #3").
    """

    def __init__(
        self, language: str, faq_id: str, version: str, faq: Faq | None, since: list[Entry], numbers: dict[str, int]
    ) -> None:
        now = faq.version if faq else "retired"
        done = "; ".join(f"#{e.number} {kind(e.change, numbers)} by {e.change.editor}" for e in since)
        super().__init__(
            [f"{faq_id} ({language}) was changed since version {version} was read (now {now}): "
             f"{done or 'in the files, outside the editor'}"]
        )  # fmt: skip
        self.language, self.faq_id, self.version, self.faq, self.since = language, faq_id, version, faq, since


class NeedsConfirmation(EditRefused):
    """The change adds phrasings nearly the same as another FAQ's; ``errors`` are the warnings to confirm."""


@dataclass
class _Draft:
    """A change applied in memory, before it is validated and saved."""

    operation: str
    language: str
    faq_id: str
    old: Any
    new: Any
    needs_training: bool
    added_phrasings: list[tuple[str, Faq]] = field(default_factory=list)
    touched: tuple[str, ...] = ()

    def faq_ids(self) -> tuple[str, ...]:
        """The FAQs the change touched (both, for a move)."""
        return self.touched or (self.faq_id,)


class _Files:
    """The knowledge files as read, and as changed in memory."""

    def __init__(self, files: list[TopicFile]) -> None:
        self._original = {file.path: file for file in files}
        self._current = dict(self._original)

    def find(self, language: str, faq_id: str) -> tuple[TopicFile, int]:
        for file in self._current.values():
            for index, faq in enumerate(file.faqs):
                if faq.language == language and faq.id == faq_id:
                    return file, index
        raise EditRefused([f"unknown FAQ id '{faq_id}' in language '{language}'"])

    def faq(self, language: str, faq_id: str) -> Faq:
        file, index = self.find(language, faq_id)
        return file.faqs[index]

    def version(self, language: str, faq_id: str) -> str | None:
        """The FAQ's version as it is now in memory; None when there is no such FAQ."""
        found = [faq for faq in self.faqs() if faq.language == language and faq.id == faq_id]
        return found[0].version if found else None

    def topic_file(self, language: str, topic: str) -> TopicFile:
        files = [file for file in self._current.values() if file.language == language]
        if not files:
            raise EditRefused([f"there are no knowledge files for language '{language}'"])
        for file in files:
            if file.topic == topic:
                return file
        known = ", ".join(sorted(file.topic for file in files))
        raise EditRefused([f"unknown topic '{topic}' in language '{language}'; topics: {known}"])

    def put(self, language: str, faq_id: str, faq: Faq | None) -> None:
        """Replaces the FAQ (or removes it, for ``None``) in its file."""
        file, index = self.find(language, faq_id)
        faqs = list(file.faqs)
        if faq is None:
            del faqs[index]
        else:
            faqs[index] = faq
        self._current[file.path] = replace(file, faqs=tuple(faqs))

    def insert(self, file: TopicFile, faq: Faq, position: int | None = None) -> None:
        faqs = list(self._current[file.path].faqs)
        faqs.insert(len(faqs) if position is None else position, faq)
        self._current[file.path] = replace(file, faqs=tuple(faqs))

    def faqs(self) -> list[Faq]:
        return [faq for file in self._current.values() for faq in file.faqs]

    def changed(self) -> list[TopicFile]:
        return [file for path, file in self._current.items() if file != self._original.get(path)]


class KnowledgeEditor:
    """Searches and edits the knowledge files of one directory, with validation, a lock and a change log."""

    def __init__(
        self,
        directory: Path,
        changelog_path: Path,
        rules: Rules = DEFAULT_RULES,
        training_check: TrainingCheck | None = None,
    ) -> None:
        """Creates an editor.

        Args:
            directory: the knowledge directory (``data/knowledge``).
            changelog_path: the JSON lines change log.
            rules: the validation limits.
            training_check: also run on changes that need training (for example a partial of
                ``validation.validate_training_data``); its problems refuse the change.
        """
        self.directory = directory
        self.rules = rules
        self.log = ChangeLog(changelog_path)
        self._training_check = training_check

    def search(self, query: str = "", language: str | None = None, topic: str | None = None) -> list[Faq]:
        """FAQs whose id, topic, question, answer or phrasings contain every word of the query."""
        terms = query.casefold().split()
        found = [
            faq
            for faq in self.current()
            if (language is None or faq.language == language)
            and (topic is None or faq.topic == topic)
            and all(term in _searchable(faq) for term in terms)
        ]
        return sorted(found, key=lambda faq: _rank(faq, terms))

    def current(self) -> KnowledgeBase:
        """The knowledge base as the files are now (read with libyaml: about 40 ms)."""
        return KnowledgeBase([faq for file in read_directory(self.directory) for faq in file.faqs])

    def get(self, language: str, faq_id: str) -> Faq | None:
        """The FAQ with this id in this language, as the files are now."""
        return self.current().get(faq_id, language)

    def topics(self, language: str) -> list[str]:
        """The topics of one language, sorted."""
        return sorted({faq.topic for faq in self.current().faqs(language)})

    def edit_answer(self, editor: str, language: str, faq_id: str, answer: str, version: str | None = None) -> Change:
        """Replaces an FAQ's answer; it is live on the next message, with no retraining.

        ``version`` (here and in the other changes to an FAQ) is the FAQ's version when the editor read
        it: if the FAQ has changed since, ``EditConflict`` is raised and nothing is saved. ``None``
        skips the check.
        """
        return self._save(
            editor, lambda files: _edit_answer(files, language, faq_id, answer), expect=(language, faq_id, version)
        )

    def add_faq(
        self,
        editor: str,
        language: str,
        topic: str,
        faq_id: str,
        question: str,
        answer: str,
        phrasings: list[str],
        confirmed: bool = True,
    ) -> Change:
        """Adds an FAQ at the end of its topic's file.

        With ``confirmed`` false, phrasings nearly the same as another FAQ's raise ``NeedsConfirmation``
        (the same for the other changes that add phrasings); with it true they are saved with warnings.
        """
        faq = Faq(
            id=faq_id.strip(),
            topic=topic.strip(),
            language=language,
            question=" ".join(plain_text(question).split()),
            answer=clean_answer(answer),
            phrasings=tuple(" ".join(plain_text(p).split()) for p in phrasings),
        )
        return self._save(editor, lambda files: _add_faq(files, faq), confirmed=confirmed)

    def add_phrasing(
        self, editor: str, language: str, faq_id: str, text: str, version: str | None = None, confirmed: bool = True
    ) -> Change:
        """Adds a training phrasing to an FAQ."""
        return self._save(
            editor,
            lambda files: _add_phrasing(files, language, faq_id, text),
            expect=(language, faq_id, version),
            confirmed=confirmed,
        )

    def remove_phrasing(self, editor: str, language: str, faq_id: str, text: str, version: str | None = None) -> Change:
        """Removes a training phrasing (matched ignoring case and spacing) from an FAQ."""
        return self._save(
            editor, lambda files: _remove_phrasing(files, language, faq_id, text), expect=(language, faq_id, version)
        )

    def move_phrasing(
        self,
        editor: str,
        language: str,
        text: str,
        from_id: str,
        to_id: str,
        version: str | None = None,
        confirmed: bool = True,
    ) -> Change:
        """Moves a training phrasing from one FAQ to another (``version``: the source FAQ's)."""
        return self._save(
            editor,
            lambda files: _move_phrasing(files, language, text, from_id, to_id),
            expect=(language, from_id, version),
            confirmed=confirmed,
        )

    def retire_faq(self, editor: str, language: str, faq_id: str, version: str | None = None) -> Change:
        """Removes an FAQ from its file; the change log keeps all of it, so it can be rolled back."""
        return self._save(
            editor, lambda files: _retire_faq(files, language, faq_id), expect=(language, faq_id, version)
        )

    def rollback(self, editor: str, change_id: str) -> Change:
        """Applies the inverse of a logged change, and logs that as a change of its own."""
        change = self.log.get(change_id)
        if change is None:
            raise EditRefused([f"there is no change with id '{change_id}'"])
        return self._save(editor, lambda files: _inverse(files, change), reverts=change.id)

    def changes(self, limit: int = 50) -> list[Change]:
        """The latest changes, newest first."""
        return self.log.recent(limit)

    def check(self, candidate: KnowledgeBase) -> Report:
        """Checks every validation rule on a knowledge base."""
        return check_knowledge(candidate, self.rules)

    def _save(
        self,
        editor: str,
        apply: Callable[[_Files], _Draft],
        reverts: str | None = None,
        expect: tuple[str, str, str | None] | None = None,
        confirmed: bool = True,
    ) -> Change:
        if not editor.strip():
            raise EditRefused(["an editor name is required"])
        with _locked(self.directory):
            files = _read(self.directory)
            if expect is not None:
                self._check_version(files, *expect)
            before = {(faq.language, faq.id): faq.version for faq in files.faqs()}
            draft = apply(files)
            candidate = self._validate(files, draft)
            similar = near_duplicates(draft.added_phrasings, candidate, self.rules.near_duplicate_warning)
            if similar and not confirmed:
                raise NeedsConfirmation(similar)
            self._check_training(candidate, draft)
            write_files(files.changed())
            change = Change(
                id=Change.new_id(),
                editor=editor.strip(),
                ts=time.time(),
                operation=draft.operation,
                language=draft.language,
                faq_id=draft.faq_id,
                old=draft.old,
                new=draft.new,
                needs_training=draft.needs_training,
                reverts=reverts,
                warnings=tuple(similar + language_warnings(candidate, draft.faq_id)),
                versions={
                    faq_id: [before.get((draft.language, faq_id)), files.version(draft.language, faq_id)]
                    for faq_id in draft.faq_ids()
                },
            )
            self.log.append(change)
        return change

    def _check_version(self, files: _Files, language: str, faq_id: str, version: str | None) -> None:
        current = files.version(language, faq_id)
        if version is None or current == version:
            return
        faq = files.faq(language, faq_id) if current else None
        entries = self.log.entries()
        since = changes_since(entries, language, faq_id, version)
        raise EditConflict(language, faq_id, version, faq, since, numbers_of(entries))

    def _validate(self, files: _Files, draft: _Draft) -> KnowledgeBase:
        try:
            candidate = KnowledgeBase(files.faqs())
        except KnowledgeError as error:
            raise EditRefused([str(error)]) from error
        errors = knowledge_errors(candidate, self.rules)
        if errors:
            raise EditRefused(errors)
        return candidate

    def _check_training(self, candidate: KnowledgeBase, draft: _Draft) -> None:
        if draft.needs_training and self._training_check is not None:
            errors = self._training_check(candidate)
            if errors:
                raise EditRefused(errors)


def clean_answer(answer: str) -> str:
    """An answer as plain text (``support.plain_text``), with no trailing spaces and no blank lines around it."""
    lines = plain_text(answer).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def lock_path(directory: Path) -> Path:
    """The lock file that serialises writes to a knowledge directory (next to it)."""
    return directory.parent / f".{directory.name}.lock"


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with lock_path(directory).open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read(directory: Path) -> _Files:
    try:
        return _Files(read_directory(directory))
    except KnowledgeError as error:
        raise EditRefused([f"the knowledge files cannot be read: {error}"]) from error


def _searchable(faq: Faq) -> str:
    return "\n".join((faq.id, faq.topic, faq.question, faq.answer, *faq.phrasings)).casefold()


def _rank(faq: Faq, terms: list[str]) -> tuple[bool, bool]:
    """Sorts an exact id first, then FAQs whose id or question has a search word, then the rest."""
    title = f"{faq.id} {faq.question.casefold()}"
    return " ".join(terms) != faq.id, not any(term in title for term in terms)


def _phrasing(text: str) -> str:
    phrasing = " ".join(plain_text(text).split())
    if not phrasing:
        raise EditRefused(["the phrasing is empty"])
    return phrasing


def _phrasing_index(faq: Faq, text: str) -> int:
    """Where the phrasing (matched ignoring case and spacing) is in the FAQ's list."""
    wanted = normalise(text)
    for index, phrasing in enumerate(faq.phrasings):
        if normalise(phrasing) == wanted:
            return index
    raise EditRefused([f"'{text}' is not a phrasing of {faq.id} ({faq.language})"])


def _with_phrasing(faq: Faq, phrasing: str, position: int | None) -> Faq:
    phrasings = list(faq.phrasings)
    phrasings.insert(len(phrasings) if position is None else position, phrasing)
    return replace(faq, phrasings=tuple(phrasings))


def _without_phrasing(faq: Faq, index: int) -> Faq:
    return replace(faq, phrasings=faq.phrasings[:index] + faq.phrasings[index + 1 :])


def _edit_answer(files: _Files, language: str, faq_id: str, answer: str) -> _Draft:
    faq = files.faq(language, faq_id)
    text = clean_answer(answer)
    if text == faq.answer:
        raise EditRefused([f"the answer of {faq_id} is already this text"])
    files.put(language, faq_id, replace(faq, answer=text))
    return _Draft("edit_answer", language, faq_id, faq.answer, text, needs_training=False)


def _add_faq(files: _Files, faq: Faq, position: int | None = None) -> _Draft:
    file = files.topic_file(faq.language, faq.topic)
    if any(other.language == faq.language and other.id == faq.id for other in files.faqs()):
        existing = files.faq(faq.language, faq.id)
        raise EditRefused([f"FAQ id '{faq.id}' already exists in language '{faq.language}' (topic {existing.topic})"])
    files.insert(file, faq, position)
    new = {"topic": faq.topic, **faq_record(faq)}
    return _Draft("add_faq", faq.language, faq.id, None, new, True, [(p, faq) for p in faq.phrasings])


def _add_phrasing(files: _Files, language: str, faq_id: str, text: str, position: int | None = None) -> _Draft:
    faq = files.faq(language, faq_id)
    phrasing = _phrasing(text)
    added = _with_phrasing(faq, phrasing, position)
    files.put(language, faq_id, added)
    new = {"faq_id": faq_id, "text": phrasing, "position": added.phrasings.index(phrasing)}
    return _Draft("add_phrasing", language, faq_id, None, new, True, [(phrasing, added)])


def _remove_phrasing(files: _Files, language: str, faq_id: str, text: str) -> _Draft:
    faq = files.faq(language, faq_id)
    index = _phrasing_index(faq, text)
    files.put(language, faq_id, _without_phrasing(faq, index))
    old = {"faq_id": faq_id, "text": faq.phrasings[index], "position": index}
    return _Draft("remove_phrasing", language, faq_id, old, None, needs_training=True)


def _move_phrasing(
    files: _Files, language: str, text: str, from_id: str, to_id: str, position: int | None = None
) -> _Draft:
    if from_id == to_id:
        raise EditRefused([f"'{text}' is already a phrasing of {to_id}"])
    source, target = files.faq(language, from_id), files.faq(language, to_id)
    index = _phrasing_index(source, text)
    phrasing = source.phrasings[index]
    moved = _with_phrasing(target, phrasing, position)
    files.put(language, from_id, _without_phrasing(source, index))
    files.put(language, to_id, moved)
    old = {"faq_id": from_id, "text": phrasing, "position": index}
    new = {"faq_id": to_id, "text": phrasing, "position": moved.phrasings.index(phrasing)}
    return _Draft("move_phrasing", language, from_id, old, new, True, [(phrasing, moved)], (from_id, to_id))


def _retire_faq(files: _Files, language: str, faq_id: str) -> _Draft:
    file, index = files.find(language, faq_id)
    old = {"topic": file.topic, "position": index, **faq_record(file.faqs[index])}
    files.put(language, faq_id, None)
    return _Draft("retire_faq", language, faq_id, old, None, needs_training=True)


def _inverse(files: _Files, change: Change) -> _Draft:
    """Applies the inverse of a logged change."""
    language, faq_id, old, new = change.language, change.faq_id, change.old, change.new
    if change.operation == "edit_answer":
        if files.faq(language, faq_id).answer != new:
            raise EditRefused([f"the answer of {faq_id} was changed again after change {change.id}; edit it instead"])
        return _edit_answer(files, language, faq_id, old)
    if change.operation == "add_phrasing":
        return _remove_phrasing(files, language, faq_id, new["text"])
    if change.operation == "remove_phrasing":
        return _add_phrasing(files, language, faq_id, old["text"], old["position"])
    if change.operation == "move_phrasing":
        return _move_phrasing(files, language, new["text"], new["faq_id"], old["faq_id"], old["position"])
    if change.operation == "add_faq":
        return _retire_faq(files, language, faq_id)
    if change.operation == "retire_faq":
        return _add_faq(files, _faq_from_record(old, language), old.get("position"))
    raise EditRefused([f"change {change.id} ({change.operation}) cannot be rolled back"])


def _faq_from_record(record: dict[str, Any], language: str) -> Faq:
    return Faq(
        id=record["id"],
        topic=record["topic"],
        language=language,
        question=record["question"],
        answer=record["answer"],
        phrasings=tuple(record["phrasings"]),
        held_out=tuple(record.get("held_out") or ()),
    )
