"""The change log for people: kinds, rollback numbers and word diffs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge import Change, Entry, KnowledgeEditor
from knowledge.history import changes_since, described, diff, kind, numbers_of, word_diff
from tests.conftest import ROOT


@pytest.fixture
def editor(tmp_path: Path) -> KnowledgeEditor:
    shutil.copytree(ROOT / "data" / "knowledge", tmp_path / "knowledge")
    return KnowledgeEditor(tmp_path / "knowledge", tmp_path / "changes.jsonl")


@pytest.mark.parametrize(
    ("old", "new", "segments"),
    [
        (
            "Delivery costs ₩3,000 per order.",
            "Delivery costs ₩3,500 per order, or less.",
            [("equal", "Delivery costs "), ("delete", "₩3,000 "), ("insert", "₩3,500 "), ("equal", "per "),
             ("delete", "order."), ("insert", "order, or less.")],
        ),
        ("Same text.", "Same text.", [("equal", "Same text.")]),
        ("", "All new.", [("insert", "All new.")]),
        ("Line one.\nLine two.", "Line one.\nLine 2.", [("equal", "Line one.\nLine "), ("delete", "two."),
                                                        ("insert", "2.")]),
        ("배송비는 3,000원입니다.", "배송비는 3,500원입니다.", [("equal", "배송비는 "), ("delete", "3,000원입니다."),
                                                        ("insert", "3,500원입니다.")]),
    ],
)  # fmt: skip
def test_word_diff(old: str, new: str, segments: list[tuple[str, str]]) -> None:
    assert word_diff(old, new) == segments
    assert "".join(text for op, text in segments if op != "insert") == old
    assert "".join(text for op, text in segments if op != "delete") == new


def test_each_kind_of_change_reads_as_what_it_did(editor: KnowledgeEditor) -> None:
    edited = editor.edit_answer("mina", "en", "shipping_cost", "Delivery is ₩3,000.")
    added = editor.add_phrasing("mina", "en", "shipping_cost", "postage price please")
    moved = editor.move_phrasing("mina", "en", "postage price please", "shipping_cost", "shipping_express")
    removed = editor.remove_phrasing("mina", "en", "shipping_express", "postage price please")
    faq = editor.get("en", "account_guest_checkout")
    assert faq is not None
    retired = editor.retire_faq("mina", "en", "account_guest_checkout")
    undone = editor.rollback("joon", retired.id)
    numbers = numbers_of(editor.log.entries())

    assert [kind(change, numbers) for change in (edited, added, moved, removed, retired, undone)] == [
        "edit answer",
        "add phrasing",
        "move phrasing from shipping_cost to shipping_express",
        "remove phrasing",
        "retire FAQ",
        "rollback of #5 (add FAQ)",
    ]
    assert diff(edited)[-1] == ("insert", "Delivery is ₩3,000.")
    assert diff(added) == [("insert", "postage price please")]
    assert diff(moved) == [("equal", "postage price please")]
    assert diff(removed) == [("delete", "postage price please")]
    text = f"{faq.question}\n{faq.answer}" + "".join(f"\n- {phrasing}" for phrasing in faq.phrasings)
    assert diff(retired) == [("delete", text)]
    assert diff(undone) == [("insert", text)]


def test_an_edit_and_its_rollback_as_the_page_gets_them(editor: KnowledgeEditor) -> None:
    old = editor.get("en", "shipping_cost").answer  # type: ignore[union-attr]
    edited = editor.edit_answer("mina", "en", "shipping_cost", old.replace("₩3,000 per order", "₩3,500 per order"))
    undone = editor.rollback("joon", edited.id)
    entries = editor.log.entries()
    first, second = (described(entry, numbers_of(entries)) for entry in entries)

    assert (first["number"], first["kind"], first["editor"]) == (1, "edit answer", "mina")
    assert ["delete", "₩3,000 "] in first["diff"]
    assert ["insert", "₩3,500 "] in first["diff"]
    assert (second["number"], second["kind"], second["editor"], second["reverts"]) == (
        2, "rollback of #1 (edit answer)", "joon", edited.id,
    )  # fmt: skip
    assert ["delete", "₩3,500 "] in second["diff"]
    assert ["insert", "₩3,000 "] in second["diff"]
    assert undone.id == second["id"]


def test_a_rollback_of_a_change_missing_from_the_log_names_its_id() -> None:
    change = Change("b" * 12, "mina", 1.0, "edit_answer", "en", "x", "a", "b", False, reverts="a" * 12)
    assert kind(change, {}) == f"rollback of {'a' * 12} (edit answer)"


def test_changes_since_a_version(editor: KnowledgeEditor) -> None:
    read = editor.get("en", "shipping_cost").version  # type: ignore[union-attr]
    first = editor.edit_answer("mina", "en", "shipping_cost", "First.")
    editor.edit_answer("mina", "en", "refund_timing", "Refunds take 3 days.")
    second = editor.add_phrasing("joon", "en", "shipping_cost", "postage price please")
    entries = editor.log.entries()
    middle = first.versions["shipping_cost"][1]
    assert middle is not None

    def ids(found: list[Entry]) -> list[str]:
        return [entry.change.id for entry in found]

    assert ids(changes_since(entries, "en", "shipping_cost", read)) == [first.id, second.id]
    assert ids(changes_since(entries, "en", "shipping_cost", middle)) == [second.id]
    assert ids(changes_since(entries, "ko", "shipping_cost", read)) == []
    assert ids(changes_since(entries, "en", "shipping_cost", "0" * 16)) == []
