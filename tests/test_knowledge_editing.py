import difflib
import fcntl
import json
import os
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge import (
    EditConflict,
    EditRefused,
    KnowledgeBase,
    KnowledgeEditor,
    KnowledgeRepository,
    NeedsConfirmation,
    TopicFile,
    dump_topic_file,
    lock_path,
    read_topic_file,
)
from tests.conftest import ROOT

SHIPPED = ROOT / "data" / "knowledge"
SHIPPED_FILES = sorted(SHIPPED.glob("en/*.yml"))


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(SHIPPED, copy)
    return copy


@pytest.fixture
def editor(directory: Path) -> KnowledgeEditor:
    return KnowledgeEditor(directory, directory.parent / "var" / "changes.jsonl")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()
    }


def changed_lines(before: str, after: str) -> list[int]:
    """Line numbers (1-based, in ``before``) that a diff removes or replaces, plus insertion points."""
    lines = []
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for tag, start, end, _, _ in matcher.get_opcodes():
        if tag != "equal":
            lines += list(range(start + 1, max(end, start + 1) + 1))
    return lines


def answer_lines(path: Path, faq_id: str) -> range:
    """The lines (1-based) of an FAQ's answer block in a file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"  - id: {faq_id}") + 3
    end = start
    while lines[end].startswith("      "):
        end += 1
    return range(start, end + 1)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda path: path.name)
def test_every_shipped_file_is_written_back_byte_for_byte(path: Path) -> None:
    assert dump_topic_file(read_topic_file(path)) == path.read_text(encoding="utf-8")


def test_a_new_file_is_written_in_the_hand_layout(tmp_path: Path) -> None:
    faq = KnowledgeBase.load(SHIPPED).get("returns_non_returnable", "en")
    assert faq is not None
    path = tmp_path / "en" / "returns.yml"
    faqs = (replace(faq, topic="returns"),)
    text = dump_topic_file(TopicFile(path, "returns", "en", "Returns", faqs, comment="# Returns.\n"))
    assert text.startswith(
        "# Returns.\ntopic: returns\nlanguage: en\ntitle: Returns\nfaqs:\n  - id: returns_non_returnable\n"
    )
    assert "    answer: |-\n      These can't be returned unless" in text
    assert "      - \"can't return" not in text


def test_edit_answer_is_live_and_touches_only_that_answers_lines(editor: KnowledgeEditor, directory: Path) -> None:
    path = directory / "en" / "shipping.yml"
    before, others = path.read_text(encoding="utf-8"), snapshot(directory)
    old = editor.get("en", "shipping_cost")
    assert old is not None
    repository = KnowledgeRepository(directory)
    repository.current()

    new_answer = old.answer.replace("Express delivery", "Next-day express delivery") + " Prices include VAT."
    change = editor.edit_answer("mina", "en", "shipping_cost", new_answer)

    assert repository.current().get("shipping_cost", "en").answer == new_answer  # type: ignore[union-attr]
    assert set(changed_lines(before, path.read_text(encoding="utf-8"))) <= set(answer_lines(path, "shipping_cost"))
    others.pop("en/shipping.yml")
    assert {name: data for name, data in snapshot(directory).items() if name in others} == others
    assert (change.operation, change.editor, change.faq_id, change.language) == (
        "edit_answer",
        "mina",
        "shipping_cost",
        "en",
    )
    assert (change.old, change.new, change.needs_training) == (old.answer, new_answer, False)


def test_edit_answer_takes_well_under_two_seconds_end_to_end(editor: KnowledgeEditor, directory: Path) -> None:
    repository = KnowledgeRepository(directory)
    repository.current()
    started = time.perf_counter()
    editor.edit_answer("mina", "en", "refund_timing", "Refunds take 2 business days after we receive the return.")
    answer = repository.current().get("refund_timing", "en")
    elapsed = time.perf_counter() - started
    assert answer is not None
    assert answer.answer.startswith("Refunds take 2 business days")
    assert elapsed < 2.0


def test_a_multi_line_answer_is_written_as_a_literal_block(editor: KnowledgeEditor, directory: Path) -> None:
    editor.edit_answer("mina", "en", "shipping_cost", "Delivery costs:\n- mainland: ₩3,000\n- islands: ₩6,000\n")
    text = (directory / "en" / "shipping.yml").read_text(encoding="utf-8")
    assert "    answer: |-\n      Delivery costs:\n      - mainland: ₩3,000\n      - islands: ₩6,000\n" in text


def test_a_long_new_answer_is_folded_near_80_columns(editor: KnowledgeEditor, directory: Path) -> None:
    answer = " ".join(["Parcels to Jeju and the other islands take one or two extra business days."] * 6)
    editor.edit_answer("mina", "en", "shipping_cost", answer)
    lines = answer_lines(directory / "en" / "shipping.yml", "shipping_cost")
    text = (directory / "en" / "shipping.yml").read_text(encoding="utf-8").splitlines()
    block = [text[number - 1] for number in lines][1:-1]
    assert len(block) >= 5
    assert all(len(line) <= 80 for line in block)
    assert editor.get("en", "shipping_cost").answer == answer  # type: ignore[union-attr]


def test_add_faq_appends_it_to_its_topic_file(editor: KnowledgeEditor, directory: Path) -> None:
    phrasings = [f"can you deliver to a parcel locker number {n}" for n in range(10)]
    change = editor.add_faq(
        "mina", "en", "shipping", "parcel_lockers", "Can you deliver to a parcel locker?", "Not yet, sorry.", phrasings
    )
    text = (directory / "en" / "shipping.yml").read_text(encoding="utf-8")
    assert text.endswith(
        "\n\n  - id: parcel_lockers\n    question: Can you deliver to a parcel locker?\n"
        "    answer: >-\n      Not yet, sorry.\n    phrasings:\n      - can you deliver to a parcel locker number 0\n"
        + "".join(f"      - can you deliver to a parcel locker number {n}\n" for n in range(1, 10))
    )
    faq = KnowledgeBase.load(directory).get("parcel_lockers", "en")
    assert faq is not None
    assert faq.phrasings == tuple(phrasings)
    assert change.needs_training
    assert change.new == {
        "topic": "shipping",
        "id": "parcel_lockers",
        "question": "Can you deliver to a parcel locker?",
        "answer": "Not yet, sorry.",
        "phrasings": phrasings,
    }


def test_add_faq_to_an_unknown_topic_is_refused(editor: KnowledgeEditor, directory: Path) -> None:
    before = snapshot(directory)
    with pytest.raises(EditRefused, match="unknown topic 'lockers' in language 'en'; topics: account, "):
        editor.add_faq("mina", "en", "lockers", "parcel_lockers", "Lockers?", "No.", [f"locker {n}" for n in range(10)])
    assert snapshot(directory) == before


def test_add_and_remove_a_phrasing(editor: KnowledgeEditor, directory: Path) -> None:
    path = directory / "en" / "shipping.yml"
    before = path.read_text(encoding="utf-8")
    count = len(editor.get("en", "shipping_cost").phrasings)  # type: ignore[union-attr]
    added = editor.add_phrasing("mina", "en", "shipping_cost", "  what is the   postage price ")
    entry = {"faq_id": "shipping_cost", "text": "what is the postage price", "position": count}
    assert (added.operation, added.old, added.new, added.needs_training) == ("add_phrasing", None, entry, True)
    assert editor.get("en", "shipping_cost").phrasings[-1] == "what is the postage price"  # type: ignore[union-attr]
    removed = editor.remove_phrasing("mina", "en", "shipping_cost", "WHAT is the postage price")
    assert (removed.operation, removed.old, removed.new) == ("remove_phrasing", entry, None)
    assert path.read_text(encoding="utf-8") == before


def test_removing_a_phrasing_the_faq_does_not_have_is_refused(editor: KnowledgeEditor, directory: Path) -> None:
    before = snapshot(directory)
    with pytest.raises(EditRefused, match="'what is love' is not a phrasing of shipping_cost"):
        editor.remove_phrasing("mina", "en", "shipping_cost", "what is love")
    assert snapshot(directory) == before


def test_move_a_phrasing_between_topic_files(editor: KnowledgeEditor) -> None:
    change = editor.move_phrasing("mina", "en", "how much is shipping", "shipping_cost", "refund_timing")
    base = KnowledgeBase.load(editor.directory)
    assert "how much is shipping" not in base.get("shipping_cost", "en").phrasings  # type: ignore[union-attr]
    assert base.get("refund_timing", "en").phrasings[-1] == "how much is shipping"  # type: ignore[union-attr]
    assert change.old == {"faq_id": "shipping_cost", "text": "how much is shipping", "position": 0}
    assert change.new == {"faq_id": "refund_timing", "text": "how much is shipping", "position": 20}


def test_retire_then_rollback_puts_the_faq_back_where_it_was(editor: KnowledgeEditor, directory: Path) -> None:
    original = KnowledgeBase.load(directory)
    order = [faq.id for faq in original.faqs("en")]
    retired = editor.retire_faq("mina", "en", "account_guest_checkout")
    assert KnowledgeBase.load(directory).get("account_guest_checkout", "en") is None
    assert retired.old["position"] == 1
    assert retired.old["phrasings"] == list(original.get("account_guest_checkout", "en").phrasings)  # type: ignore[union-attr]

    restored = editor.rollback("joon", retired.id)

    again = KnowledgeBase.load(directory)
    assert [faq.id for faq in again.faqs("en")] == order
    assert list(again) == list(original)
    assert (restored.operation, restored.reverts, restored.editor) == ("add_faq", retired.id, "joon")


@pytest.mark.parametrize(
    "edit",
    [
        lambda e: e.edit_answer("mina", "en", "shipping_cost", "A new answer."),
        lambda e: e.add_phrasing("mina", "en", "shipping_cost", "postage price"),
        lambda e: e.remove_phrasing("mina", "en", "shipping_cost", "how much is shipping"),
        lambda e: e.move_phrasing("mina", "en", "how much is shipping", "shipping_cost", "refund_timing"),
        lambda e: e.add_faq("mina", "en", "shipping", "lockers", "Lockers?", "No.", [f"locker {n}" for n in range(10)]),
        lambda e: e.retire_faq("mina", "en", "shipping_cost"),
    ],
    ids=["edit_answer", "add_phrasing", "remove_phrasing", "move_phrasing", "add_faq", "retire_faq"],
)
def test_every_operation_can_be_rolled_back(editor: KnowledgeEditor, directory: Path, edit: object) -> None:
    original = list(KnowledgeBase.load(directory))
    change = edit(editor)  # type: ignore[operator]
    assert list(KnowledgeBase.load(directory)) != original
    undo = editor.rollback("joon", change.id)
    assert list(KnowledgeBase.load(directory)) == original
    assert (undo.reverts, undo.needs_training) == (change.id, change.needs_training)


def test_a_rollback_can_itself_be_rolled_back(editor: KnowledgeEditor) -> None:
    change = editor.edit_answer("mina", "en", "shipping_cost", "A new answer.")
    undo = editor.rollback("joon", change.id)
    editor.rollback("mina", undo.id)
    assert editor.get("en", "shipping_cost").answer == "A new answer."  # type: ignore[union-attr]


def test_rolling_back_an_answer_that_changed_again_is_refused(editor: KnowledgeEditor, directory: Path) -> None:
    first = editor.edit_answer("mina", "en", "shipping_cost", "First.")
    editor.edit_answer("joon", "en", "shipping_cost", "Second.")
    before = snapshot(directory)
    with pytest.raises(EditRefused, match=f"the answer of shipping_cost was changed again after change {first.id}"):
        editor.rollback("mina", first.id)
    assert snapshot(directory) == before


def test_rolling_back_an_unknown_change_is_refused(editor: KnowledgeEditor) -> None:
    with pytest.raises(EditRefused, match="there is no change with id 'nope'"):
        editor.rollback("mina", "nope")


def test_changes_are_logged_as_json_lines_newest_first(editor: KnowledgeEditor) -> None:
    first = editor.edit_answer("mina", "en", "shipping_cost", "First.")
    second = editor.add_phrasing("joon", "en", "shipping_cost", "postage price")
    assert [change.id for change in editor.changes()] == [second.id, first.id]
    assert [change.id for change in editor.changes(limit=1)] == [second.id]
    records = [json.loads(line) for line in editor.log.path.read_text(encoding="utf-8").splitlines()]
    assert records[0]["editor"] == "mina"
    assert records[0]["new"] == "First."
    assert records[0]["old"].startswith("Standard delivery costs ₩3,000")
    assert records[1]["ts"] >= records[0]["ts"] > 0


def test_an_editor_name_is_required(editor: KnowledgeEditor) -> None:
    with pytest.raises(EditRefused, match="an editor name is required"):
        editor.edit_answer(" ", "en", "shipping_cost", "A new answer.")


def test_an_unchanged_answer_is_refused(editor: KnowledgeEditor) -> None:
    current = editor.get("en", "shipping_cost")
    assert current is not None
    with pytest.raises(EditRefused, match="already this text"):
        editor.edit_answer("mina", "en", "shipping_cost", current.answer + "\n")


@pytest.mark.parametrize(
    ("query", "language", "topic", "expected"),
    [
        ("shipping_cost", None, None, "shipping_cost"),  # id, ranked first
        ("REFUND card", "en", None, "refund_timing"),  # question and answer words, any case
        ("creat acount", None, None, "account_create"),  # a phrasing
        ("", "en", "privacy", "privacy_chat_data_stored"),  # everything of one topic
    ],
)
def test_search(editor: KnowledgeEditor, query: str, language: str | None, topic: str | None, expected: str) -> None:
    found = editor.search(query, language, topic)
    assert found[0].id == expected
    if topic:
        assert {faq.topic for faq in found} == {topic}


def test_search_in_another_language_finds_nothing(editor: KnowledgeEditor) -> None:
    assert editor.search("refund", language="ja") == []


def test_a_write_that_fails_leaves_the_file_and_no_temporary_file(
    editor: KnowledgeEditor, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(directory)

    def fail(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        editor.edit_answer("mina", "en", "shipping_cost", "A new answer.")
    assert snapshot(directory) == before
    assert editor.changes() == []


def test_edits_wait_for_the_lock(editor: KnowledgeEditor, directory: Path) -> None:
    done = threading.Event()

    def edit() -> None:
        editor.edit_answer("mina", "en", "shipping_cost", "A new answer.")
        done.set()

    with lock_path(directory).open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        thread = threading.Thread(target=edit)
        thread.start()
        assert not done.wait(0.5)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    thread.join(10)
    assert done.is_set()


def test_concurrent_editors_lose_no_change(directory: Path) -> None:
    log = directory.parent / "changes.jsonl"

    def add(n: int) -> None:
        KnowledgeEditor(directory, log).add_phrasing(f"editor{n}", "en", "shipping_cost", f"delivery price case {n}")

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    faq = KnowledgeBase.load(directory).get("shipping_cost", "en")
    assert faq is not None
    assert {f"delivery price case {n}" for n in range(8)} <= set(faq.phrasings)
    assert len(KnowledgeEditor(directory, log).changes()) == 8


def test_a_training_check_runs_only_for_changes_that_need_training(directory: Path) -> None:
    seen: list[int] = []

    def training_check(candidate: KnowledgeBase) -> list[str]:
        seen.append(len(list(candidate)))
        return ["rasa data validate: the example was found labeled with multiple different intents"]

    editor = KnowledgeEditor(directory, directory.parent / "changes.jsonl", training_check=training_check)
    editor.edit_answer("mina", "en", "shipping_cost", "A new answer.")
    assert seen == []
    before = snapshot(directory)
    with pytest.raises(EditRefused, match="multiple different intents") as refused:
        editor.add_phrasing("mina", "en", "shipping_cost", "human please")
    assert refused.value.errors == ["rasa data validate: the example was found labeled with multiple different intents"]
    assert seen == [len(list(KnowledgeBase.load(SHIPPED)))]
    assert snapshot(directory) == before


# Versions: an FAQ changed since the editor read it is not overwritten.


def test_a_version_is_a_digest_of_the_faq_s_values_and_survives_a_rewrap(directory: Path) -> None:
    path = directory / "en" / "shipping.yml"
    faq = KnowledgeBase.load(directory).get("shipping_cost", "en")
    assert faq is not None
    assert len(faq.version) == 16
    assert replace(faq, answer=faq.answer + "!").version != faq.version
    # The same values written another way (a folded answer re-wrapped by hand in git) keep the version.
    text = path.read_text(encoding="utf-8")
    rewrapped = text.replace("and it's free\n      once your order", "and it's\n      free once your order")
    assert rewrapped != text
    path.write_text(rewrapped, encoding="utf-8")
    assert KnowledgeBase.load(directory).get("shipping_cost", "en").version == faq.version  # type: ignore[union-attr]


def test_an_edit_with_the_version_read_is_saved_and_logs_the_versions(editor: KnowledgeEditor) -> None:
    faq = editor.get("en", "shipping_cost")
    assert faq is not None
    change = editor.edit_answer("mina", "en", "shipping_cost", "First.", version=faq.version)
    assert change.versions == {"shipping_cost": [faq.version, editor.get("en", "shipping_cost").version]}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "save",
    [
        lambda e, v: e.edit_answer("joon", "en", "shipping_cost", "Second.", version=v),
        lambda e, v: e.add_phrasing("joon", "en", "shipping_cost", "postage price", version=v),
        lambda e, v: e.remove_phrasing("joon", "en", "shipping_cost", "how much is shipping", version=v),
        lambda e, v: e.move_phrasing("joon", "en", "how much is shipping", "shipping_cost", "refund_timing", v),
        lambda e, v: e.retire_faq("joon", "en", "shipping_cost", version=v),
    ],
    ids=["edit_answer", "add_phrasing", "remove_phrasing", "move_phrasing", "retire_faq"],
)
def test_a_change_to_an_faq_changed_since_it_was_read_is_refused_with_what_changed(
    editor: KnowledgeEditor, directory: Path, save: object
) -> None:
    read = editor.get("en", "shipping_cost")
    assert read is not None
    first = editor.edit_answer("mina", "en", "shipping_cost", "First.", version=read.version)
    now = editor.get("en", "shipping_cost")
    assert now is not None
    before = snapshot(directory)

    with pytest.raises(EditConflict) as conflict:
        save(editor, read.version)  # type: ignore[operator]

    assert snapshot(directory) == before
    assert (conflict.value.faq, [entry.change.id for entry in conflict.value.since]) == (now, [first.id])
    assert conflict.value.errors == [
        f"shipping_cost (en) was changed since version {read.version} was read (now {now.version}): "
        "#1 edit answer by mina"
    ]
    assert len(editor.changes()) == 1


def test_overwriting_knowingly_resends_with_the_new_version(editor: KnowledgeEditor) -> None:
    read = editor.get("en", "shipping_cost")
    assert read is not None
    editor.edit_answer("mina", "en", "shipping_cost", "First.", version=read.version)
    with pytest.raises(EditConflict) as conflict:
        editor.edit_answer("joon", "en", "shipping_cost", "Second.", version=read.version)
    assert conflict.value.faq is not None
    editor.edit_answer("joon", "en", "shipping_cost", "Second.", version=conflict.value.faq.version)
    assert editor.get("en", "shipping_cost").answer == "Second."  # type: ignore[union-attr]


def test_a_change_made_in_the_files_is_a_conflict_outside_the_editor(editor: KnowledgeEditor, directory: Path) -> None:
    read = editor.get("en", "shipping_cost")
    assert read is not None
    path = directory / "en" / "shipping.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("Standard delivery costs", "Delivery costs"), "utf-8")
    with pytest.raises(EditConflict, match="in the files, outside the editor") as conflict:
        editor.edit_answer("joon", "en", "shipping_cost", "Second.", version=read.version)
    assert conflict.value.since == []
    assert conflict.value.faq.answer.startswith("Delivery costs ₩3,000")  # type: ignore[union-attr]


def test_a_retired_faq_is_a_conflict_with_no_faq(editor: KnowledgeEditor) -> None:
    read = editor.get("en", "shipping_cost")
    assert read is not None
    retired = editor.retire_faq("mina", "en", "shipping_cost", version=read.version)
    assert retired.versions == {"shipping_cost": [read.version, None]}
    with pytest.raises(EditConflict, match=r"\(now retired\): #1 retire FAQ by mina") as conflict:
        editor.edit_answer("joon", "en", "shipping_cost", "Second.", version=read.version)
    assert conflict.value.faq is None


def test_a_move_logs_both_faqs_versions_and_conflicts_on_the_source(editor: KnowledgeEditor) -> None:
    source, target = editor.get("en", "shipping_cost"), editor.get("en", "refund_timing")
    assert source is not None
    assert target is not None
    moved = editor.move_phrasing("mina", "en", "how much is shipping", "shipping_cost", "refund_timing", source.version)
    assert moved.faq_ids == ("shipping_cost", "refund_timing")
    assert [versions[0] for versions in moved.versions.values()] == [source.version, target.version]
    with pytest.raises(EditConflict, match="#1 move phrasing from shipping_cost to refund_timing by mina"):
        editor.move_phrasing("joon", "en", "how much is shiping", "shipping_cost", "refund_timing", source.version)


def test_a_near_duplicate_phrasing_waits_for_confirmation(editor: KnowledgeEditor, directory: Path) -> None:
    before = snapshot(directory)
    warnings = [
        "‘how much is shipping?’ (shipping_free_threshold) is 0.98 similar to ‘how much is shipping’ (shipping_cost)",
        "‘how much is shipping?’ (shipping_free_threshold) is 0.95 similar to ‘how much is shiping’ (shipping_cost)",
    ]
    with pytest.raises(NeedsConfirmation) as asked:
        editor.add_phrasing("mina", "en", "shipping_free_threshold", "how much is shipping?", confirmed=False)
    assert asked.value.errors == warnings
    assert snapshot(directory) == before
    change = editor.add_phrasing("mina", "en", "shipping_free_threshold", "how much is shipping?", confirmed=True)
    assert list(change.warnings) == warnings


def test_a_distinct_phrasing_needs_no_confirmation(editor: KnowledgeEditor) -> None:
    change = editor.add_phrasing("mina", "en", "shipping_cost", "what is the postage price", confirmed=False)
    assert change.warnings == ()


# The log: numbered entries, filtered by FAQ and editor, paged.


def test_the_log_is_numbered_filtered_and_paged(editor: KnowledgeEditor) -> None:
    edits = [
        editor.edit_answer("mina", "en", "shipping_cost", "First."),
        editor.add_phrasing("joon", "en", "refund_timing", "refund speed please"),
        editor.move_phrasing("joon", "en", "how much is shipping", "shipping_cost", "shipping_express"),
        editor.edit_answer("mina", "en", "shipping_cost", "Second."),
        editor.edit_answer("mina", "ko", "shipping_cost", "배송비는 3,000원입니다."),
    ]
    log = editor.log
    assert [entry.number for entry in log.entries()] == [1, 2, 3, 4, 5]
    assert [entry.change.id for entry in log.entries()] == [change.id for change in edits]

    def numbers(**filters: object) -> tuple[list[int], bool]:
        entries, more = log.page(**filters)  # type: ignore[arg-type]
        return [entry.number for entry in entries], more

    assert numbers() == ([5, 4, 3, 2, 1], False)
    assert numbers(faq_id="shipping_cost") == ([5, 4, 3, 1], False)
    assert numbers(faq_id="shipping_express") == ([3], False)  # the FAQ a phrasing moved to
    assert numbers(editor="joon") == ([3, 2], False)
    assert numbers(faq_id="shipping_cost", editor="mina") == ([5, 4, 1], False)
    assert numbers(limit=2) == ([5, 4], True)
    assert numbers(limit=2, before=4) == ([3, 2], True)
    assert numbers(limit=2, before=2) == ([1], False)
    assert log.editors() == ["joon", "mina"]


def test_a_conflict_names_a_rollback_by_the_number_of_the_change_it_undid(editor: KnowledgeEditor) -> None:
    first = editor.edit_answer("mina", "en", "shipping_cost", "First.")
    read = editor.get("en", "shipping_cost")
    assert read is not None
    editor.rollback("joon", first.id)
    with pytest.raises(EditConflict, match=r": #2 rollback of #1 \(edit answer\) by joon$"):
        editor.edit_answer("mina", "en", "shipping_cost", "Second.", version=read.version)
