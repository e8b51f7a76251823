"""Edit the knowledge base from a terminal: ``python -m knowledge.cli COMMAND ...``.

The same operations, validation, lock and change log as the editor pages. ``show`` prints the
FAQ's version; an edit given ``--expect-version`` is refused if the FAQ changed since (in the
editor or in git). Exit codes: 0 done, 1 refused or invalid (the reasons are printed), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from knowledge.base import KNOWLEDGE_DIR, Faq, KnowledgeBase, KnowledgeError
from knowledge.changelog import Change
from knowledge.editing import EditRefused, KnowledgeEditor
from knowledge.validation import check_directory, validate_training_data

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHANGELOG = Path(os.environ.get("KNOWLEDGE_CHANGELOG", ROOT / "var" / "knowledge" / "changes.jsonl"))

Command = Callable[[KnowledgeEditor, argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    """Runs one command and returns its exit code."""
    args = _parser().parse_args(argv)
    editor = KnowledgeEditor(args.dir, args.changelog)
    command: Command = args.command
    try:
        return command(editor, args)
    except EditRefused as refused:
        for error in refused.errors:
            print(f"error: {error}", file=sys.stderr)
        print("refused: nothing was changed", file=sys.stderr)
        return 1
    except (KnowledgeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _search(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    faqs = editor.search(" ".join(args.query), args.language, args.topic)
    for faq in faqs:
        print(f"{faq.id:<40} {faq.topic:<20} {faq.question}")
    print(f"{len(faqs)} FAQ(s)", file=sys.stderr)
    return 0


def _show(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    faq = _existing(editor, args)
    print(f"id: {faq.id}\nlanguage: {faq.language}\ntopic: {faq.topic}\nquestion: {faq.question}\nanswer:")
    print("\n".join(f"  {line}" for line in faq.answer.split("\n")))
    for name, phrasings in (("phrasings", faq.phrasings), ("held_out", faq.held_out)):
        print(f"{name} ({len(phrasings)}):")
        print("\n".join(f"  - {phrasing}" for phrasing in phrasings))
    print(f"version: {faq.version}")
    return 0


def _edit_answer(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    answer = _read_text(args.file)
    return _done(editor.edit_answer(args.editor, args.language, args.id, answer, args.expect_version))


def _add_faq(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    answer = args.answer if args.answer is not None else _read_text(args.answer_file)
    phrasings = list(args.phrasing or [])
    if args.phrasings_file:
        phrasings += [line for line in _read_text(args.phrasings_file).splitlines() if line.strip()]
    change = editor.add_faq(args.editor, args.language, args.topic, args.id, args.question, answer, phrasings)
    return _done(change)


def _add_phrasing(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    return _done(editor.add_phrasing(args.editor, args.language, args.id, args.text, args.expect_version))


def _remove_phrasing(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    return _done(editor.remove_phrasing(args.editor, args.language, args.id, args.text, args.expect_version))


def _move_phrasing(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    change = editor.move_phrasing(args.editor, args.language, args.text, args.from_id, args.to_id, args.expect_version)
    return _done(change)


def _retire(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    return _done(editor.retire_faq(args.editor, args.language, args.id, args.expect_version))


def _rollback(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    return _done(editor.rollback(args.editor, args.change_id))


def _changes(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    entries, _ = editor.log.page(faq_id=args.faq, editor=args.by, limit=args.limit)
    for change in (entry.change for entry in entries):
        when = datetime.fromtimestamp(change.ts).strftime("%Y-%m-%d %H:%M:%S")
        reverts = f" (rollback of {change.reverts})" if change.reverts else ""
        faq = f"{change.language}/{change.faq_id}"
        print(f"{change.id}  {when}  {change.editor:<12} {change.operation:<16} {faq}{reverts}")
        print(f"    old: {_brief(change.old)}\n    new: {_brief(change.new)}")
    return 0


def _check(editor: KnowledgeEditor, args: argparse.Namespace) -> int:
    report = check_directory(editor.directory, editor.rules)
    for warning in report.warnings:
        print(f"warning: {warning}")
    if report.ok and args.rasa:
        report.errors += validate_training_data(ROOT, KnowledgeBase.load(editor.directory))
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)", file=sys.stderr)
    return 0 if report.ok else 1


def _existing(editor: KnowledgeEditor, args: argparse.Namespace) -> Faq:
    faq = editor.get(args.language, args.id)
    if faq is None:
        raise EditRefused([f"unknown FAQ id '{args.id}' in language '{args.language}'"])
    return faq


def _read_text(file: str | None) -> str:
    if file and file != "-":
        return Path(file).read_text(encoding="utf-8")
    if sys.stdin.isatty():
        raise EditRefused(["give the text with --file, or pipe it on standard input"])
    return sys.stdin.read()


def _done(change: Change) -> int:
    print(f"saved change {change.id}: {change.operation} {change.language}/{change.faq_id} by {change.editor}")
    for warning in change.warnings:
        print(f"warning: {warning}")
    if change.needs_training:
        print("this change needs retraining before the bot understands it: run `make train`")
    else:
        print("live now: the bot reads answers from the files on every message")
    return 0


def _brief(value: object, limit: int = 100) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--language", default="en", help="FAQ language (default: en)")
    common.add_argument("--editor", default=os.environ.get("USER") or getpass.getuser(), help="who makes the change")
    common.add_argument("--dir", type=Path, default=KNOWLEDGE_DIR, help="knowledge directory")
    common.add_argument("--changelog", type=Path, default=DEFAULT_CHANGELOG, help="change log (JSON lines)")
    parser = argparse.ArgumentParser(prog="python -m knowledge.cli", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def add(
        name: str, command: Command, description: str, also: argparse.ArgumentParser | None = None
    ) -> argparse.ArgumentParser:
        parents = [common, also] if also else [common]
        sub = commands.add_parser(name, parents=parents, help=description, description=description)
        sub.set_defaults(command=command)
        return sub

    search = add("search", _search, "list FAQs whose id, topic, question, answer or phrasings contain every word")
    search.add_argument("query", nargs="*", help="words to look for (none: every FAQ)")
    search.add_argument("--topic")
    add("show", _show, "print one FAQ").add_argument("id")
    expect_version = argparse.ArgumentParser(add_help=False)
    expect_version.add_argument(
        "--expect-version",
        metavar="VERSION",
        help="the FAQ's version as `show` printed it: refuse the change if the FAQ has changed since",
    )

    def edit_command(name: str, command: Command, description: str) -> argparse.ArgumentParser:
        return add(name, command, description, also=expect_version)

    edit = edit_command("edit-answer", _edit_answer, "replace an answer (live at once, no retraining)")
    edit.add_argument("id")
    edit.add_argument("--file", help="file with the new answer (default: standard input)")
    new = add("add-faq", _add_faq, "add an FAQ at the end of its topic's file")
    new.add_argument("id")
    new.add_argument("--topic", required=True)
    new.add_argument("--question", required=True)
    new.add_argument("--answer", help="the answer text (or --answer-file, or standard input)")
    new.add_argument("--answer-file")
    new.add_argument("--phrasing", action="append", help="a training phrasing (repeat it)")
    new.add_argument("--phrasings-file", help="file with one training phrasing per line")
    for name, command, verb in (
        ("add-phrasing", _add_phrasing, "add a training phrasing to"),
        ("remove-phrasing", _remove_phrasing, "remove a training phrasing from"),
    ):
        sub = edit_command(name, command, f"{verb} an FAQ")
        sub.add_argument("id")
        sub.add_argument("text")
    move = edit_command("move-phrasing", _move_phrasing, "move a training phrasing to another FAQ")
    move.add_argument("text")
    move.add_argument("--from", dest="from_id", required=True, metavar="ID")
    move.add_argument("--to", dest="to_id", required=True, metavar="ID")
    edit_command("retire", _retire, "remove an FAQ (the change log keeps it)").add_argument("id")
    changes = add("changes", _changes, "list the latest changes")
    changes.add_argument("--limit", type=int, default=20)
    changes.add_argument("--faq", metavar="ID", help="only changes to this FAQ")
    changes.add_argument("--by", metavar="EDITOR", help="only changes by this editor")
    add("rollback", _rollback, "undo a change by applying its inverse").add_argument("change_id")
    check = add("check", _check, "validate every knowledge file; exit 1 on errors")
    check.add_argument("--rasa", action="store_true", help="also run the strict rasa data validate (~20 s)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
